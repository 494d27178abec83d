"""Each analytics view against a small handwritten warehouse whose answers can be worked out by hand.

The warehouse, and the table of what it holds, are hf_daily_tests.factories.analytics_warehouse.
"""

from __future__ import annotations

import pytest

from hf_daily import warehouse as wh
from hf_daily.warehouse import views as analytics
from hf_daily_tests.factories import W48, W49, W50, W51, W52, D, analytics_warehouse

@pytest.fixture(scope="module")
def con(tmp_path_factory):
    warehouse = analytics_warehouse(tmp_path_factory.mktemp("analytics") / "warehouse.duckdb")
    with warehouse.connect(read_only=True) as connection:
        yield connection


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_latest_upvotes_takes_each_papers_newest_snapshot(con):
    assert rows(con, "SELECT paper_id, day, upvotes, snapshots, upvotes_gained FROM latest_upvotes ORDER BY 1") == [
        ("A", D("2025-11-24"), 10, 2, 7), ("B", D("2025-12-01"), 5, 1, 0), ("C", D("2025-12-08"), 7, 1, 0),
        ("D", D("2025-12-15"), 0, 1, 0), ("E", D("2025-12-23"), 25, 2, 5), ("F", D("2025-12-22"), 120, 1, 0),
        ("G", D("2025-12-23"), 50, 1, 0),
    ]


def test_paper_overview_keeps_the_latest_details(con):
    assert rows(con, "SELECT paper_id, first_day, last_day, days_featured, github_repo, upvotes FROM paper_overview "
                     "WHERE paper_id IN ('A', 'E') ORDER BY 1") == [
        ("A", D("2025-11-24"), D("2025-11-24"), 1, "https://github.com/a/a", 10),
        ("E", D("2025-12-22"), D("2025-12-23"), 2, "https://github.com/e/e", 25),
    ]


def test_papers_per_day_counts_fetched_empty_days_as_zero(con):
    assert rows(con, "SELECT day, weekday, week, papers, with_code, upvotes FROM papers_per_day ORDER BY day") == [
        (D("2025-11-24"), "Mon", W48, 1, 1, 3), (D("2025-12-01"), "Mon", W49, 1, 0, 5),
        (D("2025-12-08"), "Mon", W50, 1, 1, 7), (D("2025-12-15"), "Mon", W51, 1, 0, 0),
        (D("2025-12-22"), "Mon", W52, 2, 0, 140), (D("2025-12-23"), "Tue", W52, 2, 1, 75),
        (D("2025-12-27"), "Sat", W52, 0, 0, 0),
    ]


def test_papers_per_week_counts_listings_and_distinct_papers(con):
    assert rows(con, "SELECT week, iso_week, days, papers, distinct_papers, papers_per_day FROM papers_per_week "
                     "ORDER BY week") == [
        (W48, "2025-W48", 1, 1, 1, 1.0), (W49, "2025-W49", 1, 1, 1, 1.0), (W50, "2025-W50", 1, 1, 1, 1.0),
        (W51, "2025-W51", 1, 1, 1, 1.0), (W52, "2025-W52", 3, 4, 3, 1.3),
    ]


def test_keyword_trends_count_distinct_papers_case_insensitively(con):
    assert rows(con, "SELECT lang, keyword, papers, share_pct, rank FROM keyword_trends_weekly WHERE week = '2025-12-22' "
                     "ORDER BY lang, rank, keyword") == [
        ("en", "agents", 3, 100.0, 1), ("en", "diffusion", 1, 33.3, 2), ("en", "robots", 1, 33.3, 2),
        ("zh", "智能体", 1, 33.3, 1),
    ]
    assert rows(con, "SELECT week, papers FROM keyword_trends_weekly WHERE keyword = 'agents' ORDER BY week") == [
        (W48, 1), (W49, 1), (W50, 1), (W51, 1), (W52, 3)]


def test_hot_field_trends(con):
    assert rows(con, "SELECT week, field, papers, share_pct, days_hot, rank FROM hot_field_trends_weekly "
                     "ORDER BY week, rank, field") == [
        (W48, "多模态", 1, 100.0, 0, 1),
        (W52, "多模态", 2, 66.7, 2, 1), (W52, "智能体", 2, 66.7, 1, 1),
    ]


def test_rising_keywords_score_this_week_against_the_four_before(con):
    # Only W52 has four earlier weeks. agents: 3 now against 1, 1, 1, 1 (σ 0, floored at 1) -> 2.0;
    # robots: 1 against 1, 1, 0, 0 (mean 0.5, σ 0.5 -> 1) -> 0.5; diffusion and 智能体: 1 against nothing -> 1.0.
    assert rows(con, "SELECT week, lang, keyword, papers, trailing_mean, trailing_std, z_score FROM rising_keywords "
                     "ORDER BY lang, z_score DESC, keyword") == [
        (W52, "en", "agents", 3, 1.0, 0.0, 2.0), (W52, "en", "diffusion", 1, 0.0, 0.0, 1.0),
        (W52, "en", "robots", 1, 0.5, 0.5, 0.5), (W52, "zh", "智能体", 1, 0.0, 0.0, 1.0),
    ]


def test_organization_leaderboard(con):
    assert rows(con, "SELECT rank, organization_id, organization, papers, upvotes, mean_upvotes, with_code, "
                     "first_day, last_day FROM organization_leaderboard ORDER BY rank") == [
        (1, "o1", "Org One", 3, 135, 45.0, 1, D("2025-11-24"), D("2025-12-22")),
        (2, "o2", "two", 3, 82, 27.3, 2, D("2025-12-08"), D("2025-12-23")),
    ]


def test_code_share_per_week(con):
    # E's repository appeared on its second day: it counts as a paper with code.
    assert rows(con, "SELECT week, papers, with_code, code_share_pct FROM code_share ORDER BY week") == [
        (W48, 1, 1, 100.0), (W49, 1, 0, 0.0), (W50, 1, 1, 100.0), (W51, 1, 0, 0.0), (W52, 3, 1, 33.3)]


def test_upvote_distribution_buckets_latest_upvotes(con):
    assert rows(con, "SELECT bucket, papers, share_pct, cumulative_pct FROM upvote_distribution "
                     "ORDER BY bucket_order") == [
        ("0", 1, 14.3, 14.3), ("1-4", 0, 0.0, 14.3), ("5-9", 2, 28.6, 42.9), ("10-19", 1, 14.3, 57.1),
        ("20-49", 1, 14.3, 71.4), ("50-99", 1, 14.3, 85.7), ("100+", 1, 14.3, 100.0),
    ]


def test_upvote_stats_weekly(con):
    assert rows(con, "SELECT week, papers, mean, median, max FROM upvote_stats_weekly WHERE week = '2025-12-22'") == [
        (W52, 3, 65.0, 50, 120)]


def test_top_papers_weekly_rank_by_latest_upvotes(con):
    assert rows(con, "SELECT week, rank, paper_id, upvotes, featured_on, organization FROM top_papers_weekly "
                     "WHERE week = '2025-12-22' ORDER BY rank") == [
        (W52, 1, "F", 120, D("2025-12-22"), "Org One"), (W52, 2, "G", 50, D("2025-12-23"), "two"),
        (W52, 3, "E", 25, D("2025-12-22"), "two"),
    ]


def test_repeat_papers(con):
    assert rows(con, "SELECT paper_id, title, days_featured, first_day, last_day, days, upvotes FROM repeat_papers") == [
        ("E", "Paper E", 2, D("2025-12-22"), D("2025-12-23"), [D("2025-12-22"), D("2025-12-23")], 25)]


def test_every_report_runs(con):
    for name, (description, sql) in analytics.REPORTS.items():
        assert description and con.execute(sql).description, name
    assert rows(con, analytics.REPORTS["top_papers"][1])[0][:3] == ("2025-W48", 1, "A")


def test_views_are_stored_once_and_recreated_when_the_code_changes(tmp_path, monkeypatch):
    warehouse = wh.Warehouse(tmp_path / "w.duckdb")
    with warehouse.connect() as con:
        assert analytics.views_current(con)  # every writing connection makes sure of them
        names = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert set(analytics.VIEW_NAMES) <= names
    monkeypatch.setattr(analytics, "_MARK", "[hf-daily views changed]")
    with warehouse.connect(read_only=True) as con:
        assert not analytics.views_current(con)
        analytics.ensure_views(con, read_only=True)  # read-only: temporary views instead
        assert con.execute("SELECT count(*) FROM papers_per_day").fetchone() == (0,)


def test_views_work_on_a_read_only_warehouse_that_has_none(tmp_path):
    warehouse = wh.Warehouse(tmp_path / "w.duckdb")
    with warehouse.connect() as con:
        con.execute("DROP VIEW IF EXISTS papers_per_day")  # whatever the schema code created
    with warehouse.connect(read_only=True) as con:
        analytics.ensure_views(con, read_only=True)
        assert con.execute("SELECT count(*) FROM repeat_papers").fetchone() == (0,)
