"""The issue model: a day's papers as every channel shows them, read from the warehouse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from hf_daily import warehouse as wh
from hf_daily.core.layout import DataLayout


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


@dataclass(frozen=True)
class IssueSummary:
    """One issue as the index page and the feed show it (a row of newsletter_issues and its titles)."""
    day: dt.date
    paper_count: int
    hot_fields: Sequence[str] = ()
    titles: Sequence[str] = ()  # in the issue's order, Chinese where translated
    audio_bytes: int | None = None  # size of ../audio/YYYY-MM-DD.mp3 when it exists: the feed's enclosure


def build_issues(warehouse: wh.Warehouse, days: Sequence[dt.date], layout: DataLayout) -> dict[dt.date, Issue]:
    """The days' issues (papers by upvotes, hot fields, chart links), read in one connection."""
    with warehouse.connect() as con:
        papers = con.execute(
            """SELECT p.day, p.paper_id, p.title, t.title_zh, t.abstract_zh, p.hf_url, p.arxiv_url, p.github_repo,
                      p.project_page, p.upvotes, coalesce(o.fullname, o.name) AS organization,
                      (SELECT list(a.name ORDER BY a.position) FROM authors a
                        WHERE a.day = p.day AND a.paper_id = p.paper_id) AS authors,
                      (SELECT list(DISTINCT e.day ORDER BY e.day) FROM papers e
                        WHERE e.paper_id = p.paper_id AND e.day < p.day) AS previously_featured
               FROM papers p
               LEFT JOIN paper_translations t USING (day, paper_id)
               LEFT JOIN organizations o USING (organization_id)
               WHERE p.day IN (SELECT unnest(?)) ORDER BY p.day, p.upvotes DESC, p.rank""",
            [list(days)],
        ).fetchall()
        hot = con.execute("SELECT day, field, papers FROM hot_fields WHERE day IN (SELECT unnest(?)) "
                          "ORDER BY day, rank", [list(days)]).fetchall()
    papers_of: dict[dt.date, list[IssuePaper]] = {day: [] for day in days}
    for (day, pid, title, title_zh, abstract_zh, hf, arxiv, repo, page, upvotes, org, authors,
         previous) in papers:
        papers_of[day].append(IssuePaper(
            paper_id=pid, title=title, title_zh=title_zh or "", abstract_zh=abstract_zh or "", hf_url=hf,
            arxiv_url=arxiv, github_repo=repo, project_page=page, upvotes=upvotes, organization=org,
            authors=list(authors or []), previously_featured=list(previous or []),
        ))
    hot_of: dict[dt.date, list[tuple[str, int]]] = {day: [] for day in days}
    for day, name, n in hot:
        hot_of[day].append((name, n))

    def from_issue(path) -> str | None:
        return layout.link(path, layout.issues) if path.exists() else None

    return {day: Issue(day=day, papers=papers_of[day], hot_fields=hot_of[day],
                       word_cloud=from_issue(layout.word_cloud(day)), trend_chart=from_issue(layout.trend_chart(day)))
            for day in days}


def read_issue_summaries(warehouse: wh.Warehouse, layout: DataLayout) -> list[IssueSummary]:
    """Every issue in newsletter_issues, newest first, with its titles in the issue's order."""
    with warehouse.connect() as con:
        rows = con.execute(
            """SELECT i.day, i.paper_count, i.hot_fields,
                      (SELECT list(coalesce(nullif(t.title_zh, ''), p.title) ORDER BY p.upvotes DESC, p.rank)
                         FROM papers p LEFT JOIN paper_translations t ON t.day = p.day AND t.paper_id = p.paper_id
                        WHERE p.day = i.day) AS titles
               FROM newsletter_issues i ORDER BY i.day DESC""").fetchall()
    summaries = []
    for day, count, fields, titles in rows:
        audio = layout.audio(day)
        summaries.append(IssueSummary(day, count, list(fields or []), list(titles or []),
                                      audio.stat().st_size if audio.is_file() else None))
    return summaries
