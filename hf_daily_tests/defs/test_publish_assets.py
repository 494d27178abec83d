"""git_publish materialized after the whole graph, for two days in one run, pushing to a bare repository."""

import datetime as dt
import re
import subprocess

import dagster as dg
import pytest

from hf_daily.defs import resources
from hf_daily.defs.delivery import assets as delivery
from hf_daily.defs.ingest import assets as ingest
from hf_daily.defs.newsletter import assets as newsletter
from hf_daily.defs.publish import assets as publish
from hf_daily.defs.resources import DailyPapersResource, GitPublishResource, StorageResource, TranslatorResource
from hf_daily.defs.topics import assets as topics
from hf_daily.defs.translation import assets as translation
from hf_daily_tests.factories import api_item, materialize_days, metadata, write_archive

DAYS = [dt.date(2025, 12, 22), dt.date(2025, 12, 23)]
AUTHOR = "Issue Bot <bot@example.org>"


def git(*args) -> str:
    return subprocess.run(["git", *map(str, args)], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def published(tmp_path_factory, tiny_causal_lm):
    root = tmp_path_factory.mktemp("publish")
    archive = root / "archive"
    write_archive(archive, DAYS[0], [api_item("2512.00001", "Agents that plan", 3), api_item("2512.00002", "Robots", 5)])
    write_archive(archive, DAYS[1], [api_item("2512.00003", "Speech models at scale", 2)])
    remote = root / "remote.git"
    git("init", "-q", "--bare", remote)
    data = root / "data"
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            dg.load_assets_from_modules([ingest, translation, topics, newsletter, delivery, publish]),
            instance=instance,
            resources={
                "storage": StorageResource(data_dir=str(data)),
                "daily_papers": DailyPapersResource(archive_dir=str(archive)),
                "translator": TranslatorResource(backend="causal", model=str(tiny_causal_lm), max_new_tokens=8),
                "publish": GitPublishResource(repo=str(remote), author=AUTHOR),
            },
            tags={"dagster/asset_partition_range_start": DAYS[0].isoformat(),
                  "dagster/asset_partition_range_end": DAYS[1].isoformat()},
        )
    assert result.success
    return data, remote, result


def publish_again(data, remote, **resource) -> dg.ExecuteInProcessResult:
    with dg.DagsterInstance.ephemeral() as instance:
        return dg.materialize([publish.git_publish], instance=instance, partition_key=DAYS[0].isoformat(),
                              raise_on_error=False, resources={
                                  "storage": StorageResource(data_dir=str(data)),
                                  "publish": GitPublishResource(repo=str(remote), author=AUTHOR, **resource)})


def test_each_day_of_the_run_is_one_commit_pushed(published, tmp_path):
    data, remote, result = published
    log = git("--git-dir", remote, "log", "--format=%s|%an <%ae>", "main").splitlines()
    assert log == [f"issue 2025-12-23: 1 paper|{AUTHOR}", f"issue 2025-12-22: 2 papers|{AUTHOR}"]
    meta = metadata(result, "git_publish", DAYS)
    assert meta["commit"] == git("--git-dir", remote, "rev-parse", "main").strip()
    assert meta["pushed"] is True and meta["commits_pushed"] == 2 and meta["remote"] == str(remote)
    assert list(meta["day_commits"]) == ["2025-12-22", "2025-12-23"] and meta["status"] == "published"

    work = tmp_path / "clone"
    git("clone", "-q", "-b", "main", remote, work)
    readme = (work / "README.md").read_text()
    assert readme.index("(issues/2025-12-23.md) · 1 篇论文") < readme.index("(issues/2025-12-22.md) · 2 篇论文")
    links = [t for t in re.findall(r"(?<!\\)\]\(([^()\s]+)\)", readme) if not t.startswith("http")]
    assert "audio/2025-12-23.mp3" in links and "charts/2025-12-23/wordcloud.png" in links
    for link in links:
        assert (work / link).is_file(), link
    for day in DAYS:
        assert (work / "audio" / f"{day}.mp3").read_bytes() == (data / "audio" / f"{day}.mp3").read_bytes()
        assert (work / "posters" / f"{day}.png").read_bytes()[:4] == b"\x89PNG"


def test_publishing_again_commits_and_pushes_nothing(published):
    data, remote, _ = published
    before = git("--git-dir", remote, "rev-parse", "main")
    again = publish_again(data, remote)
    assert again.success
    meta = metadata(again, "git_publish")
    assert meta["commits_made"] == 0 and meta["pushed"] is False and meta["commit"] == before.strip()
    assert git("--git-dir", remote, "rev-parse", "main") == before


def test_a_failing_remote_fails_the_run_naming_it(published, tmp_path):
    data, _, _ = published
    missing = tmp_path / "missing.git"
    failed = publish_again(data, missing)
    assert not failed.success
    [failure] = [e for e in failed.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert f"to {missing} failed" in message and "git init --bare" in message


def test_without_a_remote_nothing_is_published(tmp_path):
    result = publish_again(tmp_path / "data", "")
    assert result.success
    assert metadata(result, "git_publish")["status"].startswith("not configured: set HF_DAILY_PUBLISH_REPO")
    assert not (tmp_path / "data").exists()


def test_the_settings_come_from_the_environment_and_the_token_stays_out_of_config(monkeypatch):
    monkeypatch.setenv("HF_DAILY_PUBLISH_REPO", "https://git.example.org/news.git")
    monkeypatch.setenv("HF_DAILY_PUBLISH_SITE_BRANCH", "pages")
    monkeypatch.setenv("HF_DAILY_PUBLISH_TOKEN", "tok-123")
    resource = resources.default_resources()["publish"]
    assert (resource.repo, resource.branch, resource.site_branch) == ("https://git.example.org/news.git", "main", "pages")
    assert "tok-123" not in repr(resource.model_dump()) and "tok-123" not in repr(resource.target())
    assert resource.target().token == "tok-123"
    monkeypatch.delenv("HF_DAILY_PUBLISH_REPO")
    assert resources.default_resources()["publish"].target() is None


def test_the_daily_job_publishes_where_the_environment_says(tmp_path, tiny_causal_lm, instance, monkeypatch):
    remote = tmp_path / "news.git"
    git("init", "-q", "--bare", remote)
    monkeypatch.setenv("HF_DAILY_PUBLISH_REPO", str(remote))
    monkeypatch.setenv("HF_DAILY_PUBLISH_AUTHOR", AUTHOR)
    archive = write_archive(tmp_path / "archive", DAYS[0], [api_item("2512.00001", "Agents that plan", 3)])
    [result] = materialize_days(tmp_path / "data", archive, tiny_causal_lm, instance, DAYS[0])
    assert git("--git-dir", remote, "log", "--format=%s|%an <%ae>", "main").splitlines() == [
        f"issue 2025-12-22: 1 paper|{AUTHOR}"]
    assert metadata(result, "git_publish")["pushed"] is True
