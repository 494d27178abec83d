"""Render a day's issue as Markdown.

Titles, abstracts and names come from the public: every piece of that text is
escaped so that it shows as written and can never become a link, an image,
HTML or a heading. Links come from URLs we build or have checked to be http(s).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

# Characters that can start Markdown or HTML syntax in the middle of a line. CommonMark lets any
# ASCII punctuation be backslash-escaped; the ones left out ('.', '-', ',', ...) are only special at
# the start of a line, and untrusted text never starts a line here.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#|~!&$^])")
_WHITESPACE = re.compile(r"\s+")
# Bidirectional controls (U+061C, the Arabic letter mark, among them) can make text display in a
# different order than it is stored; C0 and C1 controls (but NEL, a line break) have no business in an
# issue; noncharacters and lone surrogates are illegal in XML (the feed).
_INVISIBLE = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\u061c\u200b-\u200f"
                        "\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]")


def plain_text(text: object) -> str:
    """One line of text, as shown to readers in any format: invisible characters dropped, whitespace collapsed."""
    return _WHITESPACE.sub(" ", _INVISIBLE.sub("", str(text or ""))).strip()


def escape_markdown(text: str | None) -> str:
    """One line of literal Markdown text: plain_text with its syntax escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain_text(text))


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit to place inside Markdown link parentheses, or None."""
    if not url or not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
        return None
    # Parentheses, spaces and angle brackets would end or break the link target.
    return quote(url, safe=":/?#@!$&'*+,;=%~.-_[]")


@dataclass(frozen=True)
class IssuePaper:
    paper_id: str
    title: str
    title_zh: str
    abstract_zh: str
    hf_url: str
    arxiv_url: str | None = None
    github_repo: str | None = None
    project_page: str | None = None
    upvotes: int = 0
    organization: str | None = None
    authors: Sequence[str] = ()
    previously_featured: Sequence[dt.date] = ()


@dataclass(frozen=True)
class Issue:
    day: dt.date
    papers: Sequence[IssuePaper]
    hot_fields: Sequence[tuple[str, int]]
    word_cloud: str | None = None  # image paths relative to the Markdown file
    trend_chart: str | None = None
    extra_links: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (label, relative path or URL)


def _authors_line(authors: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(escape_markdown(a) for a in authors[:limit])
    if len(authors) > limit:
        shown += f" 等 {len(authors)} 人"
    return shown


def _links(paper: IssuePaper) -> str:
    candidates = [
        ("HuggingFace", paper.hf_url),
        ("arXiv", paper.arxiv_url),
        ("代码", paper.github_repo),
        ("项目主页", paper.project_page),
    ]
    return " · ".join(f"[{label}]({url})" for label, url in ((l, safe_url(u)) for l, u in candidates) if url)


def render_issue(issue: Issue) -> str:
    day = issue.day.isoformat()
    lines = [f"# Hugging Face 每日论文速递 · {day}", ""]
    count = len(issue.papers)
    if issue.hot_fields:
        fields = "、".join(f"{escape_markdown(name)}（{n}）" for name, n in issue.hot_fields)
        lines.append(f"今日共 **{count}** 篇论文 · 热门领域：{fields}")
    else:
        lines.append(f"今日共 **{count}** 篇论文")
    links = [f"[{escape_markdown(label)}]({quote(target, safe=':/?#@!$&*+,;=%~.-_')})"
             for label, target in issue.extra_links
             # Relative paths of our own files, or http(s): never another scheme.
             if safe_url(target) or not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)]
    if links:
        lines += ["", " · ".join(links)]
    lines.append("")
    if not issue.papers:
        lines += ["今天没有新论文（周末和节假日通常如此）。", ""]
    for number, paper in enumerate(issue.papers, start=1):
        lines += [
            "---",
            "",
            f"## {number}. {escape_markdown(paper.title_zh) or escape_markdown(paper.title)}",
            "",
            f"**原标题**：{escape_markdown(paper.title)}",
            "",
        ]
        meta = [f"👍 {int(paper.upvotes)}"]
        if paper.organization:
            meta.append(f"机构：{escape_markdown(paper.organization)}")
        if paper.authors:
            meta.append(f"作者：{_authors_line(paper.authors)}")
        if paper.previously_featured:
            meta.append("曾于 " + "、".join(d.isoformat() for d in paper.previously_featured) + " 上榜")
        lines += [" · ".join(meta), ""]
        lines += [f"**摘要**：{escape_markdown(paper.abstract_zh)}", ""]
        lines += [_links(paper), ""]
    lines += ["---", ""]
    if issue.word_cloud:
        lines += ["## 关键词词云", "", f"![{day} 关键词词云]({quote(issue.word_cloud)})", ""]
    if issue.trend_chart:
        lines += ["## 近 30 天论文数", "", f"![{day} 近 30 天每日论文数]({quote(issue.trend_chart)})", ""]
    return "\n".join(lines).rstrip() + "\n"
