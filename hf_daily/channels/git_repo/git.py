"""The git command line, run so that it never prompts and never leaks a credential.

A token reaches git through GIT_ASKPASS: a small script that prints it from this process's child
environment when git asks for a password. It is never in argv, never in .git/config, never in a
credential store (credential.helper is reset for the run), and any error text is redacted before it is
raised. An SSH key reaches ssh through GIT_SSH_COMMAND. Settings git must not take from the user's own
config (line-ending conversion, credential helpers) are passed through GIT_CONFIG_COUNT, not argv.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_AUTHOR = "hf-daily <hf-daily@localhost>"
# The user name sent with a token when the URL names none: GitHub, GitLab and Hugging Face accept any for a token.
TOKEN_USERNAME = "x-access-token"
REDACTED = "***"

# Variables that point git at another repository (git rev-parse --local-env-vars): a run started from a
# git hook inherits them, and they would send our commands to the wrong repository.
_LOCAL_GIT_VARIABLES = (
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
    "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
)
_TOKEN_VARIABLE = "HF_DAILY_GIT_ASKPASS_TOKEN"
_ASKPASS = f"""#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' '{TOKEN_USERNAME}' ;;
  *) printf '%s\\n' "${_TOKEN_VARIABLE}" ;;
esac
"""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class GitError(RuntimeError):
    """A git command failed; its text is already redacted."""

    def __init__(self, command: Sequence[str], returncode: int, output: str) -> None:
        self.command, self.returncode, self.output = list(command), returncode, output
        super().__init__(f"`git {' '.join(command)}` failed ({returncode}): {output.strip() or 'no output'}")


@dataclass(frozen=True)
class Identity:
    name: str
    email: str

    @classmethod
    def parse(cls, text: str) -> Identity:
        """'Name <email>', as HF_DAILY_PUBLISH_AUTHOR is written."""
        name, email = parseaddr(text or "")
        if not name or "@" not in email or _CONTROL.search(text) or any(c in name for c in "<>"):
            raise ValueError(f"the publishing author {text!r} must read 'Name <email>', "
                             f"e.g. {DEFAULT_AUTHOR!r} (HF_DAILY_PUBLISH_AUTHOR)")
        return cls(name.strip(), email.strip())


def is_local(remote: str) -> bool:
    """A path rather than a URL: no scheme, and no 'host:' before the first slash (git's own rule)."""
    return "://" not in remote and not re.match(r"^[^/]*:", remote)


def check_remote(remote: str) -> str:
    """The remote as git is given it: a local path made absolute; a URL carrying a password refused, since it
    would be written to .git/config."""
    remote = (remote or "").strip()
    if not remote:
        raise ValueError("no remote to publish to: set HF_DAILY_PUBLISH_REPO to a git URL or a path")
    if _CONTROL.search(remote):
        raise ValueError("HF_DAILY_PUBLISH_REPO holds a control character: write it on one line")
    if is_local(remote):
        return str(Path(remote).expanduser().absolute())
    if urlsplit(remote).password is not None:
        raise ValueError(f"HF_DAILY_PUBLISH_REPO carries a password ({redact_url(remote)}): git would keep it in "
                         ".git/config. Put the token in HF_DAILY_PUBLISH_TOKEN and leave it out of the URL")
    return remote


def redact_url(url: str) -> str:
    """The URL with any password in it replaced."""
    if is_local(url):
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{REDACTED}@{host}"))


@dataclass
class Git:
    """Runs git in ``workdir`` as ``author``, with the credentials of the environment, never prompting.

    A context manager: the askpass script lives in a temporary folder for as long as it is open.
    """

    workdir: Path
    author: Identity
    token: str | None = field(default=None, repr=False)
    ssh_key: str | None = None
    _folder: tempfile.TemporaryDirectory | None = field(default=None, init=False, repr=False)
    _env: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __enter__(self) -> Git:
        env = {k: v for k, v in os.environ.items() if k not in _LOCAL_GIT_VARIABLES}
        env |= {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never", "SSH_ASKPASS_REQUIRE": "never",
                "GIT_AUTHOR_NAME": self.author.name, "GIT_AUTHOR_EMAIL": self.author.email,
                "GIT_COMMITTER_NAME": self.author.name, "GIT_COMMITTER_EMAIL": self.author.email,
                "LC_ALL": "C", "LANGUAGE": "C"}  # English messages, which _diagnose reads
        config = {"core.autocrlf": "false", "core.quotePath": "false", "advice.detachedHead": "false"}
        if self.token:
            self._folder = tempfile.TemporaryDirectory(prefix="hf-daily-git-")
            askpass = Path(self._folder.name) / "askpass.sh"
            askpass.write_text(_ASKPASS, encoding="ascii")
            askpass.chmod(stat.S_IRWXU)
            env |= {"GIT_ASKPASS": str(askpass), _TOKEN_VARIABLE: self.token}
            # An empty value clears the helpers of the user's config: none may store the token.
            config["credential.helper"] = ""
        if self.ssh_key:
            key = Path(self.ssh_key).expanduser()
            env["GIT_SSH_COMMAND"] = (f"ssh -i {shlex.quote(str(key))} -o IdentitiesOnly=yes -o BatchMode=yes "
                                      "-o StrictHostKeyChecking=accept-new")
        elif "GIT_SSH_COMMAND" not in env and "GIT_SSH" not in env:
            env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for i, (key, value) in enumerate(config.items()):
            env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
        self._env = env
        return self

    def __exit__(self, *exc) -> None:
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def redact(self, text: str) -> str:
        if self.token:
            text = text.replace(self.token, REDACTED)
        return re.sub(r"(://[^/\s:@]*:)[^@\s/]*@", rf"\1{REDACTED}@", text)

    def run(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        """``git ARGS`` in the working copy; stdout and stderr as text, redacted; GitError when it fails and ``check``."""
        if not self._env:
            raise RuntimeError("Git is used as a context manager: `with Git(...) as git:`")
        process = subprocess.run(
            ["git", *args], cwd=self.workdir, env=self._env, input=input, capture_output=True, text=True,
            encoding="utf-8", errors="replace", stdin=None if input is not None else subprocess.DEVNULL,
        )
        process.stdout, process.stderr = self.redact(process.stdout), self.redact(process.stderr)
        if check and process.returncode != 0:
            raise GitError(args, process.returncode, process.stderr or process.stdout)
        return process

    def ok(self, *args: str) -> bool:
        return self.run(*args, check=False).returncode == 0

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()
