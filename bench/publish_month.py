"""A month through every channel, as a user runs it: git, mail, topic feeds and weekly digests.

Backfills 2025-12-01 .. 2025-12-31 from ../shared/hf_daily_api with the hf-daily command, publishing
to a local bare repository and mailing two subscribers with different filters through a local SMTP
server (aiosmtpd, which writes each mail it receives into a maildir), then makes the month's weekly
digests; then runs the same commands again, which must commit and send nothing. Prints one table.

    .venv/bin/python bench/publish_month.py                      # the offline model: hours on 2 cores
    .venv/bin/python bench/publish_month.py --tiny-model         # the channels alone, in minutes

``--tiny-model`` translates with the tests' tiny model (nonsense Chinese, made in seconds), so the run
measures the channels and the orchestration, not translation. Everything is made under --workdir (a
temporary folder by default), never under the project's data/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import mailbox
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from email.header import decode_header, make_header
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT.parent / "shared" / "hf_daily_api"
START, END = dt.date(2025, 12, 1), dt.date(2025, 12, 31)
SUBSCRIBERS = (
    ("alice@example.org", []),  # every paper
    ("bob@example.org", ["--include-field", "智能体", "--exclude-keyword", "robot"]),
)


def cpu() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown CPU"
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    flags = set(fields.get("Flags", "").split())
    shown = [f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "amx_int8") if f in flags]
    return f"{fields.get('Model name', '?').strip()}, {os.cpu_count()} cores, flags: {' '.join(shown)}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hf_daily(*args: str, env: dict) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hf_daily.cli", *args], env=env, check=True, cwd=ROOT)
    return time.perf_counter() - began


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True, text=True, check=True).stdout


def received(maildir: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in mailbox.Maildir(maildir, create=False):
        to = str(make_header(decode_header(message["To"])))
        for address, _ in SUBSCRIBERS:
            if address in to:
                counts[address] = counts.get(address, 0) + 1
    return counts


def wait_for_port(port: int, deadline_s: float = 30.0) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"the SMTP server did not listen on 127.0.0.1:{port} within {deadline_s:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny-model", action="store_true", help="translate with the tests' tiny model (fast)")
    parser.add_argument("--workdir", help="where to make data/, the bare repository and the maildir")
    args = parser.parse_args()
    if not ARCHIVE.is_dir():
        raise SystemExit(f"{ARCHIVE} is missing: this benchmark reads the saved December responses of ../shared")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="hf-daily-month-"))
    work.mkdir(parents=True, exist_ok=True)
    data, repo, maildir = work / "data", work / "news.git", work / "maildir"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)

    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_DAILY_")}
    env.update({
        "HF_DAILY_DATA_DIR": str(data), "DAGSTER_HOME": str(work / "dagster_home"),
        "HF_DAILY_PUBLISH_REPO": str(repo), "HF_DAILY_PUBLISH_SITE_BRANCH": "pages",
        "HF_DAILY_SMTP_HOST": "127.0.0.1", "HF_DAILY_SMTP_SECURITY": "none",
        "HF_DAILY_MAIL_FROM": "每日论文 <news@example.org>",
        "HF_DAILY_FEED_FILTERS": json.dumps([{"name": "agents-no-robots", "include": ["agent*", "智能体"],
                                                "exclude": ["robot*", "机器人"]}]),
        "DAGSTER_DISABLE_TELEMETRY": "1", "PYTHONPATH": str(ROOT),
    })
    if args.tiny_model:
        sys.path.insert(0, str(ROOT))
        from hf_daily_tests.tiny_models import build_tiny_causal_lm

        env.update({"HF_DAILY_TRANSLATOR_BACKEND": "causal",
                    "HF_DAILY_TRANSLATOR_MODEL": str(build_tiny_causal_lm(work / "tiny-model")),
                    "HF_DAILY_TRANSLATOR_MAX_NEW_TOKENS": "8"})
    port = free_port()
    env["HF_DAILY_SMTP_PORT"] = str(port)
    smtp = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Mailbox", str(maildir)], start_new_session=True)
    rows = []
    try:
        wait_for_port(port)
        for address, filters in SUBSCRIBERS:
            hf_daily("subscribers", "add", address, *filters, env=env)
        for attempt in ("first", "again"):
            days_s = hf_daily("materialize", START.isoformat(), END.isoformat(), "--archive", str(ARCHIVE), env=env)
            weeks_s = hf_daily("weekly", START.isoformat(), END.isoformat(), "--archive", str(ARCHIVE), env=env)
            mails = received(maildir)
            rows.append((attempt, days_s, weeks_s,
                         int(git(repo, "rev-list", "--count", "main")), int(git(repo, "rev-list", "--count", "pages")),
                         mails.get(SUBSCRIBERS[0][0], 0), mails.get(SUBSCRIBERS[1][0], 0)))
    finally:
        os.killpg(smtp.pid, signal.SIGTERM)
        smtp.wait(timeout=30)

    messages = git(repo, "log", "--format=%s", "main").splitlines()
    days_committed = [m.split()[1].rstrip(":") for m in messages if m.startswith("issue ")]
    weeks_committed = [m.split()[1].rstrip(":") for m in messages if m.startswith("weekly ")]
    # The repository README's index: one line per issue, newest first.
    readme = git(repo, "show", "main:README.md")
    index = re.findall(r"^- .*?(\d{4}-\d{2}-\d{2})", readme.split("## 往期目录", 1)[-1], re.MULTILINE)
    feeds = sorted(p.name for p in (data / "site" / "feeds").glob("*.xml")) if (data / "site" / "feeds").is_dir() else []
    weekly = sorted(p.name for p in (data / "weekly").glob("*.md")) if (data / "weekly").is_dir() else []
    print(f"\nMachine: {cpu()}; translator: {'tiny test model' if args.tiny_model else 'offline default'}; "
          f"work folder {work}\n")
    print("| run | materialize (s) | weekly (s) | commits on main | commits on pages | mails to alice | mails to bob |")
    print("|---|---|---|---|---|---|---|")
    for attempt, days_s, weeks_s, main_commits, pages_commits, alice, bob in rows:
        print(f"| {attempt} | {days_s:.0f} | {weeks_s:.0f} | {main_commits} | {pages_commits} | {alice} | {bob} |")
    every_day = [(START + dt.timedelta(days=i)).isoformat() for i in range((END - START).days + 1)]
    print(f"\nDays committed: {len(set(days_committed))} of {len(every_day)}, each once: "
          f"{sorted(days_committed) == every_day}; weeks committed: {', '.join(sorted(weeks_committed))} "
          f"({len(messages)} commit messages on main)")
    print(f"README index: {len(index)} issues, newest first: {index == sorted(every_day, reverse=True)}")
    print(f"Topic feeds: {len(feeds)} ({', '.join(feeds)})")
    print(f"Weekly digests: {len(weekly)} ({', '.join(weekly)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
