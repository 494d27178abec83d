"""The weekly digest model: a week's top papers by their latest upvotes, its hot fields and keywords.

Weeks run Monday to Sunday (a week is named by its Monday, and by its ISO week, 2025-W52, in files).
A paper featured on two days of the week counts once, under its latest day's title and translation.
Upvotes are each paper's latest snapshot (the ``latest_upvotes`` view): a digest made after the day+7
refresh ranks by settled upvotes, and says whether it was (``settled``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from hf_daily import warehouse as wh
from hf_daily.core.constants import SETTLED_AFTER_DAYS, WEEKLY_TOP_PAPERS
from hf_daily.core.weeks import monday_of, week_name
from hf_daily.steps.fields import FIELDS
from hf_daily.steps.issue import IssuePaper

WEEKLY_HOT_FIELDS = 5
WEEKLY_KEYWORDS = 10
_FIELD_ORDER = {f.name: i for i, f in enumerate(FIELDS)}


class WeeklyDigestError(ValueError):
    """A week's digest cannot be made from the warehouse; the message says what to run first."""


@dataclass(frozen=True)
class Week:
    week: dt.date  # the Monday

    @property
    def name(self) -> str:
        return week_name(self.week)

    @property
    def sunday(self) -> dt.date:
        return self.week + dt.timedelta(days=6)


@dataclass(frozen=True)
class WeeklyDigest(Week):
    days: Sequence[tuple[dt.date, int]]  # each fetched day of the week and its papers
    paper_count: int  # distinct papers featured that week
    papers: Sequence[IssuePaper]  # the top papers, by latest upvotes
    featured_on: dict[str, Sequence[dt.date]]  # paper id -> the week's days it was featured
    hot_fields: Sequence[tuple[str, int]]  # (field, distinct papers)
    keywords_zh: Sequence[tuple[str, int]]
    keywords_en: Sequence[tuple[str, int]]
    upvotes_as_of: dt.datetime | None
    settled: bool


@dataclass(frozen=True)
class WeeklySummary(Week):
    """A digest as the weekly feed shows it: a row of weekly_digests and its papers' titles."""
    paper_count: int
    hot_fields: Sequence[str]
    titles: Sequence[str]  # the digest's papers, in its order, Chinese where translated


def build_digest(con, week: dt.date, top: int = WEEKLY_TOP_PAPERS) -> WeeklyDigest:
    """The week's digest from the warehouse (an open connection); raises WeeklyDigestError when none of its
    days has been fetched."""
    if week.weekday() != 0:
        raise WeeklyDigestError(f"{week} is a {week:%A}: a week is named by its Monday ({monday_of(week)})")
    sunday = week + dt.timedelta(days=6)
    span = [week, sunday]
    fetched = con.execute(
        """SELECT r.day, max(r.fetched_at), (SELECT count(*) FROM papers p WHERE p.day = r.day)
           FROM raw_responses r WHERE r.day BETWEEN ? AND ? GROUP BY r.day ORDER BY r.day""", span).fetchall()
    if not fetched:
        raise WeeklyDigestError(
            f"{week_name(week)} ({week} .. {sunday}): no day of this week is in the warehouse; materialize its days "
            f"first (hf-daily materialize {week} {sunday}, or the daily assets in the UI), then the digest")
    rows = con.execute(
        """WITH week AS (
               SELECT *, row_number() OVER (PARTITION BY paper_id ORDER BY day DESC) AS newest
               FROM papers WHERE day BETWEEN ? AND ?)
           SELECT w.paper_id, w.title, t.title_zh, t.abstract_zh, w.hf_url, w.arxiv_url, w.github_repo,
                  w.project_page, coalesce(u.upvotes, w.upvotes) AS upvotes,
                  coalesce(o.fullname, o.name) AS organization,
                  (SELECT list(a.name ORDER BY a.position) FROM authors a
                    WHERE a.day = w.day AND a.paper_id = w.paper_id) AS authors,
                  (SELECT list(DISTINCT d.day ORDER BY d.day) FROM papers d
                    WHERE d.paper_id = w.paper_id AND d.day BETWEEN ? AND ?) AS days,
                  u.fetched_at
           FROM week w
           LEFT JOIN paper_translations t ON t.day = w.day AND t.paper_id = w.paper_id
           LEFT JOIN latest_upvotes u ON u.paper_id = w.paper_id
           LEFT JOIN organizations o ON o.organization_id = w.organization_id
           WHERE w.newest = 1
           ORDER BY upvotes DESC, w.paper_id""", span + span).fetchall()
    fields = con.execute("SELECT field, count(DISTINCT paper_id) FROM paper_fields WHERE day BETWEEN ? AND ? "
                         "GROUP BY field", span).fetchall()
    keywords = con.execute(
        """SELECT lang, CASE WHEN lang = 'en' THEN lower(keyword) ELSE keyword END AS word, count(DISTINCT paper_id) AS n
           FROM paper_keywords WHERE day BETWEEN ? AND ? GROUP BY ALL ORDER BY n DESC, word""", span).fetchall()
    papers = [IssuePaper(paper_id=pid, title=title, title_zh=title_zh or "", abstract_zh=abstract_zh or "", hf_url=hf,
                         arxiv_url=arxiv, github_repo=repo, project_page=page, upvotes=upvotes, organization=org,
                         authors=list(authors or []))
              for pid, title, title_zh, abstract_zh, hf, arxiv, repo, page, upvotes, org, authors, _, _ in rows[:top]]
    snapshots = [row[-1] for row in rows if row[-1] is not None]
    # A day without papers has no upvotes to move (and a re-fetch equal to the last is not kept).
    settled = all(last >= dt.datetime.combine(day, dt.time()) + dt.timedelta(days=SETTLED_AFTER_DAYS)
                  for day, last, n in fetched if n)
    hot = sorted(((name, n) for name, n in fields if n), key=lambda f: (-f[1], _FIELD_ORDER.get(f[0], 99), f[0]))
    return WeeklyDigest(
        week=week, days=[(day, n) for day, _, n in fetched], paper_count=len(rows), papers=papers,
        featured_on={row[0]: list(row[-2]) for row in rows[:top]}, hot_fields=hot[:WEEKLY_HOT_FIELDS],
        keywords_zh=[(w, n) for lang, w, n in keywords if lang == "zh"][:WEEKLY_KEYWORDS],
        keywords_en=[(w, n) for lang, w, n in keywords if lang == "en"][:WEEKLY_KEYWORDS],
        upvotes_as_of=max(snapshots) if snapshots else None, settled=settled,
    )


def build_digests(warehouse: wh.Warehouse, weeks: Sequence[dt.date]) -> dict[dt.date, WeeklyDigest]:
    """The weeks' digests, read in one connection."""
    with warehouse.connect() as con:
        return {week: build_digest(con, week) for week in weeks}


def week_paper_ids(warehouse: wh.Warehouse, week: dt.date) -> set[str]:
    """Every paper featured on a day of the week, as the warehouse holds it."""
    with warehouse.connect(read_only=True) as con:
        rows = con.execute("SELECT DISTINCT paper_id FROM papers WHERE day BETWEEN ? AND ?",
                           [week, week + dt.timedelta(days=6)]).fetchall()
    return {pid for (pid,) in rows}


def read_weekly_summaries(warehouse: wh.Warehouse) -> list[WeeklySummary]:
    """Every digest in weekly_digests, newest first, as it was made (its papers in its order)."""
    with warehouse.connect() as con:
        digests = con.execute("SELECT week, paper_count, hot_fields, top_papers FROM weekly_digests "
                              "ORDER BY week DESC").fetchall()
        titles = con.execute(
            """SELECT d.week, p.paper_id, arg_max(coalesce(nullif(t.title_zh, ''), p.title), p.day)
               FROM weekly_digests d JOIN papers p ON p.day BETWEEN d.week AND d.week + 6
                    AND list_contains(d.top_papers, p.paper_id)
               LEFT JOIN paper_translations t ON t.day = p.day AND t.paper_id = p.paper_id
               GROUP BY d.week, p.paper_id""").fetchall()
    title_of = {(week, pid): title for week, pid, title in titles}
    return [WeeklySummary(week, count, list(fields), [title_of.get((week, pid), pid) for pid in top])
            for week, count, fields, top in digests]
