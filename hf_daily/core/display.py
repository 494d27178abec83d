"""How text is shown to readers in every format: invisible characters dropped, links checked."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from hf_daily.core.constants import TREND_DAYS

_WHITESPACE = re.compile(r"\s+")
# Bidirectional controls (U+061C, the Arabic letter mark, among them) can make text display in a
# different order than it is stored; C0 and C1 controls (but NEL, a line break) have no business in an
# issue; noncharacters and lone surrogates are illegal in XML (the feed).
_INVISIBLE = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\u061c\u200b-\u200f"
                        "\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]")


def plain_text(text: object) -> str:
    """One line of text, as shown to readers in any format: invisible characters dropped, whitespace collapsed."""
    return _WHITESPACE.sub(" ", _INVISIBLE.sub("", str(text or ""))).strip()


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit to place inside Markdown link parentheses, or None."""
    if not url or not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
        return None
    # Parentheses, spaces and angle brackets would end or break the link target.
    return quote(url, safe=":/?#@!$&'*+,;=%~.-_[]")


def http_href(url: str | None) -> str | None:
    """An absolute http(s) URL from the data, cleaned and percent-encoded; None for anything else
    (javascript:, data:, relative)."""
    return safe_url(plain_text(url) if url else None)


# The Chinese text every format shares.
SITE_TITLE = "Hugging Face 每日论文速递"
WEEKLY_TITLE = "Hugging Face 每周论文精选"
NO_PAPERS = "今天没有新论文（周末和节假日通常如此）。"
NO_PAPERS_THIS_WEEK = "本周没有论文。"
MACHINE_TRANSLATED = "数据来自 Hugging Face Daily Papers · 中文由机器翻译"
TREND_HEADING = f"近 {TREND_DAYS} 天论文数"
TREND_ALT = f"近 {TREND_DAYS} 天每日论文数"
_WEEKDAYS = "一二三四五六日"


def weekday(day: dt.date) -> str:
    """星期一 .. 星期日."""
    return f"星期{_WEEKDAYS[day.weekday()]}"


def long_date(day: dt.date) -> str:
    """2025 年 12 月 26 日 · 星期五: the date as every written format shows it."""
    return f"{day.year} 年 {day.month} 月 {day.day} 日 · {weekday(day)}"


def short_date(day: dt.date) -> str:
    """12 月 26 日: a day inside a week or a month already named."""
    return f"{day.month} 月 {day.day} 日"


def week_span(monday: dt.date) -> str:
    """2025 年 12 月 22 日至 28 日: the days of a week, as the weekly digest's heading shows them."""
    sunday = monday + dt.timedelta(days=6)
    end = f"{sunday.day} 日" if sunday.month == monday.month else short_date(sunday)
    end = f"{sunday.year} 年 {end}" if sunday.year != monday.year else end
    return f"{monday.year} 年 {short_date(monday)}至 {end}"


def featured_days(days) -> str:
    """上榜：12 月 22 日、12 月 23 日: the days of a week a paper was on Daily Papers."""
    return "上榜：" + "、".join(short_date(d) for d in days)
