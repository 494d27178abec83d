"""The git channel against real repositories: a bare remote in tmp_path, read back with git."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hf_daily.channels.git_repo import GitTarget, PublishError, publish
from hf_daily.channels.git_repo.git import Identity
from hf_daily.channels.git_repo.readme import commit_message, rebase_links
from hf_daily.channels.markdown import render_issue
from hf_daily.channels.registry import delivery_links
from hf_daily.core.layout import DataLayout
from hf_daily.steps.issue import IssueSummary
from hf_daily_tests.factories import issue_paper, make_issue
from hf_daily_tests.loopback import Reply

D1, D2, D3 = dt.date(2025, 12, 22), dt.date(2025, 12, 23), dt.date(2025, 12, 24)
AUTHOR = "Issue Bot <bot@example.org>"
EVIL = "Evil ](../../../etc/passwd) [x](javascript:alert(1)) <script>"


def git(*args: str, cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {"GIT_AUTHOR_NAME": "Other", "GIT_AUTHOR_EMAIL": "other@example.org",
            "GIT_COMMITTER_NAME": "Other", "GIT_COMMITTER_EMAIL": "other@example.org"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def write_day(layout: DataLayout, day: dt.date, papers: int) -> None:
    """A day's files as the pipeline leaves them in data/: the issue with its real links, and stand-ins for the rest."""
    issue = make_issue(papers=[issue_paper(n, title=EVIL if n == 1 else f"Paper {n}") for n in range(1, papers + 1)],
                       day=day, word_cloud=layout.link(layout.word_cloud(day), layout.issues),
                       trend_chart=layout.link(layout.trend_chart(day), layout.issues),
                       extra_links=delivery_links(layout, day))
    files = {layout.issue(day): render_issue(issue).encode(), layout.trend_chart(day): b"\x89PNG trend " + bytes(day.day),
             layout.word_cloud(day): b"\x89PNG cloud" + bytes(day.day), layout.audio(day): b"ID3" + bytes(300),
             layout.transcript(day): "大家好".encode(), layout.poster(day): b"\x89PNG poster" + bytes(day.day),
             layout.page(day): f"<html>{day}</html>".encode(), layout.index: f"<html>index to {day}</html>".encode(),
             layout.feed: f"<feed>{day}</feed>".encode()}
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


SUMMARIES = {D1: IssueSummary(D1, 1, ["多模态"]), D2: IssueSummary(D2, 2, ["智能体", "多模态"]), D3: IssueSummary(D3, 3)}


@pytest.fixture
def data(tmp_path) -> DataLayout:
    layout = DataLayout(tmp_path / "data")
    for day, papers in ((D1, 1), (D2, 2), (D3, 3)):
        write_day(layout, day, papers)
    return layout


@pytest.fixture
def remote(tmp_path) -> Path:
    """A bare repository that logs every push it receives."""
    path = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(path))
    hook = path / "hooks" / "post-receive"
    hook.write_text("#!/bin/sh\ncat >> \"$GIT_DIR/pushes.log\"\n")
    hook.chmod(0o755)
    return path


def target(remote, **kw) -> GitTarget:
    return GitTarget(repo=str(remote), author=AUTHOR, **kw)


def pushes(remote: Path) -> int:
    log = remote / "pushes.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def clone(remote: Path, where: Path, branch: str = "main") -> Path:
    git("clone", "-q", "-b", branch, str(remote), str(where))
    return where


def history(remote: Path, branch: str = "main") -> list[str]:
    return git("--git-dir", str(remote), "log", "--format=%s", branch).splitlines()


def relative_links(markdown: str) -> list[str]:
    targets = re.findall(r"(?<!\\)\]\(([^()\s]+)\)", markdown)
    return [t for t in targets if not re.match(r"^[a-z]+:", t)]


def test_each_day_is_one_commit_with_its_files_and_the_readme_index(data, remote, tmp_path):
    report = publish([D2, D1], data, target(remote), SUMMARIES)

    assert history(remote) == ["issue 2025-12-23: 2 papers", "issue 2025-12-22: 1 paper"]
    assert git("--git-dir", str(remote), "log", "--format=%an <%ae>|%cn <%ce>", "main").splitlines() == [
        f"{AUTHOR}|{AUTHOR}"] * 2
    assert report.remote == str(remote) and report.issues.pushed == 2 and pushes(remote) == 1
    assert list(report.issues.commits) == [D1, D2]
    assert report.issues.head == git("--git-dir", str(remote), "rev-parse", "main").strip()
    assert report.site is None

    work = clone(remote, tmp_path / "clone")
    files = sorted(git("ls-files", cwd=work).splitlines())
    assert files == sorted(["README.md", "site/index.html", "site/feed.xml"] + [
        name for day in (D1, D2) for name in (
            f"issues/{day}.md", f"charts/{day}/trend.png", f"charts/{day}/wordcloud.png", f"audio/{day}.mp3",
            f"audio/{day}.txt", f"posters/{day}.png", f"site/{day}.html")])
    for name in files:  # byte for byte what data/ holds
        assert name == "README.md" or (work / name).read_bytes() == (data.root / name).read_bytes(), name
    assert (work / "site/index.html").read_text() == f"<html>index to {D3}</html>"  # data/'s, as it is now

    readme = (work / "README.md").read_text()
    index = readme[readme.index("## 往期目录"):].splitlines()[2:]
    assert index == ["- [2025 年 12 月 23 日 · 星期二](issues/2025-12-23.md) · 2 篇论文 · 智能体、多模态",
                     "- [2025 年 12 月 22 日 · 星期一](issues/2025-12-22.md) · 1 篇论文 · 多模态"]
    assert "**最新一期**：[2025 年 12 月 23 日 · 星期二](issues/2025-12-23.md)" in readme
    assert "### 1. 第1篇论文的中文标题" in readme  # the latest issue itself, a heading level down
    # Untrusted text stays escaped, and its look-alike links are not rebased.
    assert "Evil \\]\\(../../../etc/passwd\\) \\[x\\]\\(javascript:alert\\(1\\)\\) \\<script\\>" in readme
    links = relative_links(readme)
    assert {"charts/2025-12-23/wordcloud.png", "site/2025-12-23.html", "audio/2025-12-23.mp3", "site/feed.xml",
            "issues/2025-12-22.md"} <= set(links)
    for link in links:
        assert (work / link).is_file(), link
    for day in (D1, D2):
        issue = (work / f"issues/{day}.md").read_text()
        assert len(relative_links(issue)) == 7
        for link in relative_links(issue):
            assert (work / "issues" / link).resolve().is_file(), link


def test_republishing_an_unchanged_day_makes_no_commit_and_no_push(data, remote):
    publish([D1], data, target(remote), SUMMARIES)
    again = publish([D1], data, target(remote), SUMMARIES)
    assert again.issues.commits == {} and again.issues.pushed == 0
    assert history(remote) == ["issue 2025-12-22: 1 paper"] and pushes(remote) == 1

    # A changed day is committed again; a chart gone from data/ leaves the repository too.
    data.word_cloud(D1).unlink()
    data.issue(D1).write_text(data.issue(D1).read_text() + "\nP.S.\n")
    changed = publish([D1], data, target(remote), SUMMARIES)
    assert list(changed.issues.commits) == [D1] and changed.issues.pushed == 1
    assert history(remote) == ["issue 2025-12-22: 1 paper"] * 2
    tree = git("--git-dir", str(remote), "ls-tree", "-r", "--name-only", "main").splitlines()
    assert "charts/2025-12-22/wordcloud.png" not in tree and "charts/2025-12-22/trend.png" in tree


def test_a_push_rejected_because_another_clone_pushed_first_is_rebased_and_retried(data, remote, tmp_path):
    publish([D1], data, target(remote), SUMMARIES)
    other = clone(remote, tmp_path / "other")
    (other / "NOTES.md").write_text("notes\n")
    (other / "README.md").write_text((other / "README.md").read_text() + "\nedited by hand\n")
    git("add", "-A", cwd=other)
    git("commit", "-q", "-m", "notes from elsewhere", cwd=other)
    git("push", "-q", "origin", "main", cwd=other)

    report = publish([D2], data, target(remote), SUMMARIES)

    assert history(remote) == ["issue 2025-12-23: 2 papers", "notes from elsewhere", "issue 2025-12-22: 1 paper"]
    assert report.issues.pushed == 1 and pushes(remote) == 3  # ours, theirs, ours again after the rebase
    work = clone(remote, tmp_path / "after")
    assert (work / "NOTES.md").read_text() == "notes\n"
    readme = (work / "README.md").read_text()
    assert "edited by hand" not in readme  # made again from the merged tree
    assert readme.index("(issues/2025-12-23.md)") < readme.index("(issues/2025-12-22.md)")
    assert not git("status", "--porcelain", cwd=data.publish_issues)


def test_a_missing_remote_fails_clearly_and_the_next_run_pushes_the_kept_commits(data, tmp_path):
    missing = tmp_path / "later.git"
    with pytest.raises(PublishError) as failure:
        publish([D1, D2], data, target(missing), SUMMARIES)
    message = str(failure.value)
    assert f"pushing main to {missing} failed" in message
    assert "does not appear to be a git repository" in message and "git init --bare" in message
    assert f"2 commits wait in {data.publish_issues}" in message

    git("init", "-q", "--bare", str(missing))
    report = publish([D1, D2], data, target(missing), SUMMARIES)
    assert report.issues.commits == {} and report.issues.pushed == 2
    assert history(missing) == ["issue 2025-12-23: 2 papers", "issue 2025-12-22: 1 paper"]


def test_a_remote_that_refuses_pushes_is_named_with_its_reason(data, remote):
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are closed for maintenance' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(PublishError) as failure:
        publish([D1], data, target(remote), SUMMARIES)
    message = str(failure.value)
    assert "pushes are closed for maintenance" in message and "pre-receive hook declined" in message
    assert "refuses pushes to main" in message and "1 commit waits in" in message
    assert history_or_none(remote) is None

    hook.unlink()
    report = publish([D1], data, target(remote), SUMMARIES)
    assert report.issues.pushed == 1 and history(remote) == ["issue 2025-12-22: 1 paper"]


def history_or_none(remote: Path):
    result = subprocess.run(["git", "--git-dir", str(remote), "rev-parse", "-q", "--verify", "main"],
                            capture_output=True, text=True)
    return result.stdout.strip() or None


def test_the_token_is_sent_when_asked_and_never_stored_or_shown(data, loopback):
    token = "ghp_s3cretTOKENvalue42"
    loopback.fallback = Reply(status=401, headers={"WWW-Authenticate": 'Basic realm="git"'})
    url = loopback.url("/team/news.git")
    with pytest.raises(PublishError) as failure:
        publish([D1], data, target(url, token=token), SUMMARIES)
    message = str(failure.value)
    assert "Authentication failed" in message and "HF_DAILY_PUBLISH_TOKEN" in message and url in message
    expected = "Basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()
    sent = [r.header("Authorization") for r in loopback.requests]
    assert expected in sent and all(r.target.startswith("/team/news.git/info/refs") for r in loopback.requests)
    assert token not in message
    for path in data.publish.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    assert f"url = {url}" in (data.publish_issues / ".git" / "config").read_text()


def test_a_url_with_a_password_is_refused_without_showing_it(data):
    with pytest.raises(PublishError) as failure:
        publish([D1], data, target("https://bot:hunter2@git.example.org/news.git"), SUMMARIES)
    assert "hunter2" not in str(failure.value) and "HF_DAILY_PUBLISH_TOKEN" in str(failure.value)
    assert "https://bot:***@git.example.org/news.git" in str(failure.value)
    assert not data.publish_issues.exists()


def test_the_site_goes_to_its_own_branch_for_pages_hosting(data, remote, tmp_path):
    report = publish([D1, D2], data, target(remote, site_branch="pages"), SUMMARIES)
    assert report.site is not None and report.site.pushed == 2
    assert history(remote, "pages") == ["site 2025-12-23: 2 papers", "site 2025-12-22: 1 paper"]
    pages = clone(remote, tmp_path / "pages", "pages")
    files = set(git("ls-files", cwd=pages).splitlines())
    assert {"index.html", ".nojekyll", "site/index.html", "site/feed.xml", "site/2025-12-23.html",
            "audio/2025-12-23.mp3", "posters/2025-12-23.png", "charts/2025-12-23/trend.png"} <= files
    assert "README.md" not in files
    assert 'http-equiv="refresh" content="0; url=site/index.html"' in (pages / "index.html").read_text()
    assert history(remote) == ["issue 2025-12-23: 2 papers", "issue 2025-12-22: 1 paper"]


def test_topic_feeds_are_published_and_a_feed_gone_from_data_leaves_the_repository(data, remote):
    for path in (data.field_feed("llm"), data.filter_feed("agents"), data.filter_feed("old")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<feed>{path.name}</feed>")
    publish([D1], data, target(remote, site_branch="pages"), SUMMARIES)
    for branch in ("main", "pages"):
        tree = git("--git-dir", str(remote), "ls-tree", "-r", "--name-only", branch).splitlines()
        assert {"site/feeds/field-llm.xml", "site/feeds/agents.xml", "site/feeds/old.xml"} <= set(tree)

    data.filter_feed("old").unlink()  # a filter taken out of the settings
    publish([D2], data, target(remote, site_branch="pages"), SUMMARIES)
    for branch in ("main", "pages"):
        tree = git("--git-dir", str(remote), "ls-tree", "-r", "--name-only", branch).splitlines()
        assert "site/feeds/old.xml" not in tree and {"site/feeds/field-llm.xml", "site/feeds/agents.xml"} <= set(tree)


def test_a_day_without_its_issue_is_refused_before_anything_is_committed(data, remote):
    with pytest.raises(PublishError, match=r"2025-12-30\.md is missing: materialize newsletter_issue"):
        publish([D1, dt.date(2025, 12, 30)], data, target(remote), SUMMARIES)
    assert history_or_none(remote) is None


def test_bad_settings_are_named(data, remote):
    with pytest.raises(ValueError, match="must read 'Name <email>'"):
        Identity.parse("just a name")
    with pytest.raises(PublishError, match="must read 'Name <email>'.*HF_DAILY_PUBLISH_AUTHOR"):
        publish([D1], data, GitTarget(repo=str(remote), author="bot@example.org"), SUMMARIES)
    with pytest.raises(PublishError, match="not a branch name git accepts: fix HF_DAILY_PUBLISH_BRANCH"):
        publish([D1], data, target(remote, branch="a..b"), SUMMARIES)
    with pytest.raises(PublishError, match="give the site its own branch"):
        publish([D1], data, target(remote, site_branch="main"), SUMMARIES)
    assert history_or_none(remote) is None


def test_links_are_rebased_from_the_issues_folder_and_nothing_else_is():
    markdown = ("![云](../charts/d/wordcloud.png) [HF](https://huggingface.co/x) [锚](#top) "
                "标题 \\[a\\]\\(../audio/x.mp3\\) [外](../../outside.md) [页](../site/d.html?x=1#y)")
    assert rebase_links(markdown, "issues") == (
        "![云](charts/d/wordcloud.png) [HF](https://huggingface.co/x) [锚](#top) "
        "标题 \\[a\\]\\(../audio/x.mp3\\) [外](../../outside.md) [页](site/d.html?x=1#y)")


def test_the_commit_message_is_one_line_whatever_it_is_given():
    assert commit_message("issue", D1, SUMMARIES[D1]) == "issue 2025-12-22: 1 paper\n"
    assert commit_message("issue\n\x1b[31mforged: 9 papers\r", D2, None) == "issue [31mforged: 9 papers 2025-12-23\n"


def test_a_new_remote_gets_every_commit_it_lacks(data, remote, tmp_path):
    publish([D1, D2], data, target(remote), SUMMARIES)
    moved = tmp_path / "moved.git"
    git("init", "-q", "--bare", str(moved))
    report = publish([D2], data, target(moved), SUMMARIES)
    assert report.issues.commits == {} and report.issues.pushed == 2
    assert history(moved) == history(remote) == ["issue 2025-12-23: 2 papers", "issue 2025-12-22: 1 paper"]


def test_leftovers_of_a_stopped_run_are_discarded(data, remote):
    publish([D1], data, target(remote), SUMMARIES)
    work = data.publish_issues
    (work / "README.md").write_text("half-written\n")
    (work / "stray.tmp").write_text("x")
    report = publish([D1], data, target(remote), SUMMARIES)
    assert report.issues.commits == {} and report.issues.pushed == 0
    assert not (work / "stray.tmp").exists() and (work / "README.md").read_text().startswith("# Hugging Face")


@pytest.mark.skipif(shutil.which("ssh") is None, reason="no ssh client: apt-get install openssh-client")
def test_an_ssh_remote_is_reached_with_the_key_and_never_prompts(data, tmp_path):
    key = tmp_path / "id_ed25519"
    with pytest.raises(PublishError, match="HF_DAILY_PUBLISH_SSH_KEY names .*, which is not a file"):
        publish([D1], data, target("ssh://git@127.0.0.1:1/news.git", ssh_key=str(key)), SUMMARIES)
    key.write_text("not really a key\n")
    with pytest.raises(PublishError) as failure:  # port 1 on loopback: nothing listens
        publish([D1], data, target("ssh://git@127.0.0.1:1/news.git", ssh_key=str(key)), SUMMARIES)
    assert "pushing main to ssh://git@127.0.0.1:1/news.git failed" in str(failure.value)
    assert "Connection refused" in str(failure.value) and "cannot be reached" in str(failure.value)


def test_the_readme_shows_the_latest_issue_with_papers_and_lists_the_empty_days_too(data, remote, tmp_path):
    weekend = dt.date(2025, 12, 27)
    write_day(data, weekend, 0)
    publish([D1, D2, weekend], data, target(remote), SUMMARIES | {weekend: IssueSummary(weekend, 0)})
    readme = (clone(remote, tmp_path / "clone") / "README.md").read_text()
    assert "**最新一期**：[2025 年 12 月 23 日 · 星期二](issues/2025-12-23.md)" in readme
    assert "## Hugging Face 每日论文速递 · 2025-12-23" in readme and "今天没有新论文" not in readme
    assert readme.splitlines()[-3] == "- [2025 年 12 月 27 日 · 星期六](issues/2025-12-27.md) · 0 篇论文"


def test_a_push_rejected_every_time_is_an_error_and_the_next_run_pushes(data, remote, tmp_path):
    publish([D1], data, target(remote), SUMMARIES)
    other = clone(remote, tmp_path / "other")
    (other / "NOTES.md").write_text("notes\n")
    git("add", "-A", cwd=other)
    git("commit", "-q", "-m", "notes from elsewhere", cwd=other)
    git("push", "-q", "origin", "main", cwd=other)
    with pytest.raises(PublishError) as failure:
        publish([D2], data, target(remote, push_attempts=1), SUMMARIES)
    message = str(failure.value)
    assert f"pushing main to {remote} failed: someone else pushed to main first, 1 time in a row" in message
    assert "1 commit waits in" in message and history(remote)[0] == "notes from elsewhere"

    report = publish([D2], data, target(remote), SUMMARIES)
    assert report.issues.commits == {} and report.issues.pushed == 1
    assert history(remote) == ["issue 2025-12-23: 2 papers", "notes from elsewhere", "issue 2025-12-22: 1 paper"]
