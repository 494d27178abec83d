"""Render a day's issue as Markdown.

Titles, abstracts and names come from the public: every piece of that text is
escaped so that it shows as written and can never become a link, an image,
HTML or a heading. Links come from URLs we build or have checked to be http(s).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

# Characters that can start Markdown or HTML syntax in the middle of a line. CommonMark lets any
# ASCII punctuation be backslash-escaped; the ones left out ('.', '-', ',', ...) are only special at
# the start of a line, and untrusted text never starts a line here.

import pandas as pd

from hf_daily import warehouse as wh
from hf_daily.channels.registry import delivery_links
from hf_daily.core.display import NO_PAPERS, SITE_TITLE, TREND_ALT, TREND_HEADING, plain_text, safe_url
from hf_daily.core.files import write_atomically
from hf_daily.core.layout import DataLayout
from hf_daily.steps.issue import Issue, IssuePaper, build_issues

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#|~!&$^])")


def escape_markdown(text: str | None) -> str:
    """One line of literal Markdown text: plain_text with its syntax escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain_text(text))


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


def paper_lines(number: int, paper: IssuePaper, featured: str = "") -> list[str]:
    """A paper's section of an issue or a digest: its titles, upvotes, names, abstract and links. ``featured``
    (Markdown we wrote) says when it was on Daily Papers; by default, the earlier days it was."""
    lines = [
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
    if featured:
        meta.append(featured)
    elif paper.previously_featured:
        meta.append("曾于 " + "、".join(d.isoformat() for d in paper.previously_featured) + " 上榜")
    lines += [" · ".join(meta), ""]
    lines += [f"**摘要**：{escape_markdown(paper.abstract_zh)}", ""]
    lines += [_links(paper), ""]
    return lines


def render_issue(issue: Issue) -> str:
    day = issue.day.isoformat()
    lines = [f"# {SITE_TITLE} · {day}", ""]
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
        lines += [NO_PAPERS, ""]
    for number, paper in enumerate(issue.papers, start=1):
        lines += paper_lines(number, paper)
    lines += ["---", ""]
    if issue.word_cloud:
        lines += ["## 关键词词云", "", f"![{day} 关键词词云]({quote(issue.word_cloud)})", ""]
    if issue.trend_chart:
        lines += [f"## {TREND_HEADING}", "", f"![{day} {TREND_ALT}]({quote(issue.trend_chart)})", ""]
    return "\n".join(lines).rstrip() + "\n"


def issue_days(warehouse: wh.Warehouse, days: Sequence[dt.date], layout: DataLayout,
               ) -> dict[dt.date, tuple[Path, str, Issue]]:
    issues = build_issues(warehouse, days, layout)
    out, rows = {}, []
    for day, issue in issues.items():
        issue = dataclasses.replace(issue, extra_links=delivery_links(layout, day))
        markdown = render_issue(issue)
        path = write_atomically(layout.issue(day), markdown)
        out[day] = (path, markdown, issue)
        rows.append({"day": day, "paper_count": len(issue.papers), "hot_fields": [n for n, _ in issue.hot_fields],
                     "path": str(path), "markdown": markdown})
    with warehouse.connect() as con:
        wh.replace_days(con, list(days), {
            "newsletter_issues": pd.DataFrame(rows, columns=wh.TABLES["newsletter_issues"].column_names)})
    return out
