"""The weekly digest on weekly partitions: made from days already materialized, cross-checked against the API's
?week= answer (a loopback server, or an archive's saved week file), and scheduled each Monday."""

import datetime as dt
import json
import subprocess

import dagster as dg
import feedparser
import pytest

from hf_daily import warehouse as wh
from hf_daily.channels import git_repo
from hf_daily.core.layout import DataLayout
from hf_daily.definitions import defs
from hf_daily.defs.weekly.assets import weekly_digest_schedule, weekly_partitions, weekly_request
from hf_daily.runner import materialize_weeks
from hf_daily_tests.factories import api_item, materialize_days, write_archive
from hf_daily_tests.loopback import Reply

W52 = dt.date(2025, 12, 22)
DAYS = {W52: [api_item("2512.00001", "Agents that plan", 3), api_item("2512.00002", "Speech at scale", 9)],
        dt.date(2025, 12, 23): [api_item("2512.00003", "Diffusion for video", 5),
                                api_item("2512.00001", "Agents that plan", 4)]}


@pytest.fixture(scope="module")
def days(tmp_path_factory, tiny_causal_lm):
    """W52's two days materialized from an archive, once for the module."""
    root = tmp_path_factory.mktemp("weekly")
    archive = root / "archive"
    for day, items in DAYS.items():
        write_archive(archive, day, items)
    data = root / "data"
    with dg.DagsterInstance.ephemeral() as instance:
        materialize_days(data, archive, tiny_causal_lm, instance, W52, dt.date(2025, 12, 23))
    return data, archive


def _check(result):
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "weekly_papers_match_api"
    return check.passed, {k: v.value for k, v in check.metadata.items()}


def test_the_digest_pages_and_feed_from_the_days_in_the_warehouse(days, instance):
    data, archive = days
    result = materialize_weeks(W52, data_dir=str(data), archive_dir=str(archive), instance=instance)
    assert result.success
    assert sorted(e.asset_key.to_user_string() for e in result.get_asset_materialization_events()) == [
        "weekly_digest", "weekly_git_publish", "weekly_page"]
    assert {e.partition for e in result.get_asset_materialization_events()} == {"2025-12-22"}
    markdown = (data / "weekly" / "2025-W52.md").read_text()
    # 2512.00001 was featured on both days: one paper, its latest upvotes.
    assert "本周 2 天共 **3** 篇论文" in markdown
    assert [line for line in markdown.splitlines() if line.startswith("**原标题**")] == [
        "**原标题**：Speech at scale", "**原标题**：Diffusion for video", "**原标题**：Agents that plan"]
    assert "[12 月 22 日 · 星期一（2 篇）](../issues/2025-12-22.md)" in markdown
    page = (data / "site" / "2025-W52.html").read_text()
    assert '<a href="2025-12-22.html">12 月 22 日（2 篇）</a>' in page
    feed = feedparser.parse((data / "site" / "weekly.xml").read_bytes())
    assert not feed.bozo and [e.title for e in feed.entries] == ["Hugging Face 每周论文精选 · 2025-W52 · 3 篇论文"]
    # No saved week file: the check has nothing to compare with, and says so.
    passed, metadata = _check(result)
    assert passed and metadata["weeks_not_checked"] == ["2025-W52"] and metadata["weeks_checked"] == []


def test_the_check_reports_papers_the_api_lists_for_the_week_and_the_warehouse_lacks(days, instance, tmp_path):
    data, archive = days
    week_archive = tmp_path / "archive"
    for day, items in DAYS.items():
        write_archive(week_archive, day, items)
    # The week's answer has a paper featured on a day never fetched, and lacks one the warehouse holds.
    (week_archive / "2025-W52.json").write_text(json.dumps(
        [api_item("2512.00001", "Agents that plan"), api_item("2512.00002", "Speech at scale"),
         api_item("2512.00077", "Late arrival")]))
    result = materialize_weeks(W52, data_dir=str(data), archive_dir=str(week_archive), instance=instance)
    assert result.success  # a warning, not a failure: the digest is made
    passed, metadata = _check(result)
    assert not passed
    assert metadata["weeks_checked"] == ["2025-W52"]
    assert metadata["differences"] == {"2025-W52": {"missing_from_warehouse": ["2512.00077"],
                                                    "not_listed_by_api": ["2512.00003"]}}


def test_the_check_asks_the_api_for_the_week(days, instance, loopback):
    data, _ = days
    listed = [item for items in DAYS.values() for item in items]
    loopback.script(Reply.json(listed))
    result = materialize_weeks(W52, data_dir=str(data), base_url=loopback.base_url, instance=instance,
                               daily_papers={"retries": 0})
    assert [r.params for r in loopback.requests] == [{"week": "2025-W52", "limit": "50", "p": "0"}]
    passed, metadata = _check(result)
    assert passed and metadata["weeks_checked"] == ["2025-W52"] and metadata["differences"] == {}


def test_a_week_with_no_day_in_the_warehouse_fails_naming_what_to_run(days, instance):
    data, archive = days
    result = materialize_weeks(dt.date(2025, 12, 1), data_dir=str(data), archive_dir=str(archive), instance=instance,
                               raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "2025-W49 (2025-12-01 .. 2025-12-07): no day of this week is in the warehouse" in str(
        failure.step_failure_data.error.cause.message)
    assert not (data / "weekly" / "2025-W49.md").exists()


def test_a_week_that_has_not_ended_is_refused_before_any_run(tmp_path):
    today = dt.datetime.now(dt.timezone.utc).date()
    with pytest.raises(ValueError, match="has not ended yet"):
        materialize_weeks(today, data_dir=str(tmp_path))


def test_the_monday_schedule_digests_the_week_whose_day_plus_7_refresh_is_done():
    # Monday 12 January 2026: the week of 29 December ended on the 4th, refreshed at day+7 by the 11th.
    assert weekly_request(dt.date(2026, 1, 12)).partition_key == "2025-12-29"
    assert weekly_request(dt.date(2026, 1, 14)).partition_key == "2025-12-29"
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 1, 12, 7, tzinfo=dt.timezone.utc))
    (request,) = [weekly_digest_schedule(context)]
    assert request.partition_key == "2025-12-29" and request.run_key == "weekly-2025-12-29"
    assert weekly_partitions.has_partition_key("2025-12-29")
    assert weekly_partitions.get_first_partition_key() == "2023-05-01"  # the week of Daily Papers' first day


def test_the_daily_job_leaves_the_weekly_assets_to_their_own_job():
    daily = {k.to_user_string() for k in defs.resolve_job_def("daily_issue_job").asset_layer.executable_asset_keys}
    weekly = {k.to_user_string() for k in defs.resolve_job_def("weekly_digest_job").asset_layer.executable_asset_keys}
    assert weekly == {"weekly_digest", "weekly_page", "weekly_git_publish"}
    assert "newsletter_issue" in daily and not daily & weekly


def test_a_week_is_committed_once_and_a_day_never_brings_its_page(days, instance, tmp_path, monkeypatch):
    data, archive = days
    remote = tmp_path / "news.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    monkeypatch.setenv("HF_DAILY_PUBLISH_REPO", str(remote))

    def log() -> list[str]:
        return subprocess.run(["git", "--git-dir", str(remote), "log", "--format=%s", "main"], capture_output=True,
                              text=True, check=True).stdout.splitlines()

    def files(commit: str) -> list[str]:
        return subprocess.run(["git", "--git-dir", str(remote), "show", "--name-only", "--format=", commit],
                              capture_output=True, text=True, check=True).stdout.split()

    # The days first, as the daily job publishes them; the week's page does not exist yet.
    git_repo.publish_days(wh.Warehouse(data / "warehouse.duckdb"), list(DAYS), DataLayout(data),
                          git_repo.GitTarget(str(remote)))
    assert materialize_weeks(W52, data_dir=str(data), archive_dir=str(archive), instance=instance).success
    assert log()[0] == "weekly 2025-W52: 3 papers"
    assert {"weekly/2025-W52.md", "site/2025-W52.html"} <= set(files("main"))
    # Again: nothing new for the week, and a day published again does not pick up the week's page.
    assert materialize_weeks(W52, data_dir=str(data), archive_dir=str(archive), instance=instance).success
    git_repo.publish_days(wh.Warehouse(data / "warehouse.duckdb"), list(DAYS), DataLayout(data),
                          git_repo.GitTarget(str(remote)))
    assert log() == ["weekly 2025-W52: 3 papers", "issue 2025-12-23: 2 papers", "issue 2025-12-22: 2 papers"]
