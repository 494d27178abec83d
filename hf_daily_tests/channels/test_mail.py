"""The mail channel against a real SMTP server on 127.0.0.1 (aiosmtpd): what it receives, and what is recorded."""

import datetime as dt
import re
import socket
from email.utils import parsedate_to_datetime

import duckdb
import pytest

from hf_daily.channels.mail import audience, render, send
from hf_daily.channels.mail.smtp import MailConfigError, MailServerError, SmtpSettings
from hf_daily.core.layout import DataLayout
from hf_daily.warehouse import subscribers as subs
from hf_daily_tests.factories import HOSTILE_TITLE, HOSTILE_TITLE_ZH, MAIL_DAY, issue_paper, mail_warehouse, make_issue
from hf_daily_tests.smtp import SmtpServer, client_context, self_signed_certificate

SENDER = "每日论文 <news@example.org>"
NOW = dt.datetime(2025, 12, 27, 7, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def data(tmp_path):
    warehouse = mail_warehouse(tmp_path)
    return warehouse, DataLayout(tmp_path)


def settings(server: SmtpServer, **kw) -> SmtpSettings:
    return SmtpSettings(**{"host": "127.0.0.1", "port": server.port, "security": "none", "mail_from": SENDER} | kw)


def run(data, server, **kw) -> send.MailReport:
    warehouse, layout = data
    return send.mail_days(warehouse, [MAIL_DAY], layout, settings(server), now=lambda: NOW, environ={}, **kw)


def add(warehouse, email, name=None, **filters):
    subs.add_subscriber(warehouse, subs.make_subscriber(email, name, **filters))


def sends(warehouse) -> dict[str, tuple]:
    with warehouse.connect() as con:
        rows = con.execute("SELECT email, status, message_id, papers, error, attempts, sent_at FROM mail_sends "
                           "ORDER BY email").fetchall()
    return {row[0]: row[1:] for row in rows}


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def paper_ids(message) -> list[str]:
    return re.findall(r"https://huggingface\.co/papers/(2512\.\d{5})", text_of(message))


def test_the_mail_is_html_with_a_text_twin_and_its_charts_inside(data, smtp_server):
    warehouse, layout = data
    add(warehouse, "Alice@Example.org", "Alice 张")
    report = run(data, smtp_server, unsubscribe="mailto:news@example.org?subject=unsubscribe")
    assert report.count() == {"subscribers": 1, "sent": 1, "skipped": 0, "failed": 0, "already_sent": 0, "uncertain": 0}
    [received] = smtp_server.wait_for(1)
    assert received.mail_from == "news@example.org" and received.rcpt_tos == ["alice@example.org"]
    message = received.message

    tree = [(part.get_content_type(), part.get("Content-ID")) for part in message.walk()]
    assert tree == [("multipart/alternative", None), ("text/plain", None), ("multipart/related", None),
                    ("text/html", None), ("image/png", f"<wordcloud.{MAIL_DAY}@example.org>"),
                    ("image/png", f"<trend.{MAIL_DAY}@example.org>")]
    html = html_of(message)
    # Every image part is shown by the HTML, and the HTML shows nothing else.
    assert re.findall(r'src="([^"]+)"', html) == [f"cid:wordcloud.{MAIL_DAY}@example.org", f"cid:trend.{MAIL_DAY}@example.org"]
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert [p.get_content() for p in images] == [(layout.word_cloud(MAIL_DAY)).read_bytes(),
                                                  (layout.trend_chart(MAIL_DAY)).read_bytes()]
    assert [p.get_content_disposition() for p in images] == ["inline", "inline"]

    assert message["From"].addresses[0].display_name == "每日论文"
    assert message["From"].addresses[0].addr_spec == "news@example.org"
    assert str(message["To"]) == "Alice 张 <alice@example.org>"
    assert message["Subject"].startswith(f"Hugging Face 每日论文速递 · {MAIL_DAY} · 3 篇论文 · 恶意")
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert re.fullmatch(rf"<hf-daily\.{MAIL_DAY}\.[0-9a-f]{{20}}@example\.org>", message["Message-ID"])
    assert "alice" not in message["Message-ID"]
    assert message["List-Unsubscribe"] == "<mailto:news@example.org?subject=unsubscribe>"
    assert message["Auto-Submitted"] == "auto-generated"

    # No <style>: mail clients drop it; every element that is styled carries its own.
    assert "<style" not in html and "<script" not in html and 'class="paper"' in html
    assert html.count("<table") == 2 + 3  # the frame, the column, and a table per paper
    assert sends(warehouse)["alice@example.org"] == ("sent", message["Message-ID"], 3, None, 1, NOW.replace(tzinfo=None))

    text = text_of(message)
    assert "今日共 3 篇论文 · 热门领域：多模态（1）、智能体（1）" in text
    assert paper_ids(message) == ["2512.00001", "2512.00002", "2512.00003"]
    assert "退订：mailto:news@example.org?subject=unsubscribe" in text


def test_untrusted_titles_are_escaped_and_cannot_add_headers(data, smtp_server):
    warehouse, _ = data
    add(warehouse, "alice@example.org", 'Alice\r\nBcc: victim@example.org')
    run(data, smtp_server)
    [received] = smtp_server.wait_for(1)
    message = received.message
    assert received.rcpt_tos == ["alice@example.org"]
    assert message["Bcc"] is None and message.get_all("To") == [message["To"]]
    raw_headers = received.data.split(b"\r\n\r\n", 1)[0].decode()
    assert not re.search(r"^Bcc:", raw_headers, re.MULTILINE | re.IGNORECASE)
    subject = message["Subject"]
    assert "\n" not in subject and "\r" not in subject
    assert subject.endswith("恶意<script>alert(1)</script>标题 & 换行 Bcc:…")
    assert message["To"].addresses[0].display_name == "Alice Bcc: victim@example.org"

    html = html_of(message)
    assert "<script" not in html and "<b>" not in html
    assert "恶意&lt;script&gt;alert(1)&lt;/script&gt;标题 &amp; 换行 Bcc: victim@example.org" in html
    assert "Evil &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co Bcc: victim@example.org" in html
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html
    # The plain text shows the titles as written, on one line each.
    text = text_of(message)
    assert "1. " + " ".join(HOSTILE_TITLE_ZH.split()) in text and "   " + " ".join(HOSTILE_TITLE.split()) in text


def test_each_subscriber_gets_the_papers_their_filters_choose(data, smtp_server):
    warehouse, _ = data
    add(warehouse, "fields@example.org", include_fields=["智能体"], include_keywords=["speech"])
    add(warehouse, "chinese@example.org", include_keywords=["扩散"])
    add(warehouse, "exclude@example.org", include_keywords=["agents"], exclude_fields=["语音"])
    add(warehouse, "everything-but@example.org", exclude_keywords=["Diffusion", "语音识别"])
    add(warehouse, "nothing@example.org", include_fields=["机器人"])
    report = run(data, smtp_server)
    assert (report.sent, report.skipped, report.failed) == (4, 1, 0)
    got = {r.rcpt_tos[0]: paper_ids(r.message) for r in smtp_server.wait_for(4)}
    assert got == {
        "fields@example.org": ["2512.00002", "2512.00003"],  # a field, or a keyword as a whole word
        "chinese@example.org": ["2512.00001"],  # a Chinese keyword
        "exclude@example.org": ["2512.00002"],  # "agents" in "LLM agents"
        "everything-but@example.org": ["2512.00002"],  # any case; English and Chinese
    }
    subjects = {r.rcpt_tos[0]: r.message["Subject"] for r in smtp_server.received}
    assert f"{MAIL_DAY} · 为你筛选 2 篇（共 3 篇） · 会规划的智能体" in subjects["fields@example.org"]
    assert "为你筛选 2 篇（今日共 3 篇）" in text_of(smtp_server.received[0].message)
    assert sends(warehouse)["nothing@example.org"] == ("skipped", None, 0, None, 0, None)


def test_keyword_filters_match_whole_words():
    topics = {"a": audience.PaperTopics(frozenset(), ("reagents",)), "b": audience.PaperTopics(frozenset(), ("multi-agent rl",)),
              "c": audience.PaperTopics(frozenset(), ("多智能体",))}
    papers = [issue_paper(1, paper_id="a"), issue_paper(2, paper_id="b"), issue_paper(3, paper_id="c")]
    chosen = lambda **f: [p.paper_id for p in audience.papers_for(subs.make_subscriber("r@example.org", **f), papers, topics)]
    assert chosen(include_keywords=["agent"]) == ["b"]
    assert chosen(include_keywords=["Multi-Agent RL"]) == ["b"]
    assert chosen(include_keywords=["智能体"]) == ["c"]
    assert chosen() == ["a", "b", "c"]
    assert chosen(exclude_keywords=["agent"]) == ["a", "c"]  # "reagents" is not about agents
    assert chosen(include_keywords=["agent*"]) == ["b"]  # a prefix, still at the start of a word


def test_a_rerun_sends_no_one_the_day_twice(data, smtp_server):
    warehouse, _ = data
    add(warehouse, "alice@example.org")
    add(warehouse, "bob@example.org", include_fields=["语音"])
    first = run(data, smtp_server)
    assert (first.sent, first.already_sent) == (2, 0)
    before = sends(warehouse)
    again = run(data, smtp_server)
    assert (again.sent, again.already_sent, again.failed) == (0, 2, 0)
    assert len(smtp_server.received) == 2 and sends(warehouse) == before
    # A subscriber added later gets the day; the others still do not get it again.
    add(warehouse, "carol@example.org")
    later = run(data, smtp_server)
    assert (later.sent, later.already_sent) == (1, 2)
    assert [r.rcpt_tos for r in smtp_server.received] == [["alice@example.org"], ["bob@example.org"], ["carol@example.org"]]
    # Removed and added back: the day was theirs already.
    subs.remove_subscriber(warehouse, "alice@example.org")
    add(warehouse, "alice@example.org")
    assert run(data, smtp_server).sent == 0 and len(smtp_server.received) == 3


def test_a_refused_recipient_fails_alone_and_goes_out_on_the_next_run(data):
    warehouse, _ = data
    for name in ("alice", "bob", "carol"):
        add(warehouse, f"{name}@example.org")
    with SmtpServer(refuse={"bob@example.org"}) as server:
        report = run(data, server)
        assert (report.sent, report.failed) == (2, 1)
        assert report.errors == ["550 5.1.1 <b***@example.org>: Recipient address rejected: User unknown"]
        assert [r.rcpt_tos for r in server.received] == [["alice@example.org"], ["carol@example.org"]]
        recorded = sends(warehouse)
        status, mid, papers, error, attempts, sent_at = recorded["bob@example.org"]
        assert (status, papers, attempts, sent_at) == ("failed", 3, 1, None)
        assert error == "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown"

        server.refuse.clear()
        retry = run(data, server)
        assert (retry.sent, retry.failed, retry.already_sent) == (1, 0, 2)
        assert [r.rcpt_tos for r in server.received][2:] == [["bob@example.org"]]
        assert server.received[2].message["Message-ID"] == mid  # the same mail, tried again
        assert sends(warehouse)["bob@example.org"][:5] == ("sent", mid, 3, None, 2)


def test_a_dropped_connection_fails_that_mail_only(data):
    warehouse, _ = data
    for name in ("alice", "bob", "carol"):
        add(warehouse, f"{name}@example.org")
    with SmtpServer(drop={"alice@example.org"}) as server:
        report = run(data, server)
        assert (report.sent, report.failed) == (2, 1)
        assert report.errors[0].startswith("the connection to 127.0.0.1:")
        assert [r.rcpt_tos for r in server.received] == [["bob@example.org"], ["carol@example.org"]]
        server.drop.clear()
        assert run(data, server).sent == 1
        assert sends(warehouse)["alice@example.org"][0] == "sent"


def test_a_server_that_is_down_is_named_and_every_mail_recorded_failed(data):
    warehouse, layout = data
    add(warehouse, "alice@example.org")
    add(warehouse, "bob@example.org")
    with socket.socket() as closed:  # a port that nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    down = SmtpSettings(host="127.0.0.1", port=port, security="none", mail_from=SENDER, timeout_s=5)
    with pytest.raises(MailServerError) as raised:
        send.mail_days(warehouse, [MAIL_DAY], layout, down, now=lambda: NOW, environ={})
    message = str(raised.value)
    assert f"Cannot reach the SMTP server 127.0.0.1:{port} (none)" in message
    assert "HF_DAILY_SMTP_HOST" in message and "2 mail(s) not sent are recorded as failed" in message
    assert [row[0] for row in sends(warehouse).values()] == ["failed", "failed"]
    with SmtpServer() as server:
        assert run(data, server).sent == 2


def test_the_login_comes_from_the_environment(data):
    warehouse, layout = data
    add(warehouse, "alice@example.org")
    with SmtpServer(logins={"news": "s3cret-pw"}) as server:
        wrong = {"HF_DAILY_SMTP_USER": "news", "HF_DAILY_SMTP_PASSWORD": "wrong-pw"}
        with pytest.raises(MailServerError, match="refused the login of HF_DAILY_SMTP_USER") as raised:
            send.mail_days(warehouse, [MAIL_DAY], layout, settings(server), environ=wrong)
        assert "wrong-pw" not in str(raised.value)
        # The server takes no mail without the login (auth_required).
        with pytest.raises(MailServerError):
            send.mail_days(warehouse, [MAIL_DAY], layout, settings(server), environ={})
        right = {"HF_DAILY_SMTP_USER": "news", "HF_DAILY_SMTP_PASSWORD": "s3cret-pw"}
        assert send.mail_days(warehouse, [MAIL_DAY], layout, settings(server), environ=right).sent == 1
        assert [r.login for r in server.received] == ["news"]
    con = duckdb.connect(str(layout.warehouse), read_only=True)
    try:
        stored = repr(con.execute("SELECT * FROM mail_sends").fetchall() + con.execute("SELECT * FROM subscribers").fetchall())
    finally:
        con.close()
    assert "s3cret" not in stored and "wrong-pw" not in stored


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_a_checked_certificate_and_the_login(data, tmp_path, security):
    warehouse, layout = data
    add(warehouse, "alice@example.org")
    cert = self_signed_certificate(tmp_path)
    login = {"HF_DAILY_SMTP_USER": "news", "HF_DAILY_SMTP_PASSWORD": "s3cret-pw"}
    with SmtpServer(tls=cert, implicit_tls=security == "ssl", logins={"news": "s3cret-pw"}) as server:
        tls = settings(server, security=security)
        # The system's trusted certificates do not include the test's own: the certificate is checked.
        with pytest.raises(MailServerError, match="CERTIFICATE_VERIFY_FAILED"):
            send.mail_days(warehouse, [MAIL_DAY], layout, tls, environ=login)
        mailer = send.Mailer(tls, login, ssl_context=client_context(cert[0]))
        assert send.mail_days(warehouse, [MAIL_DAY], layout, tls, mailer=mailer).sent == 1
        assert [(r.rcpt_tos, r.login) for r in server.received] == [(["alice@example.org"], "news")]


def test_the_password_never_goes_unencrypted_to_another_machine(data):
    warehouse, layout = data
    add(warehouse, "alice@example.org")
    remote = SmtpSettings(host="192.0.2.1", port=25, security="none", mail_from=SENDER, timeout_s=5)
    mailer = send.Mailer(remote, {"HF_DAILY_SMTP_USER": "u", "HF_DAILY_SMTP_PASSWORD": "p"})
    with pytest.raises(MailServerError, match="Refusing to send the SMTP password unencrypted"):
        mailer._login(object(), "192.0.2.1")


def test_a_mail_a_stopped_run_may_have_sent_is_not_sent_again_until_released(data, smtp_server):
    warehouse, _ = data
    add(warehouse, "alice@example.org")
    # A run claimed the mail and stopped before recording the server's answer.
    with warehouse.connect() as con:
        claim = subs.claim_send(con, MAIL_DAY, "alice@example.org", "<m@example.org>", 3)
    report = run(data, smtp_server)
    assert (report.sent, report.uncertain) == (0, [(MAIL_DAY, "<m@example.org>")])
    assert smtp_server.received == []
    assert subs.release_send(warehouse, MAIL_DAY, "alice@example.org") == "sending"
    assert run(data, smtp_server).sent == 1
    assert smtp_server.received[0].message["Message-ID"] == claim.message_id == "<m@example.org>"
    assert sends(warehouse)["alice@example.org"][4] == 2  # two attempts


def test_no_subscribers_and_no_papers():
    issue = make_issue(papers=[], hot_fields=[])
    assert render.subject(issue) == "Hugging Face 每日论文速递 · 2025-12-26 · 0 篇论文"
    assert "今天没有新论文" in render.render_html(issue) and "今天没有新论文" in render.render_text(issue)


def test_links_are_http_only_and_settings_are_checked():
    paper = issue_paper(1, hf_url="javascript:alert(1)", github_repo="https://github.com/a/b?x=<1>")
    html = render.render_html(make_issue(paper), web_url="javascript:alert(2)", unsubscribe="javascript:alert(3)")
    assert "javascript:" not in html and 'href="https://github.com/a/b?x=%3C1%3E"' in html
    for bad, fix in ((dict(security="tls"), "HF_DAILY_SMTP_SECURITY"), (dict(host=" "), "HF_DAILY_SMTP_HOST"),
                     (dict(mail_from=""), "HF_DAILY_MAIL_FROM"), (dict(mail_from="not an address"), "HF_DAILY_MAIL_FROM")):
        with pytest.raises(MailConfigError, match=fix):
            SmtpSettings(**{"host": "smtp.example.org", "mail_from": SENDER} | bad)
    assert SmtpSettings(host="smtp.example.org", mail_from="a@b.org", security="ssl").address == ("smtp.example.org", 465)
    for bad in ("alice", "alice@", "Alice <a@b.org>", "a b@c.org", "a@b.org\r\nBcc: c@d.org"):
        with pytest.raises(subs.SubscriberError):
            subs.normalize_email(bad)
