"""SQL views over the warehouse, and the named reports of ``hf-daily report``.

The views read the tables of :mod:`hf_daily.warehouse` and hold no data of their own,
so they are always as fresh as the last materialization. Upvotes come from each paper's
latest snapshot (``latest_upvotes``): a day re-fetched a week later moves its papers up
the leaderboards without its earlier snapshots being lost.

Weeks start on Monday (``week`` is that Monday as a DATE; ``iso_week`` reads ``2025-W52``).
Per-week counts count each paper once per week even when it was featured on two days of it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class View:
    name: str
    description: str
    sql: str


_WEEK = "CAST(date_trunc('week', {day}) AS DATE)"
_ISO_WEEK = "strftime({day}, '%G-W%V')"


def _week(day: str = "day") -> str:
    return _WEEK.format(day=day)


def _iso(day: str = "week") -> str:
    return _ISO_WEEK.format(day=day)


# In dependency order: a view only reads tables and the views above it.
VIEWS: list[View] = [
    View("latest_upvotes", "Each paper's latest upvote snapshot, over every fetch of every day it was featured.", """
        SELECT paper_id, day, fetched_at, upvotes, num_comments,
               count(*) OVER (PARTITION BY paper_id) AS snapshots,
               upvotes - last_value(upvotes) OVER (
                   PARTITION BY paper_id ORDER BY fetched_at DESC, day DESC
                   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS upvotes_gained
        FROM upvote_snapshots
        -- Archive files copied together share a modification time: the later day breaks the tie.
        QUALIFY row_number() OVER (PARTITION BY paper_id ORDER BY fetched_at DESC, day DESC) = 1
    """),
    View("paper_overview", "One row per paper: its latest details, the days it was featured and its latest upvotes.", """
        SELECT p.paper_id, p.title, p.first_day, p.last_day, p.days_featured, p.organization_id,
               p.github_repo, p.github_stars, p.project_page,
               coalesce(u.upvotes, p.day_upvotes) AS upvotes,
               coalesce(u.num_comments, p.day_comments) AS num_comments
        FROM (
            SELECT paper_id, arg_max(title, day) AS title, min(day) AS first_day, max(day) AS last_day,
                   count(*) AS days_featured, arg_max(organization_id, day) AS organization_id,
                   -- arg_max skips NULLs: a repository or page that appeared on any day counts.
                   arg_max(github_repo, day) AS github_repo, arg_max(github_stars, day) AS github_stars,
                   arg_max(project_page, day) AS project_page,
                   arg_max(upvotes, day) AS day_upvotes, arg_max(num_comments, day) AS day_comments
            FROM papers GROUP BY paper_id
        ) p LEFT JOIN latest_upvotes u USING (paper_id)
    """),
    View("papers_per_day", "Papers featured each fetched day; a fetched day without papers shows 0, a day never fetched is absent.", f"""
        SELECT d.day, strftime(d.day, '%a') AS weekday, {_week('d.day')} AS week,
               coalesce(p.papers, 0) AS papers, coalesce(p.with_code, 0) AS with_code,
               coalesce(p.upvotes, 0) AS upvotes
        FROM (SELECT DISTINCT day FROM raw_responses UNION SELECT DISTINCT day FROM papers) d
        LEFT JOIN (SELECT day, count(*) AS papers, count(github_repo) AS with_code, sum(upvotes) AS upvotes
                   FROM papers GROUP BY day) p USING (day)
    """),
    View("papers_per_week", "Papers per week: listings (a paper featured twice counts twice) and distinct papers.", f"""
        SELECT d.week, {_iso()} AS iso_week, count(*) AS days, sum(d.papers) AS papers,
               coalesce(any_value(w.distinct_papers), 0) AS distinct_papers,
               round(avg(d.papers), 1) AS papers_per_day
        FROM papers_per_day d
        LEFT JOIN (SELECT {_week()} AS week, count(DISTINCT paper_id) AS distinct_papers
                   FROM papers GROUP BY ALL) w USING (week)
        GROUP BY d.week
    """),
    View("keyword_trends_weekly", "Papers per keyword per week (English keywords lower-cased), ranked within the week.", f"""
        SELECT k.week, {_iso('k.week')} AS iso_week, k.lang, k.keyword, k.papers,
               round(100.0 * k.papers / w.papers, 1) AS share_pct,
               rank() OVER (PARTITION BY k.week, k.lang ORDER BY k.papers DESC) AS rank
        FROM (SELECT {_week()} AS week, lang, lower(keyword) AS keyword, count(DISTINCT paper_id) AS papers
              FROM paper_keywords GROUP BY ALL) k
        JOIN (SELECT {_week()} AS week, count(DISTINCT paper_id) AS papers FROM papers GROUP BY ALL) w USING (week)
    """),
    View("hot_field_trends_weekly", "Papers per research field per week, and on how many of the week's days the field was a hot field.", f"""
        SELECT f.week, {_iso('f.week')} AS iso_week, f.field, f.papers,
               round(100.0 * f.papers / w.papers, 1) AS share_pct,
               coalesce(h.days_hot, 0) AS days_hot,
               rank() OVER (PARTITION BY f.week ORDER BY f.papers DESC) AS rank
        FROM (SELECT {_week()} AS week, field, count(DISTINCT paper_id) AS papers FROM paper_fields GROUP BY ALL) f
        JOIN (SELECT {_week()} AS week, count(DISTINCT paper_id) AS papers FROM papers GROUP BY ALL) w USING (week)
        LEFT JOIN (SELECT {_week()} AS week, field, count(*) AS days_hot FROM hot_fields GROUP BY ALL) h
            USING (week, field)
    """),
    View("rising_keywords",
         "This week's keyword counts against the trailing four weeks, as a z-score (σ floored at 1 paper); "
         "only weeks whose four previous weeks are all in the warehouse.", f"""
        WITH weekly AS (SELECT week, lang, keyword, papers FROM keyword_trends_weekly),
        data_weeks AS (SELECT DISTINCT {_week()} AS week FROM papers),
        trail AS (
            SELECT c.week, c.lang, c.keyword, c.papers, coalesce(p.papers, 0) AS past
            FROM weekly c
            JOIN data_weeks t ON t.week BETWEEN c.week - 28 AND c.week - 7
            LEFT JOIN weekly p ON p.week = t.week AND p.lang = c.lang AND p.keyword = c.keyword
        )
        SELECT week, {_iso()} AS iso_week, lang, keyword, any_value(papers) AS papers,
               round(avg(past), 2) AS trailing_mean, round(stddev_pop(past), 2) AS trailing_std,
               -- A floor of one paper: a keyword absent for four weeks and in 5 papers now scores 5, not infinity.
               round((any_value(papers) - avg(past)) / greatest(stddev_pop(past), 1.0), 2) AS z_score
        FROM trail GROUP BY week, lang, keyword HAVING count(*) = 4
    """),
    View("organization_leaderboard", "Organizations by distinct papers featured, then by their latest upvotes.", """
        SELECT rank() OVER (ORDER BY count(*) DESC, sum(p.upvotes) DESC) AS rank,
               p.organization_id, coalesce(o.fullname, o.name, p.organization_id) AS organization,
               count(*) AS papers, sum(p.upvotes) AS upvotes, round(avg(p.upvotes), 1) AS mean_upvotes,
               count(p.github_repo) AS with_code, min(p.first_day) AS first_day, max(p.last_day) AS last_day
        FROM paper_overview p LEFT JOIN organizations o USING (organization_id)
        WHERE p.organization_id IS NOT NULL
        GROUP BY p.organization_id, o.fullname, o.name
    """),
    View("code_share", "Share of each week's papers with a code repository, and with a project page.", f"""
        SELECT f.week, {_iso('f.week')} AS iso_week, count(*) AS papers,
               count(o.github_repo) AS with_code, round(100.0 * count(o.github_repo) / count(*), 1) AS code_share_pct,
               count(o.project_page) AS with_project_page,
               round(100.0 * count(o.project_page) / count(*), 1) AS project_page_pct
        FROM (SELECT DISTINCT {_week()} AS week, paper_id FROM papers) f JOIN paper_overview o USING (paper_id)
        GROUP BY f.week
    """),
    View("upvote_distribution", "Distinct papers by their latest upvotes, in buckets.", """
        SELECT b.bucket_order, b.bucket, count(p.paper_id) AS papers,
               round(100.0 * count(p.paper_id) / nullif(sum(count(p.paper_id)) OVER (), 0), 1) AS share_pct,
               round(100.0 * sum(count(p.paper_id)) OVER (ORDER BY b.bucket_order)
                     / nullif(sum(count(p.paper_id)) OVER (), 0), 1) AS cumulative_pct
        FROM (VALUES (1, '0', 0, 0), (2, '1-4', 1, 4), (3, '5-9', 5, 9), (4, '10-19', 10, 19),
                     (5, '20-49', 20, 49), (6, '50-99', 50, 99), (7, '100+', 100, NULL))
             AS b(bucket_order, bucket, low, high)
        LEFT JOIN paper_overview p ON p.upvotes >= b.low AND (b.high IS NULL OR p.upvotes <= b.high)
        GROUP BY b.bucket_order, b.bucket
    """),
    View("upvote_stats_weekly", "Latest upvotes of each week's papers: mean and quantiles.", f"""
        SELECT f.week, {_iso('f.week')} AS iso_week, count(*) AS papers, round(avg(o.upvotes), 1) AS mean,
               quantile_disc(o.upvotes, 0.25) AS p25, quantile_disc(o.upvotes, 0.5) AS median,
               quantile_disc(o.upvotes, 0.75) AS p75, quantile_disc(o.upvotes, 0.9) AS p90, max(o.upvotes) AS max
        FROM (SELECT DISTINCT {_week()} AS week, paper_id FROM papers) f JOIN paper_overview o USING (paper_id)
        GROUP BY f.week
    """),
    View("top_papers_weekly", "Each week's ten most upvoted papers (latest upvotes).", f"""
        SELECT f.week, {_iso('f.week')} AS iso_week,
               row_number() OVER (PARTITION BY f.week ORDER BY o.upvotes DESC, f.paper_id) AS rank,
               f.paper_id, o.title, o.upvotes, f.featured_on,
               coalesce(g.fullname, g.name) AS organization
        FROM (SELECT {_week()} AS week, paper_id, min(day) AS featured_on FROM papers GROUP BY ALL) f
        JOIN paper_overview o USING (paper_id)
        LEFT JOIN organizations g USING (organization_id)
        QUALIFY rank <= 10
    """),
    View("repeat_papers", "Papers featured on more than one day (the issue marks them 'previously featured').", """
        SELECT p.paper_id, o.title, count(*) AS days_featured, min(p.day) AS first_day, max(p.day) AS last_day,
               list(p.day ORDER BY p.day) AS days, o.upvotes
        FROM papers p JOIN paper_overview o USING (paper_id)
        GROUP BY p.paper_id, o.title, o.upvotes
        HAVING count(*) > 1
    """),
]

VIEW_NAMES = [v.name for v in VIEWS]
# Changes whenever a view's SQL does, so an older warehouse gets the new views on its next write.
VIEWS_VERSION = hashlib.sha256("\n".join(v.name + v.sql for v in VIEWS).encode()).hexdigest()[:12]
_MARK = f"[hf-daily views {VIEWS_VERSION}]"


def create_views(con: duckdb.DuckDBPyConnection, temporary: bool = False) -> None:
    """(Re)create every view; ``temporary`` ones live only in this connection, which works read-only too."""
    kind = "TEMPORARY VIEW" if temporary else "VIEW"
    for view in VIEWS:
        con.execute(f"CREATE OR REPLACE {kind} {view.name} AS {view.sql}")
        if not temporary:
            description = f"{view.description} {_MARK}".replace("'", "''")
            con.execute(f"COMMENT ON VIEW {view.name} IS '{description}'")


def views_current(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE NOT temporary AND view_name IN (SELECT unnest(?)) "
        "AND ends_with(comment, ?)", [VIEW_NAMES, _MARK],
    ).fetchone()[0]
    return found == len(VIEWS)


def ensure_views(con: duckdb.DuckDBPyConnection, read_only: bool = False) -> None:
    """Make this code's views available: stored ones when a writer can update them, else temporary ones."""
    if views_current(con):
        return
    if read_only:
        create_views(con, temporary=True)
        return
    con.begin()
    try:
        create_views(con)
        con.commit()
    except Exception:
        con.rollback()
        raise


# --- named reports -------------------------------------------------------------------------------

REPORTS: dict[str, tuple[str, str]] = {
    "papers_per_day": ("Papers per fetched day, with code and upvotes.",
                       "SELECT day, weekday, papers, with_code, upvotes FROM papers_per_day ORDER BY day"),
    "papers_per_week": ("Papers per week.",
                        "SELECT iso_week, week, days, papers, distinct_papers, papers_per_day "
                        "FROM papers_per_week ORDER BY week"),
    "keywords": ("The five leading English keywords of each week.",
                 "SELECT iso_week, rank, keyword, papers, share_pct FROM keyword_trends_weekly "
                 "WHERE lang = 'en' AND rank <= 5 ORDER BY week, rank, keyword"),
    "hot_fields": ("The three leading research fields of each week.",
                   "SELECT iso_week, rank, field, papers, share_pct, days_hot FROM hot_field_trends_weekly "
                   "WHERE rank <= 3 ORDER BY week, rank, field"),
    "rising": ("The five fastest-rising English keywords (in 3+ papers) of each of the last four weeks "
               "that have four weeks of history.",
               "SELECT iso_week, keyword, papers, trailing_mean, trailing_std, z_score FROM rising_keywords "
               "WHERE lang = 'en' AND papers >= 3 AND z_score > 0 AND week >= (SELECT max(week) - 21 FROM rising_keywords) "
               "QUALIFY row_number() OVER (PARTITION BY week ORDER BY z_score DESC, papers DESC, keyword) <= 5 "
               "ORDER BY week, z_score DESC, papers DESC, keyword"),
    "organizations": ("The 20 organizations with most papers.",
                      "SELECT rank, organization, papers, upvotes, mean_upvotes, with_code, first_day, last_day "
                      "FROM organization_leaderboard ORDER BY rank, organization LIMIT 20"),
    "code_share": ("Share of each week's papers with code and with a project page.",
                   "SELECT iso_week, papers, with_code, code_share_pct, with_project_page, project_page_pct "
                   "FROM code_share ORDER BY week"),
    "upvotes": ("Distinct papers by latest upvotes.",
                "SELECT bucket, papers, share_pct, cumulative_pct FROM upvote_distribution ORDER BY bucket_order"),
    "upvotes_weekly": ("Upvote mean and quantiles per week.",
                       "SELECT iso_week, papers, mean, p25, median, p75, p90, max FROM upvote_stats_weekly "
                       "ORDER BY week"),
    "top_papers": ("The three most upvoted papers of each week.",
                   "SELECT iso_week, rank, paper_id, upvotes, featured_on, title FROM top_papers_weekly "
                   "WHERE rank <= 3 ORDER BY week, rank"),
    "repeat_papers": ("Papers featured on more than one day.",
                      "SELECT paper_id, days_featured, first_day, last_day, upvotes, title FROM repeat_papers "
                      "ORDER BY days_featured DESC, first_day, paper_id"),
}
