"""The mail_issue asset: nothing without a server; with one, each subscriber mailed once and counted, never named."""

import dagster as dg
import pytest

from hf_daily.defs.mail import assets as mail_assets
from hf_daily.defs.resources import MailResource, StorageResource, resource_config
from hf_daily.warehouse import subscribers as subs
from hf_daily_tests.factories import MAIL_DAY, mail_warehouse, metadata
from hf_daily_tests.smtp import SmtpServer


def materialize(data_dir, mail: MailResource, instance, run_config=None):
    return dg.materialize([mail_assets.mail_issue], instance=instance, partition_key=MAIL_DAY.isoformat(),
                          resources={"storage": StorageResource(data_dir=str(data_dir)), "mail": mail},
                          run_config=run_config)


def test_without_a_server_nothing_is_sent_and_the_run_says_so(tmp_path, instance):
    result = materialize(tmp_path, MailResource(), instance)
    assert metadata(result, "mail_issue", [MAIL_DAY]) == {"days": MAIL_DAY.isoformat(), "configured": False}
    assert not (tmp_path / "warehouse.duckdb").exists()  # not even opened


def test_each_subscriber_is_mailed_once_and_only_counted(tmp_path, instance, smtp_server, monkeypatch):
    warehouse = mail_warehouse(tmp_path)
    subs.add_subscriber(warehouse, subs.make_subscriber("alice@example.org"))
    subs.add_subscriber(warehouse, subs.make_subscriber("bob@example.org", include_fields=["机器人"]))
    monkeypatch.setenv("HF_DAILY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HF_DAILY_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("HF_DAILY_SMTP_SECURITY", "none")
    monkeypatch.setenv("HF_DAILY_MAIL_FROM", "news@example.org")
    monkeypatch.setenv("HF_DAILY_SITE_URL", "https://example.org/hf-daily/site/")
    # The environment's settings as run config, the way hf-daily materialize hands them to the job.
    run_config = {"resources": {"mail": {"config": resource_config("mail")}}}
    mail = MailResource()
    first = metadata(materialize(tmp_path, mail, instance, run_config), "mail_issue", [MAIL_DAY])
    assert first == {"days": MAIL_DAY.isoformat(), "configured": True, "server": f"127.0.0.1:{smtp_server.port} (none)",
                     "subscribers": 2, "sent": 1, "skipped": 1, "failed": 0, "already_sent": 0, "uncertain": 0}
    again = metadata(materialize(tmp_path, mail, instance, run_config), "mail_issue", [MAIL_DAY])
    assert (again["sent"], again["already_sent"], again["skipped"]) == (0, 1, 1)
    [received] = smtp_server.received
    assert f'href="https://example.org/hf-daily/site/{MAIL_DAY}.html"' in received.message.get_body(("html",)).get_content()
    assert "alice" not in repr(first) + repr(again)


def test_a_server_that_is_down_fails_the_asset_with_the_fix(tmp_path, instance):
    warehouse = mail_warehouse(tmp_path)
    subs.add_subscriber(warehouse, subs.make_subscriber("alice@example.org"))
    mail = MailResource(host="127.0.0.1", port=1, security="none", mail_from="news@example.org")
    with pytest.raises(Exception, match=r"Cannot reach the SMTP server 127\.0\.0\.1:1 \(none\)"):
        materialize(tmp_path, mail, instance)


def test_no_setting_of_the_mail_resource_holds_a_secret(monkeypatch):
    """Run config is shown in the UI and stored with every run: the login stays in the environment."""
    assert sorted(MailResource.model_fields) == ["host", "mail_from", "port", "security", "timeout_s", "unsubscribe"]
    monkeypatch.setenv("HF_DAILY_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("HF_DAILY_SMTP_USER", "news-login")
    monkeypatch.setenv("HF_DAILY_SMTP_PASSWORD", "s3cret-pw")
    config = resource_config("mail")
    assert config == {"host": "smtp.example.org"} and "s3cret" not in repr(MailResource(**config))


def test_the_login_is_read_from_the_environment_and_recorded_nowhere(tmp_path, instance, monkeypatch):
    warehouse = mail_warehouse(tmp_path)
    subs.add_subscriber(warehouse, subs.make_subscriber("alice@example.org"))
    monkeypatch.setenv("HF_DAILY_SMTP_USER", "news")
    monkeypatch.setenv("HF_DAILY_SMTP_PASSWORD", "s3cret-pw")
    with SmtpServer(logins={"news": "s3cret-pw"}) as server:
        mail = MailResource(host="127.0.0.1", port=server.port, security="none", mail_from="news@example.org")
        result = materialize(tmp_path, mail, instance)
        assert [r.login for r in server.received] == ["news"]
    records = repr([entry.dagster_event or entry.user_message for entry in instance.all_logs(result.run_id)])
    records += repr(instance.get_run_by_id(result.run_id))
    assert "s3cret" not in records and "alice" not in records
    assert metadata(result, "mail_issue", [MAIL_DAY])["sent"] == 1
