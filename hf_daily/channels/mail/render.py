"""A day's issue as a mail: HTML that mail clients show, its charts as related parts, and a plain-text twin.

Mail clients drop <style> elements and <head> CSS (Gmail, Outlook) and run no scripts: every style is
inline, the layout is tables of fixed width, and the charts travel inside the mail as image parts the
HTML names by Content-ID (cid:), so they show without fetching anything remote.

The message is built the way Python's email package documents it (EmailMessage with add_alternative and
add_related):

    multipart/alternative
      text/plain                  the plain-text version
      multipart/related
        text/html                 the mail, <img src="cid:...">
        image/png                 trend chart  (Content-ID)
        image/png                 word cloud   (Content-ID)

Titles, abstracts and names come from the public: Jinja2 escapes them in the HTML, links are kept only
when they are http(s), and every header goes through email.headerregistry under policy SMTP, which
refuses CR or LF in a value (and plain_text has taken them out before).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

import jinja2

from hf_daily.core.display import (MACHINE_TRANSLATED, NO_PAPERS, SITE_TITLE, TREND_ALT, TREND_HEADING, http_href,
                                   long_date, plain_text)
from hf_daily.core.layout import DataLayout
from hf_daily.steps.issue import Issue, IssuePaper

WORD_CLOUD_HEADING = "关键词词云"
# Longest first title the subject carries, in characters (the count and date come first).
SUBJECT_TITLE_CHARS = 40
AUTHORS_SHOWN = 6


@dataclass(frozen=True)
class MailImage:
    """A chart carried inside the mail, shown where the HTML says cid:<content_id>."""
    content_id: str  # without the angle brackets
    data: bytes
    filename: str
    heading: str
    alt: str


def chart_images(layout: DataLayout, day: dt.date, domain: str) -> list[MailImage]:
    """The day's charts that exist, word cloud first (as in the issue)."""
    images = []
    for name, path, heading, alt in (
        ("wordcloud", layout.word_cloud(day), WORD_CLOUD_HEADING, f"{day.isoformat()} 关键词词云"),
        ("trend", layout.trend_chart(day), TREND_HEADING, f"{day.isoformat()} {TREND_ALT}"),
    ):
        if path.is_file():
            images.append(MailImage(f"{name}.{day.isoformat()}@{domain}", path.read_bytes(), path.name, heading, alt))
    return images


def message_id(day: dt.date, email: str, domain: str) -> str:
    """The day's mail to one reader, named the same on every attempt (so a resend is recognisably the same mail);
    a hash, not the address, so the header does not spread it."""
    token = hashlib.sha256(f"{day.isoformat()}\0{email}".encode()).hexdigest()[:20]
    return f"<hf-daily.{day.isoformat()}.{token}@{domain}>"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def subject(issue: Issue, total: int | None = None) -> str:
    """'Hugging Face 每日论文速递 · 2025-12-26 · 3 篇论文 · <first title>': one line, whatever the titles hold."""
    count = len(issue.papers)
    parts = [SITE_TITLE, issue.day.isoformat(),
             f"{count} 篇论文" if total in (None, count) else f"为你筛选 {count} 篇（共 {total} 篇）"]
    if issue.papers:
        first = issue.papers[0]
        parts.append(_clip(plain_text(first.title_zh) or plain_text(first.title), SUBJECT_TITLE_CHARS))
    return plain_text(" · ".join(parts))


# --- the HTML ------------------------------------------------------------------------------------

_FONT = ("-apple-system,BlinkMacSystemFont,'PingFang SC','Hiragino Sans GB','Noto Sans SC','Noto Sans CJK SC',"
         "'Microsoft YaHei',sans-serif")

_HTML = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{{ title }}</title>
</head>
<body style="margin:0;padding:0;background:#f5f6fa;color:#1c202a;font-family:{{ font }};">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f5f6fa" style="background:#f5f6fa;">
<tr><td align="center" style="padding:16px 8px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;">
<tr><td bgcolor="#1f3a93" style="background:#1f3a93;color:#ffffff;padding:20px 24px;border-bottom:6px solid #ff9900;border-radius:14px 14px 0 0;">
<p style="margin:0;font-size:22px;line-height:1.3;font-weight:bold;color:#ffffff;">{{ site_title }}</p>
<p style="margin:6px 0 0;font-size:15px;color:#dfe6ff;">{{ issue.day|long_date }}</p>
<p class="count" style="margin:6px 0 0;font-size:15px;color:#ffffff;">{% if filtered %}为你筛选 <strong>{{ issue.papers|length }}</strong> 篇（今日共 {{ total }} 篇）{% else %}今日共 <strong>{{ issue.papers|length }}</strong> 篇论文{% endif %}</p>
{% if issue.hot_fields %}
<p style="margin:10px 0 0;font-size:14px;line-height:1.9;">{% for name, n in issue.hot_fields %}<span style="display:inline-block;background:#3e5cbe;color:#ffffff;border-radius:999px;padding:0 10px;margin:0 4px 4px 0;">{{ name|clean }} {{ n }}</span>{% endfor %}</p>
{% endif %}
{% if web_url %}<p style="margin:8px 0 0;font-size:13px;"><a href="{{ web_url }}" style="color:#dfe6ff;">在浏览器中查看</a></p>{% endif %}
</td></tr>
<tr><td bgcolor="#ffffff" style="background:#ffffff;padding:8px 24px 16px;border-radius:0 0 14px 14px;">
{% if not issue.papers %}<p style="font-size:16px;line-height:1.7;">{{ no_papers }}</p>{% endif %}
{% for paper in issue.papers %}
<table role="presentation" class="paper" width="100%" cellpadding="0" cellspacing="0" border="0"{% if not loop.first %} style="border-top:1px solid #e0e5f0;"{% endif %}>
<tr><td style="padding:16px 0 12px;">
<p style="margin:0 0 4px;font-size:18px;line-height:1.45;font-weight:bold;color:#1c202a;"><span style="display:inline-block;min-width:26px;height:26px;line-height:26px;text-align:center;border-radius:13px;background:#1f3a93;color:#ffffff;font-size:14px;margin-right:6px;">{{ loop.index }}</span>{{ (paper.title_zh or paper.title)|clean }}</p>
{% if paper.title_zh %}<p lang="en" style="margin:0 0 4px;font-size:14px;line-height:1.5;color:#6e7687;">{{ paper.title|clean }}</p>{% endif %}
<p style="margin:0 0 6px;font-size:13px;line-height:1.6;color:#6e7687;">赞 {{ paper.upvotes|int }}
{%- if paper.organization %} · 机构：{{ paper.organization|clean }}{% endif %}
{%- if paper.authors %} · 作者：{{ paper.authors[:authors_shown]|map("clean")|join(", ") }}{% if paper.authors|length > authors_shown %} 等 {{ paper.authors|length }} 人{% endif %}{% endif %}</p>
{% if paper.abstract_zh %}<p style="margin:0 0 8px;font-size:15px;line-height:1.7;color:#1c202a;">{{ paper.abstract_zh|clean }}</p>{% endif %}
<p style="margin:0;font-size:14px;">
{%- for label, url in [("HuggingFace", paper.hf_url), ("arXiv", paper.arxiv_url), ("代码", paper.github_repo), ("项目主页", paper.project_page)] %}
{%- set href = url|http_href %}{% if href %}<a href="{{ href }}" style="color:#1f3a93;margin-right:14px;">{{ label }}</a>{% endif %}
{%- endfor %}</p>
</td></tr>
</table>
{% endfor %}
{% for image in images %}
<p style="margin:18px 0 6px;font-size:17px;font-weight:bold;color:#1c202a;">{{ image.heading }}</p>
<img src="cid:{{ image.content_id }}" alt="{{ image.alt }}" width="552" style="display:block;width:100%;max-width:552px;height:auto;border:0;border-radius:8px;">
{% endfor %}
</td></tr>
<tr><td align="center" style="padding:14px 8px;font-size:12px;line-height:1.6;color:#6e7687;">
{{ machine_translated }}，以原文为准<br>
{% if unsubscribe_href %}<a href="{{ unsubscribe_href }}" style="color:#6e7687;">退订</a>{% else %}如需退订，请回复本邮件{% endif %}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_ENV.filters.update(clean=plain_text, http_href=http_href, long_date=long_date)
_ENV.globals.update(site_title=SITE_TITLE, no_papers=NO_PAPERS, machine_translated=MACHINE_TRANSLATED,
                    font=_FONT, authors_shown=AUTHORS_SHOWN)
_TEMPLATE = _ENV.from_string(_HTML)


def _unsubscribe_href(unsubscribe: str | None) -> str | None:
    if unsubscribe and unsubscribe.lower().startswith("mailto:") and "\n" not in unsubscribe and "\r" not in unsubscribe:
        return unsubscribe
    return http_href(unsubscribe)


def render_html(issue: Issue, images: Sequence[MailImage] = (), *, total: int | None = None,
                web_url: str | None = None, unsubscribe: str | None = None) -> str:
    """The mail's HTML; ``total`` is the day's paper count when the subscriber's filters chose fewer."""
    total = len(issue.papers) if total is None else total
    return _TEMPLATE.render(issue=issue, images=images, total=total, filtered=total != len(issue.papers),
                            title=subject(issue, total), web_url=http_href(web_url),
                            unsubscribe_href=_unsubscribe_href(unsubscribe))


# --- the plain text ------------------------------------------------------------------------------

def _text_paper(number: int, paper: IssuePaper) -> list[str]:
    lines = [f"{number}. {plain_text(paper.title_zh) or plain_text(paper.title)}"]
    if paper.title_zh:
        lines.append(f"   {plain_text(paper.title)}")
    meta = [f"赞 {int(paper.upvotes)}"]
    if paper.organization:
        meta.append(f"机构：{plain_text(paper.organization)}")
    if paper.authors:
        shown = ", ".join(plain_text(a) for a in paper.authors[:AUTHORS_SHOWN])
        meta.append(f"作者：{shown}" + (f" 等 {len(paper.authors)} 人" if len(paper.authors) > AUTHORS_SHOWN else ""))
    lines.append("   " + " · ".join(meta))
    if paper.abstract_zh:
        lines.append(f"   {plain_text(paper.abstract_zh)}")
    for label, url in (("HuggingFace", paper.hf_url), ("arXiv", paper.arxiv_url), ("代码", paper.github_repo),
                       ("项目主页", paper.project_page)):
        href = http_href(url)
        if href:
            lines.append(f"   {label}：{href}")
    return lines + [""]


def render_text(issue: Issue, *, total: int | None = None, web_url: str | None = None,
                unsubscribe: str | None = None) -> str:
    """The mail as plain text, for clients that show no HTML."""
    count = len(issue.papers)
    total = count if total is None else total
    head = f"为你筛选 {count} 篇（今日共 {total} 篇）" if total != count else f"今日共 {count} 篇论文"
    if issue.hot_fields:
        head += " · 热门领域：" + "、".join(f"{plain_text(name)}（{n}）" for name, n in issue.hot_fields)
    lines = [SITE_TITLE, long_date(issue.day), head, ""]
    if http_href(web_url):
        lines += [f"在浏览器中查看：{http_href(web_url)}", ""]
    if not issue.papers:
        lines += [NO_PAPERS, ""]
    for number, paper in enumerate(issue.papers, start=1):
        lines += _text_paper(number, paper)
    lines.append(f"-- \n{MACHINE_TRANSLATED}，以原文为准")
    href = _unsubscribe_href(unsubscribe)
    lines.append(f"退订：{href}" if href else "如需退订，请回复本邮件")
    return "\n".join(lines) + "\n"


# --- the message ---------------------------------------------------------------------------------

def build_message(issue: Issue, *, sender: Address, to: Address, message_id: str, date: dt.datetime,
                  images: Sequence[MailImage] = (), total: int | None = None, web_url: str | None = None,
                  unsubscribe: str | None = None) -> EmailMessage:
    """The whole mail, ready for smtplib's send_message."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject(issue, total)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    href = _unsubscribe_href(unsubscribe)
    if href:
        message["List-Unsubscribe"] = f"<{href}>"
    message.set_content(render_text(issue, total=total, web_url=web_url, unsubscribe=unsubscribe))
    message.add_alternative(render_html(issue, images, total=total, web_url=web_url, unsubscribe=unsubscribe),
                            subtype="html")
    html = message.get_payload()[1]
    for image in images:
        html.add_related(image.data, "image", "png", cid=f"<{image.content_id}>", filename=image.filename,
                         disposition="inline")
    return message
