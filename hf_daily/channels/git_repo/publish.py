"""Commit each day's files to a git working copy under data/publish/ and push them to the configured remote.

The repository mirrors data/'s layout for what it holds (issues/, charts/, audio/, posters/, site/), so
every relative link between the published files resolves inside it unchanged, on any git host and in a
clone. The working copy belongs to hf-daily: each run starts by discarding anything left in it that is
not committed.

Pushes are optimistic: a day is committed on the local tip and pushed; when the remote has moved on
(someone else pushed), its commits are fetched, ours rebased onto them, the README written again from
the merged tree, and the push retried. Any other failure stops the run with the remote's answer and what
to do about it; the commits stay in the working copy and the next run pushes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hf_daily.channels.git_repo.git import DEFAULT_AUTHOR, Git, GitError, Identity, check_remote, redact_url
from hf_daily.channels.git_repo.readme import (
    README,
    commit_message,
    render_readme,
    render_site_front,
    weekly_commit_message,
)
from hf_daily.core.files import write_atomically
from hf_daily.core.layout import DataLayout
from hf_daily.core.weeks import WEEK_NAME
from hf_daily.steps.issue import IssueSummary
from hf_daily.steps.weekly import WeeklySummary

PUSH_ATTEMPTS = 3
# What git says when the remote moved on since we last saw it: worth a fetch, a rebase and another push.
_RACE = ("[rejected] (fetch first)", "[rejected] (non-fast-forward)", "failed to update ref", "cannot lock ref")
# Pages hosts (GitHub Pages) run Jekyll over a branch unless it holds this file; the site needs none.
NO_JEKYLL = ".nojekyll"
SITE_FRONT = "index.html"


class PublishError(RuntimeError):
    """Publishing failed: the message names the remote (credentials redacted), the cause and the fix."""


@dataclass(frozen=True)
class GitTarget:
    """Where and as whom to publish. The credentials come from the environment, never from config."""

    repo: str  # a git URL or a path
    branch: str = "main"
    author: str = DEFAULT_AUTHOR  # "Name <email>"
    site_branch: str = ""  # the static site's own branch, for pages hosting; empty: not published
    token: str | None = field(default=None, repr=False)  # for an HTTPS remote
    ssh_key: str | None = None  # a private key's path, for an SSH remote
    push_attempts: int = PUSH_ATTEMPTS


@dataclass(frozen=True)
class BranchReport:
    branch: str
    working_copy: Path
    commits: dict[dt.date, str]  # the days this run committed, and their commits
    head: str | None  # the branch's last commit
    pushed: int  # commits this run pushed; 0 when the remote had them all


@dataclass(frozen=True)
class PublishReport:
    remote: str  # as shown to people: any password redacted
    issues: BranchReport
    site: BranchReport | None


def _day_files(layout: DataLayout, day: dt.date) -> list[Path]:
    """A day's own published files: the issue links them all, and the site page links the issue."""
    return [layout.issue(day), layout.trend_chart(day), layout.word_cloud(day), layout.audio(day),
            layout.transcript(day), layout.poster(day), layout.page(day)]


def _week_files(layout: DataLayout, week: dt.date) -> list[Path]:
    """A weekly digest's own published files: its Markdown and its page."""
    return [layout.weekly_issue(week), layout.weekly_page(week)]


def _is_day_page(layout: DataLayout, path: Path) -> bool:
    """A page of one day or one week: the commit of that day or week brings it."""
    # A week's page (site/2025-W52.html) comes with its week's commit. Checked before fromisoformat, which
    # reads 2025-W52 as a date.
    if path.suffix == ".html" and WEEK_NAME.fullmatch(path.stem):
        return True
    try:
        return layout.page(dt.date.fromisoformat(path.stem)) == path
    except ValueError:
        return False


def _shared_site_files(layout: DataLayout) -> list[Path]:
    """The site's files of no one day (index.html, feed.xml and whatever other channels put beside them), which
    every day's commit brings up to date; temporary and hidden files left out."""
    if not layout.site.is_dir():
        return []
    return [path for path in sorted(layout.site.rglob("*"))
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(layout.site).parts)
            and not (path.parent == layout.site and _is_day_page(layout, path))]


def _files(layout: DataLayout, own: Sequence[Path]) -> dict[str, Path | None]:
    """Path in the repository -> the file of data/ to copy there, or None where data/ has none (so the
    repository drops it too: a chart no longer drawn); ``own`` and the site's shared files."""
    files = {layout.link(path, layout.root): path if path.is_file() else None for path in own}
    return files | {layout.link(path, layout.root): path for path in _shared_site_files(layout)}


def day_files(layout: DataLayout, day: dt.date) -> dict[str, Path | None]:
    return _files(layout, _day_files(layout, day))


def week_files(layout: DataLayout, week: dt.date) -> dict[str, Path | None]:
    return _files(layout, _week_files(layout, week))


def dropped_feeds(layout: DataLayout, repo: DataLayout) -> dict[str, None]:
    """The topic feeds the working copy ``repo`` holds that data/ no longer has (a keyword filter taken out of
    the settings): the repository drops them too, as data/ did."""
    if not repo.site_feeds.is_dir():
        return {}
    return {repo.link(path, repo.root): None for path in sorted(repo.site_feeds.glob("*.xml"))
            if not (layout.site_feeds / path.name).is_file()}


def readme_files(repo: DataLayout, summaries: Mapping[dt.date, IssueSummary]) -> dict[str, bytes]:
    """The README, from the issues the working copy ``repo`` holds now."""
    issues = {}
    for path in sorted(repo.issues.glob("*.md")) if repo.issues.is_dir() else []:
        try:
            day = dt.date.fromisoformat(path.stem)
        except ValueError:
            continue
        if repo.issue(day) == path:
            issues[day] = path.read_text(encoding="utf-8")
    return {README: render_readme(repo, issues, summaries).encode("utf-8")}


def site_front_files(repo: DataLayout) -> dict[str, bytes]:
    return {SITE_FRONT: render_site_front(repo.link(repo.index, repo.root)).encode("utf-8"), NO_JEKYLL: b""}


def _cause(output: str) -> str:
    """git's answer without its hints and progress: the lines that say what went wrong."""
    # --porcelain's status lines read '!<TAB>HEAD:refs/heads/main<TAB>[remote rejected] (reason)'.
    keep = [" ".join(line.split("\t")[1:]) if line.startswith("!\t") else line.strip()
            for line in output.splitlines() if line.strip() and not line.startswith(("hint:", "To ", "Done"))]
    return " / ".join(dict.fromkeys(keep))[:1500].rstrip(".") or "git gave no reason"


def _fix(output: str, branch: str) -> str:
    text = output.lower()
    if any(s in text for s in ("authentication failed", "could not read username", "could not read password",
                               "permission denied", "returned error: 401", "returned error: 403",
                               "terminal prompts disabled")):
        return ("Give a credential that may push: HF_DAILY_PUBLISH_TOKEN for an HTTPS remote, "
                "HF_DAILY_PUBLISH_SSH_KEY for an SSH one.")
    if any(s in text for s in ("does not appear to be a git repository", "repository not found",
                               "returned error: 404", "no such file or directory")):
        return ("Check HF_DAILY_PUBLISH_REPO: the repository must exist (for a path, create it with "
                "`git init --bare PATH`).")
    if any(s in text for s in ("remote rejected", "hook declined", "protected branch")):
        return (f"The remote refuses pushes to {branch} (a hook or a protected branch): let this author push "
                f"there, or publish to another branch (HF_DAILY_PUBLISH_BRANCH).")
    if any(s in text for s in ("could not resolve", "connection refused", "timed out", "unable to access",
                               "network is unreachable")):
        return "The remote cannot be reached: check the address and the network."
    return "Fix the cause above."


class _WorkingCopy:
    """One branch's working copy: data/publish/NAME, its remote 'origin'."""

    def __init__(self, git: Git, remote: str, branch: str, attempts: int) -> None:
        self.git, self.path, self.remote, self.branch, self.attempts = git, git.workdir, remote, branch, attempts
        self.tracking = f"refs/remotes/origin/{branch}"
        self.fetch_error: str | None = None

    # --- state ---------------------------------------------------------------------------------------------

    def has_head(self) -> bool:
        return self.git.ok("rev-parse", "-q", "--verify", "HEAD^{commit}")

    def head(self) -> str | None:
        return self.git.out("rev-parse", "HEAD") if self.has_head() else None

    def ahead(self) -> int:
        if not self.has_head():
            return 0
        if self.git.ok("rev-parse", "-q", "--verify", self.tracking):
            return int(self.git.out("rev-list", "--count", f"{self.tracking}..HEAD"))
        return int(self.git.out("rev-list", "--count", "HEAD"))

    # --- opening -------------------------------------------------------------------------------------------

    def open(self) -> None:
        git = self.git
        if not (self.path / ".git").exists():
            git.run("init", "-q", "-b", self.branch)
        known = git.run("remote", "get-url", "origin", check=False)
        moved = known.returncode == 0 and known.stdout.strip() != self.remote
        git.run("remote", "set-url" if known.returncode == 0 else "add", "origin", self.remote)
        if moved:  # what the old remote had says nothing of the new one's: it gets every commit it lacks
            git.run("update-ref", "-d", self.tracking, check=False)
        git.run("config", "remote.origin.fetch", f"+refs/heads/{self.branch}:{self.tracking}")
        # What a run that stopped half-way may have left: a rebase, uncommitted files, another branch.
        if (self.path / ".git" / "rebase-merge").exists() or (self.path / ".git" / "rebase-apply").exists():
            git.run("rebase", "--abort", check=False)
        if git.run("symbolic-ref", "-q", "HEAD", check=False).stdout.strip() != f"refs/heads/{self.branch}":
            git.run("symbolic-ref", "HEAD", f"refs/heads/{self.branch}")
        if self.has_head():
            git.run("reset", "-q", "--hard", "HEAD")
        else:
            (self.path / ".git" / "index").unlink(missing_ok=True)
        git.run("clean", "-q", "-d", "-f", "-x")
        if self.has_head():
            if moved:
                self.fetch()
        elif self.fetch() and git.ok("rev-parse", "-q", "--verify", self.tracking):
            git.run("reset", "-q", "--hard", self.tracking)

    def fetch(self) -> bool:
        """Fetch the branch; False (the reason kept) when the remote cannot be read. A branch the remote does
        not have yet is no failure."""
        result = self.git.run("fetch", "-q", "origin", check=False)
        if result.returncode == 0:
            return True
        if "couldn't find remote ref" in result.stderr:
            self.git.run("update-ref", "-d", self.tracking, check=False)
            return True
        self.fetch_error = result.stderr
        return False

    # --- committing ----------------------------------------------------------------------------------------

    def sync(self, files: Mapping[str, Path | bytes | None]) -> None:
        """Make the working copy hold ``files`` (path -> a file to copy, the bytes, or None: no such file)."""
        for name, source in files.items():
            target = self.path / name
            data = source.read_bytes() if isinstance(source, Path) else source
            if data is None:
                target.unlink(missing_ok=True)
            elif not target.is_file() or target.read_bytes() != data:
                write_atomically(target, data)

    def commit(self, message: str) -> str | None:
        """Commit everything that changed; None when nothing did."""
        self.git.run("add", "-A")
        if self.git.ok("diff", "--cached", "--quiet"):
            return None
        self.git.run("commit", "-q", "--no-verify", "-F", "-", input=message)
        return self.head()

    # --- pushing -------------------------------------------------------------------------------------------

    def push(self, regenerate: Callable[[], None]) -> int:
        """Push what the remote lacks; on a race, fetch, rebase (``regenerate`` then rewrites the files made
        from the whole tree) and try again. Returns the commits pushed."""
        for attempt in range(1, self.attempts + 1):
            ahead = self.ahead()
            if not ahead:
                return 0
            result = self.git.run("push", "--porcelain", "origin", f"HEAD:refs/heads/{self.branch}", check=False)
            if result.returncode == 0:
                return ahead
            output = f"{result.stdout}\n{result.stderr}"
            if not any(s in output for s in _RACE):
                raise PublishError(self._failure(f"pushing {self.branch}", output))
            if attempt == self.attempts:
                break
            if not self.fetch():
                raise PublishError(self._failure(f"fetching {self.branch}", self.fetch_error or ""))
            self._rebase(regenerate)
        raise PublishError(self._failure(
            f"pushing {self.branch}", f"someone else pushed to {self.branch} first, "
                                     f"{self.attempts} time{'' if self.attempts == 1 else 's'} in a row",
            fix="Run again (the next run fetches and rebases first)."))

    def _rebase(self, regenerate: Callable[[], None]) -> None:
        """Our commits onto the remote's; where both touched a file, ours wins (the files are ours to make)."""
        result = self.git.run("rebase", "-q", "-X", "theirs", self.tracking, check=False)
        if result.returncode != 0:
            self.git.run("rebase", "--abort", check=False)
            raise PublishError(self._failure(
                f"rebasing {self.branch} onto the remote's", f"{result.stdout}\n{result.stderr}",
                fix=f"Reconcile {self.branch} by hand in {self.path}, or delete that folder to start again from "
                    f"the remote's branch."))
        regenerate()
        self.git.run("add", "-A")
        if not self.git.ok("diff", "--cached", "--quiet"):
            if self.ahead():
                self.git.run("commit", "-q", "--no-verify", "--amend", "--no-edit")
            else:
                self.git.run("commit", "-q", "--no-verify", "-F", "-", input=f"{README}: the index again\n")

    def _failure(self, action: str, output: str, fix: str | None = None) -> str:
        kept = self.ahead()
        return (f"{action} to {redact_url(self.remote)} failed: {_cause(output)}. {fix or _fix(output, self.branch)} "
                f"{kept} commit{'' if kept == 1 else 's'} wait{'s' if kept == 1 else ''} in {self.path} "
                f"and the next run pushes {'it' if kept == 1 else 'them'}.")


def _check_branch(git: Git, name: str, setting: str) -> None:
    if name.startswith("-") or not git.ok("check-ref-format", f"refs/heads/{name}"):
        raise PublishError(f"{name!r} is not a branch name git accepts: fix {setting}")


@dataclass(frozen=True)
class Commit:
    """What one commit brings: a day's files, or a week's, and its message."""
    key: dt.date  # the day, or the week's Monday
    files: Callable[[DataLayout], Mapping[str, Path | None]]  # of the working copy's layout
    message: Callable[[str], str]  # for the branch's kind of commit: 'issue', 'site', 'weekly', ...


def _publish_branch(path: Path, branch: str, remote: str, target: GitTarget, author: Identity,
                    commits_to_make: Sequence[Commit], generated: Callable[[DataLayout], Mapping[str, bytes]],
                    kind: str) -> BranchReport:
    path.mkdir(parents=True, exist_ok=True)
    with Git(path, author, token=target.token, ssh_key=target.ssh_key) as git:
        copy = _WorkingCopy(git, remote, branch, max(1, target.push_attempts))
        repo = DataLayout(path)  # the repository mirrors data/
        try:
            copy.open()
            commits = {}
            for unit in commits_to_make:
                copy.sync(unit.files(repo))
                copy.sync(generated(repo))
                if sha := copy.commit(unit.message(kind)):
                    commits[unit.key] = sha
            pushed = copy.push(lambda: copy.sync(generated(repo)))
        except GitError as error:
            raise PublishError(f"publishing {branch} in {path} for {redact_url(remote)}: {error}. Fix the cause, or "
                               f"delete {path} to start again from the remote's branch.") from None
        return BranchReport(branch=branch, working_copy=path, commits=commits, head=copy.head(), pushed=pushed)


def _publish(commits: Sequence[Commit], layout: DataLayout, target: GitTarget,
             summaries: Mapping[dt.date, IssueSummary], kinds: tuple[str, str]) -> PublishReport:
    try:
        remote = check_remote(target.repo)
        author = Identity.parse(target.author)
    except ValueError as error:
        raise PublishError(str(error)) from None
    if target.ssh_key and not Path(target.ssh_key).expanduser().is_file():
        raise PublishError(f"HF_DAILY_PUBLISH_SSH_KEY names {target.ssh_key}, which is not a file: give the path of "
                           "the private key")
    layout.publish.mkdir(parents=True, exist_ok=True)
    with Git(layout.publish, author) as git:
        _check_branch(git, target.branch, "HF_DAILY_PUBLISH_BRANCH")
        if target.site_branch:
            _check_branch(git, target.site_branch, "HF_DAILY_PUBLISH_SITE_BRANCH")
    if target.site_branch == target.branch:
        raise PublishError(f"the site branch is the issues' branch ({target.branch}): give the site its own branch "
                           "(HF_DAILY_PUBLISH_SITE_BRANCH) or leave it empty")
    issues = _publish_branch(layout.publish_issues, target.branch, remote, target, author, commits,
                             lambda repo: readme_files(repo, summaries), kinds[0])
    site = None
    if target.site_branch:
        site = _publish_branch(layout.publish_site, target.site_branch, remote, target, author, commits,
                               site_front_files, kinds[1])
    return PublishReport(remote=redact_url(remote), issues=issues, site=site)


def publish(days: Sequence[dt.date], layout: DataLayout, target: GitTarget,
            summaries: Mapping[dt.date, IssueSummary]) -> PublishReport:
    """Commit each of ``days`` (in order, one commit a day unless nothing changed) to the target's branch, and
    the site to its own branch when one is set, and push them. ``summaries`` give the paper counts."""
    days = sorted(set(days))
    missing = [day for day in days if not layout.issue(day).is_file()]
    if missing:
        raise PublishError(f"{layout.issue(missing[0])} is missing: materialize newsletter_issue (and the delivery "
                           f"assets) for {', '.join(d.isoformat() for d in missing)} before publishing")
    commits = [Commit(day, lambda repo, day=day: day_files(layout, day) | dropped_feeds(layout, repo),
                      lambda kind, day=day: commit_message(kind, day, summaries.get(day))) for day in days]
    return _publish(commits, layout, target, summaries, ("issue", "site"))


def publish_weeks(weeks: Sequence[WeeklySummary], layout: DataLayout, target: GitTarget,
                  summaries: Mapping[dt.date, IssueSummary]) -> PublishReport:
    """Commit each weekly digest (its Markdown and page, and the site's shared files: the index, the weekly
    feed) like a day, one commit a week unless nothing changed, and push."""
    weeks = sorted(weeks, key=lambda w: w.week)
    missing = [w for w in weeks if not layout.weekly_issue(w.week).is_file()]
    if missing:
        raise PublishError(f"{layout.weekly_issue(missing[0].week)} is missing: materialize weekly_digest and "
                           f"weekly_page for {', '.join(w.name for w in missing)} before publishing")
    commits = [Commit(w.week, lambda repo, week=w.week: week_files(layout, week) | dropped_feeds(layout, repo),
                      lambda kind, w=w: weekly_commit_message(kind, w)) for w in weeks]
    return _publish(commits, layout, target, summaries, ("weekly", "weekly site"))
