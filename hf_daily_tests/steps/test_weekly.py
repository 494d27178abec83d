"""The weekly digest model over the handwritten analytics warehouse, whose answers are worked out by hand."""

import datetime as dt

import pytest

from hf_daily.core.weeks import monday_of, weeks_between
from hf_daily.steps.weekly import WeeklyDigestError, build_digest, build_digests, week_paper_ids
from hf_daily_tests.factories import W48, W49, W52, analytics_warehouse


@pytest.fixture
def warehouse(tmp_path):
    return analytics_warehouse(tmp_path / "warehouse.duckdb")


def test_the_week_ranks_distinct_papers_by_their_latest_upvotes(warehouse):
    digest = build_digests(warehouse, [W52])[W52]
    # E was featured on 22 and 23 December: once, with its latest snapshot (25, not 20).
    assert [(p.paper_id, p.upvotes) for p in digest.papers] == [("F", 120), ("G", 50), ("E", 25)]
    assert digest.paper_count == 3
    assert digest.featured_on == {"F": [dt.date(2025, 12, 22)], "G": [dt.date(2025, 12, 23)],
                                  "E": [dt.date(2025, 12, 22), dt.date(2025, 12, 23)]}
    # E's title and details come from its latest day of the week (the 23rd holds its repository).
    assert digest.papers[2].github_repo == "https://github.com/e/e"
    assert digest.papers[0].organization == "Org One" and digest.papers[1].organization == "two"
    # The 27th was fetched and had no papers: a day of the week all the same.
    assert digest.days == [(dt.date(2025, 12, 22), 2), (dt.date(2025, 12, 23), 2), (dt.date(2025, 12, 27), 0)]
    assert digest.upvotes_as_of == dt.datetime(2025, 12, 23, 8)
    assert digest.name == "2025-W52" and digest.sunday == dt.date(2025, 12, 28)


def test_fields_and_keywords_count_each_paper_once_in_the_week(warehouse):
    digest = build_digests(warehouse, [W52])[W52]
    # 多模态: E (both days) and G; 智能体: F and G. A tie keeps the taxonomy's order.
    assert digest.hot_fields == [("多模态", 2), ("智能体", 2)]
    # English keywords lower-cased: E's "Diffusion" and "diffusion" are one keyword of one paper.
    assert digest.keywords_en == [("agents", 3), ("diffusion", 1), ("robots", 1)]
    assert digest.keywords_zh == [("智能体", 1)]


def test_top_limits_the_papers_not_the_counts(warehouse):
    with warehouse.connect() as con:
        digest = build_digest(con, W52, top=2)
    assert [p.paper_id for p in digest.papers] == ["F", "G"]
    assert digest.paper_count == 3 and set(digest.featured_on) == {"F", "G"}


def test_a_week_is_settled_once_each_day_with_papers_was_fetched_again_a_week_later(warehouse):
    assert not build_digests(warehouse, [W48])[W48].settled
    with warehouse.connect() as con:
        con.execute("INSERT INTO raw_responses VALUES (DATE '2025-11-24', 2, 0, 'file:///x.json', "
                    "TIMESTAMP '2025-12-01 22:00:00', 200, '[]')")
    digest = build_digests(warehouse, [W48])[W48]
    assert digest.settled
    # The later snapshot (10 upvotes, 1 December) is the one ranked.
    assert [(p.paper_id, p.upvotes) for p in digest.papers] == [("A", 10)]
    assert digest.upvotes_as_of == dt.datetime(2025, 12, 1, 8)


def test_a_day_without_papers_needs_no_second_fetch(warehouse):
    # W52's 27th had no papers; once the 22nd and 23rd are fetched again a week on, the week is settled.
    with warehouse.connect() as con:
        for day in ("2025-12-22", "2025-12-23"):
            con.execute(f"INSERT INTO raw_responses VALUES (DATE '{day}', 2, 0, 'u', DATE '{day}' + 7, 200, '[]')")
    assert build_digests(warehouse, [W52])[W52].settled


def test_a_week_none_of_whose_days_was_fetched_says_what_to_run(warehouse):
    empty = dt.date(2025, 10, 6)
    with pytest.raises(WeeklyDigestError, match=r"2025-W41 \(2025-10-06 \.\. 2025-10-12\): no day of this week is "
                                                r"in the warehouse; .*hf-daily materialize 2025-10-06 2025-10-12"):
        build_digests(warehouse, [empty])


def test_a_week_is_named_by_its_monday(warehouse):
    with pytest.raises(WeeklyDigestError, match="2025-12-24 is a Wednesday: .* its Monday \\(2025-12-22\\)"):
        build_digests(warehouse, [dt.date(2025, 12, 24)])


def test_weeks_between_covers_every_week_holding_a_day_of_the_range():
    assert weeks_between(dt.date(2025, 12, 1), dt.date(2025, 12, 31)) == [
        dt.date(2025, 12, 1), dt.date(2025, 12, 8), dt.date(2025, 12, 15), dt.date(2025, 12, 22), dt.date(2025, 12, 29)]
    assert weeks_between(dt.date(2025, 12, 28), dt.date(2025, 12, 28)) == [dt.date(2025, 12, 22)]
    assert monday_of(dt.date(2026, 1, 4)) == dt.date(2025, 12, 29)


def test_week_paper_ids_are_the_warehouse_side_of_the_api_check(warehouse):
    assert week_paper_ids(warehouse, W52) == {"E", "F", "G"}
    assert week_paper_ids(warehouse, W49) == {"B"}
