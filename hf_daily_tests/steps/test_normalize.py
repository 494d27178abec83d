import datetime as dt
import json

import pytest

from hf_daily.sources.page import DailyPapersError, RawPage
from hf_daily.steps.normalize import arxiv_url, http_url, normalize_day, unwrap

DAY = dt.date(2025, 12, 26)
AT = dt.datetime(2025, 12, 26, 7, 45, tzinfo=dt.timezone.utc)


def item(paper_id, title="A title", **paper):
    body = {"id": paper_id, "title": title, "summary": "An abstract.", "upvotes": 3,
            "authors": [{"name": "Ada Lovelace"}, {"name": "Alan  Turing", "user": {"user": "aturing"}}],
            "publishedAt": "2025-12-24T14:59:49.000Z", "submittedOnDailyAt": "2025-12-26T00:43:27.241Z"}
    body.update(paper)
    return {"paper": body, "numComments": 2, "title": title}


def page(items, at=AT, number=0):
    return RawPage(DAY, number, "https://example.test/api/daily_papers", at, 200, json.dumps(items))


def test_unwrap_joins_hard_line_breaks_and_keeps_paragraphs():
    assert unwrap("REINFORCE++: A Simple Approach for Aligning Large Language\n  Models") == \
        "REINFORCE++: A Simple Approach for Aligning Large Language Models"
    assert unwrap("first\nline\n\n  second  para ") == "first line\n\nsecond para"
    assert unwrap(None) == ""


def test_links_are_built_from_ids_and_only_http_urls_kept():
    assert arxiv_url("2512.21218") == "https://arxiv.org/abs/2512.21218"
    assert arxiv_url("hep-th/9901001") == "https://arxiv.org/abs/hep-th/9901001"
    assert arxiv_url("not-an-arxiv-id") is None
    assert http_url("https://github.com/a/b") == "https://github.com/a/b"
    assert http_url("javascript:alert(1)") is None
    assert http_url("https://x.test/\"><script>") is None
    assert http_url(42) is None


def test_paper_row_has_typed_values():
    day = normalize_day(DAY, [[page([item("2512.00001", githubRepo="https://github.com/a/b", githubStars=7,
                                             ai_keywords=["LLM", " ", "agents"],
                                             organization={"_id": "o1", "name": "Berk", "fullname": "UC Berkeley"})])]])
    row = day.papers.iloc[0].to_dict()
    assert row["paper_id"] == "2512.00001"
    assert row["rank"] == 1
    assert row["hf_url"] == "https://huggingface.co/papers/2512.00001"
    assert row["published_at"] == dt.datetime(2025, 12, 24, 14, 59, 49)
    assert row["submitted_on_daily_at"] == dt.datetime(2025, 12, 26, 0, 43, 27, 241000)
    assert row["upvotes"] == 3 and row["num_comments"] == 2 and row["github_stars"] == 7
    assert row["ai_keywords"] == ["LLM", "agents"]
    assert row["organization_id"] == "o1"
    assert row["fetched_at"] == dt.datetime(2025, 12, 26, 7, 45)
    assert day.organizations.to_dict("records") == [
        {"organization_id": "o1", "name": "Berk", "fullname": "UC Berkeley", "avatar_url": None}]
    authors = day.authors.astype(object).where(day.authors.notna(), None)
    assert authors[["position", "name", "hf_username"]].values.tolist() == [
        [1, "Ada Lovelace", None], [2, "Alan Turing", "aturing"]]


def test_duplicates_dropped_and_snapshots_kept_for_every_fetch():
    first = [page([item("1"), item("2"), item("1")])]
    later = [page([item("1", upvotes=10), item("2", upvotes=5)], at=AT + dt.timedelta(days=1))]
    day = normalize_day(DAY, [first, later])
    assert day.duplicate_ids == []  # the latest fetch has no duplicates
    assert day.papers["upvotes"].tolist() == [10, 5]
    assert sorted(day.upvote_snapshots[["paper_id", "upvotes"]].values.tolist()) == [
        ["1", 3], ["1", 10], ["2", 3], ["2", 5]]
    assert normalize_day(DAY, [first]).duplicate_ids == ["1"]


def test_unknown_fields_are_ignored_and_missing_optional_fields_are_null():
    day = normalize_day(DAY, [[page([{"paper": {"id": "9", "title": "T", "brandNew": {"x": 1}}}])]])
    row = day.papers.iloc[0].to_dict()
    assert row["abstract"] == "" and row["upvotes"] == 0 and row["published_at"] is None
    assert row["ai_keywords"] is None and row["github_repo"] is None


def test_empty_day_and_no_fetch_give_empty_tables():
    assert normalize_day(DAY, [[page([])]]).papers.empty
    assert normalize_day(DAY, []).papers.empty


def test_a_paper_without_title_is_an_error_naming_the_day():
    with pytest.raises(DailyPapersError, match="2025-12-26.*title"):
        normalize_day(DAY, [[page([{"paper": {"id": "1"}}])]])


def test_real_archive_normalizes_every_day(shared_api):
    total = 0
    for path in sorted(shared_api.glob("*.json")):
        day = dt.date.fromisoformat(path.stem)
        normalized = normalize_day(day, [[RawPage(day, 0, path.as_uri(), AT, 200, path.read_text())]])
        papers = normalized.papers
        assert papers["paper_id"].is_unique
        assert (papers["title"].str.len() > 0).all()
        assert not papers["title"].str.contains("\n").any()
        assert papers["submitted_on_daily_at"].map(lambda t: t.date() == day).all()
        total += len(papers)
    assert total == 1251
