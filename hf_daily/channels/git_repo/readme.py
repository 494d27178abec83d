"""What the git channel writes besides the day's files: the repository README, the commit messages and the
site branch's front page.

The README is the latest issue with papers (a weekend's empty issue would greet readers with nothing)
followed by the index of every issue in the repository, newest first.
The issue's links are relative to issues/; the README sits at the root, so each relative link is rebased
onto it, and links keep working on any git host (and in a clone on disk).
"""

from __future__ import annotations

import datetime as dt
import html
import posixpath
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from hf_daily.channels.markdown import escape_markdown
from hf_daily.core.display import MACHINE_TRANSLATED, SITE_TITLE, long_date, plain_text
from hf_daily.core.layout import DataLayout
from hf_daily.steps.issue import IssueSummary
from hf_daily.steps.weekly import WeeklySummary

README = "README.md"
LATEST_HEADING = "最新一期"
INDEX_HEADING = "往期目录"

# A link or image target: ']' (not escaped: an even run of backslashes before it) directly followed by '('.
# Untrusted text is escaped by channels.markdown, so its brackets and parentheses never match.
_LINK = re.compile(r"(?<!\\)((?:\\\\)*\]\()([^()\s]+)(\))")
_HEADING = re.compile(r"^(#{1,5}) ", re.MULTILINE)


def rebase_links(markdown: str, folder: str) -> str:
    """``markdown`` written for a file in ``folder`` (relative to the root), its relative links made relative to
    the root instead; URLs, anchors and absolute paths stay as they are."""

    def rebase(match: re.Match) -> str:
        target = match.group(2)
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or target.startswith(("/", "#")):
            return match.group(0)
        rebased = posixpath.normpath(posixpath.join(folder, parts.path))
        if rebased == ".." or rebased.startswith("../"):
            return match.group(0)  # outside the repository: nothing to point at
        suffix = (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
        return f"{match.group(1)}{rebased}{suffix}{match.group(3)}"

    return _LINK.sub(rebase, markdown)


def _summary_line(repo: DataLayout, day: dt.date, summary: IssueSummary | None) -> str:
    line = f"[{long_date(day)}]({repo.link(repo.issue(day), repo.root)})"
    if summary is not None:
        line += f" · {summary.paper_count} 篇论文"
        if summary.hot_fields:
            line += " · " + "、".join(escape_markdown(field) for field in summary.hot_fields)
    return line


def render_readme(repo: DataLayout, issues: Mapping[dt.date, str], summaries: Mapping[dt.date, IssueSummary]) -> str:
    """The README at ``repo``'s root, for the ``issues`` it holds (day -> the Markdown of issues/YYYY-MM-DD.md).

    ``summaries`` add each day's paper count and hot fields to the index; a day without one (published by
    another checkout, say) is listed by its date alone.
    """
    lines = [f"# {SITE_TITLE}", "", MACHINE_TRANSLATED, ""]
    days = sorted(issues, reverse=True)
    if not days:
        return "\n".join(lines + ["还没有发布任何一期。", ""])
    # A day without a summary is one published elsewhere: taken to have papers.
    latest = next((day for day in days if day not in summaries or summaries[day].paper_count), days[0])
    lines += [f"**{LATEST_HEADING}**：{_summary_line(repo, latest, summaries.get(latest))}", "", "---", ""]
    # One level down, so that the README keeps a single top heading.
    body = _HEADING.sub(r"#\1 ", rebase_links(issues[latest], repo.link(repo.issues, repo.root))).strip()
    lines += [body, "", "---", "", f"## {INDEX_HEADING}", ""]
    lines += [f"- {_summary_line(repo, day, summaries.get(day))}" for day in days]
    return "\n".join(lines) + "\n"


def commit_message(kind: str, day: dt.date, summary: IssueSummary | None) -> str:
    """'issue 2025-12-26: 6 papers': the day and its paper count, on one line whatever ``kind`` holds."""
    count = "" if summary is None else f": {summary.paper_count} paper{'' if summary.paper_count == 1 else 's'}"
    return plain_text(f"{kind} {day.isoformat()}{count}") + "\n"


def weekly_commit_message(kind: str, week: WeeklySummary) -> str:
    """'weekly 2025-W52: 64 papers'."""
    return plain_text(f"{kind} {week.name}: {week.paper_count} paper{'' if week.paper_count == 1 else 's'}") + "\n"


def render_site_front(index: str) -> str:
    """The site branch's root page: pages hosts serve the branch's root, the site lives in site/."""
    target = html.escape(index, quote=True)
    return (f'<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta http-equiv="refresh" content="0; url={target}"><link rel="canonical" href="{target}">'
            f'<title>{html.escape(SITE_TITLE)}</title></head>\n'
            f'<body><p><a href="{target}">{html.escape(SITE_TITLE)}</a></p></body></html>\n')
