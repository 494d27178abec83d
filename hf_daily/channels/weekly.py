"""The weekly digest: Markdown (data/weekly/2025-W52.md and its row of weekly_digests), a page of the
site (data/site/2025-W52.html) and an entry of the weekly feed (data/site/weekly.xml).

The page is rendered by channels.site and the feed by channels.feed, with the daily issue's escaping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from hf_daily import warehouse as wh
from hf_daily.channels import feed, site
from hf_daily.channels.markdown import escape_markdown, paper_lines
from hf_daily.core.display import NO_PAPERS_THIS_WEEK, WEEKLY_TITLE, featured_days, short_date, week_span, weekday
from hf_daily.core.files import write_atomically
from hf_daily.core.layout import DataLayout
from hf_daily.steps.weekly import WeeklyDigest, build_digests, read_weekly_summaries

def counted(items: Sequence[tuple[str, int]]) -> str:
    return "、".join(f"{escape_markdown(name)}（{n}）" for name, n in items)


def upvotes_note(digest: WeeklyDigest) -> str:
    """When the ranking's upvotes were taken, and whether they can still move."""
    when = f"赞数截至 {digest.upvotes_as_of:%Y-%m-%d %H:%M} UTC" if digest.upvotes_as_of else "赞数取自上榜当天"
    return when + ("（每天上榜 7 天后再次抓取，排名已定）" if digest.settled else "（部分论文上榜未满 7 天，赞数和排名仍会变化）")


def render_weekly(digest: WeeklyDigest, issue_links: dict[dt.date, str] | None = None) -> str:
    """The digest in Markdown. ``issue_links``: each day's issue, relative to the digest, where it exists."""
    issue_links = issue_links or {}
    lines = [f"# {WEEKLY_TITLE} · {digest.name}", "",
             f"{week_span(digest.week)} · 本周 {len(digest.days)} 天共 **{digest.paper_count}** 篇论文", ""]
    if digest.hot_fields:
        lines += [f"热门领域：{counted(digest.hot_fields)}", ""]
    if digest.keywords_zh:
        lines += [f"热门关键词：{counted(digest.keywords_zh)}", ""]
    if digest.keywords_en:
        lines += [f"英文关键词：{counted(digest.keywords_en)}", ""]
    daily = []
    for day, n in digest.days:
        label = f"{short_date(day)} · {weekday(day)}（{n} 篇）"
        daily.append(f"[{label}]({quote(issue_links[day])})" if day in issue_links else label)
    lines += ["每日一期：" + " · ".join(daily), "", upvotes_note(digest), ""]
    if not digest.papers:
        lines += [NO_PAPERS_THIS_WEEK, ""]
    else:
        lines += [f"## 本周赞数最高的 {len(digest.papers)} 篇", ""]
    for number, paper in enumerate(digest.papers, start=1):
        lines += paper_lines(number, paper, featured_days(digest.featured_on[paper.paper_id]))
    return "\n".join(lines).rstrip() + "\n"


def weekly_digest_weeks(warehouse: wh.Warehouse, weeks: Sequence[dt.date], layout: DataLayout,
                        ) -> dict[dt.date, tuple[Path, str, WeeklyDigest]]:
    """Write each week's Markdown digest, then replace the weeks' rows of weekly_digests in one transaction."""
    out, rows = {}, []
    for week, digest in build_digests(warehouse, weeks).items():
        links = {day: layout.link(layout.issue(day), layout.weekly) for day, _ in digest.days
                 if layout.issue(day).is_file()}
        markdown = render_weekly(digest, links)
        path = write_atomically(layout.weekly_issue(week), markdown)
        out[week] = (path, markdown, digest)
        rows.append({"week": week, "iso_week": digest.name, "days": len(digest.days),
                     "paper_count": digest.paper_count, "top_papers": [p.paper_id for p in digest.papers],
                     "hot_fields": [name for name, _ in digest.hot_fields],
                     "keywords": [word for word, _ in digest.keywords_zh], "upvotes_as_of": digest.upvotes_as_of,
                     "settled": digest.settled, "path": str(path), "markdown": markdown})
    with warehouse.connect() as con:
        wh.upsert(con, "weekly_digests", pd.DataFrame(rows, columns=wh.TABLES["weekly_digests"].column_names))
    return out


@dataclass
class WeeklySiteReport:
    pages: dict[dt.date, Path]
    feed: Path
    weeks: int


def publish_weekly_pages(warehouse: wh.Warehouse, weeks: Sequence[dt.date], layout: DataLayout,
                         site_url: str = "") -> WeeklySiteReport:
    """Write the weeks' pages (site/2025-W52.html), then the weekly feed from every digest in the warehouse."""
    pages = {}
    for week, digest in build_digests(warehouse, weeks).items():
        daily = {day: layout.link(layout.page(day), layout.site) for day, _ in digest.days if layout.page(day).is_file()}
        pages[week] = write_atomically(layout.weekly_page(week),
                                       site.render_weekly_page(digest, daily, upvotes_note(digest)))
    summaries = read_weekly_summaries(warehouse)
    feed_path = write_atomically(layout.weekly_feed, feed.render_weekly_feed(summaries, site_url))
    site.write_index(warehouse, layout)  # it lists the newest digests
    return WeeklySiteReport(pages, feed_path, len(summaries))
