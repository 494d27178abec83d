"""A received mail in a real browser (Debian's Chromium, as hf_daily_tests.browser drives it): the HTML part, its
cid: images replaced by the image parts themselves as data: URIs, as a mail client shows them."""

import base64
import os
import re
from pathlib import Path

import pytest

from hf_daily.channels.mail import send
from hf_daily.channels.mail.smtp import SmtpSettings
from hf_daily.core.layout import DataLayout
from hf_daily.warehouse import subscribers as subs
from hf_daily_tests.browser import launch_chromium, missing_reason
from hf_daily_tests.factories import MAIL_DAY, MAIL_PAPERS, mail_warehouse

if missing_reason():
    pytest.skip(missing_reason(), allow_module_level=True)


def inline_images(message) -> str:
    """The HTML part with each cid: reference replaced by its related part, as a data: URI."""
    html = message.get_body(("html",)).get_content()
    parts = {part["Content-ID"].strip("<>"): part for part in message.walk() if part["Content-ID"]}
    assert parts, "the mail carries no images"

    def data_uri(match):
        part = parts[match.group(1)]
        return f'src="data:{part.get_content_type()};base64,{base64.b64encode(part.get_content()).decode()}"'

    return re.sub(r'src="cid:([^"]+)"', data_uri, html)


@pytest.mark.parametrize("width", [390, 1000])
def test_a_received_mail_shows_its_papers_and_charts(tmp_path, smtp_server, width):
    warehouse = mail_warehouse(tmp_path)
    subs.add_subscriber(warehouse, subs.make_subscriber("alice@example.org"))
    settings = SmtpSettings(host="127.0.0.1", port=smtp_server.port, security="none", mail_from="news@example.org")
    assert send.mail_days(warehouse, [MAIL_DAY], DataLayout(tmp_path), settings, environ={}).sent == 1
    [received] = smtp_server.wait_for(1)
    html = inline_images(received.message)

    with launch_chromium() as browser:
        context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=True)
        page = context.new_page()
        dialogs, errors = [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        # Mail clients allow no network: anything the mail tried to fetch would show up here.
        requests = []
        page.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
        page.set_content(html, wait_until="load")
        page.wait_for_function("[...document.images].every(i => i.complete)", timeout=10_000)

        text = " ".join(page.inner_text("body").split())
        for _, _, title, title_zh, *_ in MAIL_PAPERS:
            assert " ".join(title_zh.split()) in text and " ".join(title.split()) in text
        assert "今日共 3 篇论文" in text
        sizes = page.evaluate("[...document.images].map(i => [i.naturalWidth, i.naturalHeight])")
        assert sizes == [[100, 50], [120, 60]]  # the word cloud, then the trend chart
        assert page.evaluate("document.scripts.length") == 0 and dialogs == [] and errors == []
        assert requests == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # readable on a phone
        if os.environ.get("HF_DAILY_SCREENSHOTS"):  # keep it to look at: HF_DAILY_SCREENSHOTS=/some/folder
            page.screenshot(path=str(Path(os.environ["HF_DAILY_SCREENSHOTS"]) / f"mail-{width}.png"), full_page=True)
        context.close()
