"""Shared pieces of the fault tests: days of fake papers, a warehouse snapshot, pre-translated
caches, Dagster failure messages as the CLI prints them, and child processes that talk in lines."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import pandas as pd
import requests

from hf_daily import warehouse as wh
from hf_daily.sources.client import DailyPapersClient
from hf_daily.sources.page import RawPage
from hf_daily.defs.resources import TranslatorResource
from hf_daily.steps.normalize import normalize_day
from hf_daily.translate import source_hash
from hf_daily_tests.loopback import fake_papers

REPO = Path(__file__).resolve().parents[2]
DAY = dt.date(2025, 12, 26)
# The client checks days against its clock: a fixed "now" keeps the tests independent of today.
NOW = dt.datetime(2025, 12, 27, 8, 0, tzinfo=dt.timezone.utc)
TOKEN = "hf_FaUlTsTeStToKeN0123456789abcdefXYZ"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def papers(n: int = 6, day: dt.date = DAY, start: int = 1, upvotes: int = 0) -> list[dict]:
    """Items as the API sends them. ``upvotes`` shifts every count, so a refresh is visible in the rows."""
    items = fake_papers(n, day=day, start=start)
    for item in items:
        item["paper"]["upvotes"] += upvotes
    return items


def good(n: int = 6, **kwargs) -> list[dict]:
    return papers(n, **kwargs)


def better(n: int = 6, **kwargs) -> list[dict]:
    """The same papers a little later: same texts (so translations stay cached), more upvotes."""
    return papers(n, upvotes=100, **kwargs)


def with_extra(items: list[dict], **fields) -> list[dict]:
    items = copy.deepcopy(items)
    for item in items:
        item.update(fields)
        item["paper"].update(fields)
    return items


def page_url(base_url: str, day: dt.date = DAY, p: int = 0, limit: int = 50) -> str:
    return f"{base_url}/api/daily_papers?date={day.isoformat()}&limit={limit}&p={p}"


def client(base_url: str, sleeps: list[float] | None = None, **kwargs) -> DailyPapersClient:
    session = requests.Session()
    session.trust_env = False  # a proxy from the environment must not sit between us and 127.0.0.1
    options = dict(base_url=base_url, timeout=5.0, retries=2, backoff=0.5, session=session,
                   sleep=(sleeps if sleeps is not None else []).append, clock=lambda: NOW)
    options.update(kwargs)
    return DailyPapersClient(**options)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: this checkout importable, no proxy, no Dagster home."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES and k not in ("DAGSTER_HOME", "HF_TOKEN")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONWARNINGS"] = "ignore"
    env.update(extra)
    return env


# --- the warehouse ---------------------------------------------------------------------------------

def snapshot(db: Path, day: dt.date | None = None) -> dict[str, list[str]]:
    """Every row of every table (only ``day``'s rows of per-day tables when given), comparable with ==."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for name, table in wh.TABLES.items():
            where = " WHERE day = ?" if day and "day" in table.column_names else ""
            rows = con.execute(f"SELECT * FROM {name}{where}", [day] if where else []).fetchall()
            out[name] = sorted(map(repr, rows))
        return out
    finally:
        con.close()


def rows(db: Path, sql: str, params: Iterable = ()) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def upvotes(db: Path, day: dt.date = DAY) -> dict[str, int]:
    return dict(rows(db, "SELECT paper_id, upvotes FROM papers WHERE day = ?", [day]))


def expected_upvotes(items: list[dict]) -> dict[str, int]:
    return {i["paper"]["id"]: i["paper"]["upvotes"] for i in items}


# --- translations --------------------------------------------------------------------------------

def stub_model(folder: Path) -> dict:
    """Translator config for a model folder that holds no weights.

    Its model_id is real (a fingerprint of the folder), so translations seeded under it are
    cache hits; anything not seeded fails loudly at load time instead of translating slowly.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text('{"note": "no weights: every translation must come from the cache"}')
    return {"backend": "causal", "model": str(folder)}


def model_id(translator: Mapping, data_dir: Path) -> str:
    # Built exactly as the paper_translations asset builds it, so the ids agree.
    return TranslatorResource(**translator).translator(str(data_dir)).model_id


def seed_translations(db: Path, days: Mapping[dt.date, list[dict]], model: str) -> int:
    """Put a Chinese title and abstract for every paper of ``days`` into translation_cache."""
    cache = []
    fetched = dt.datetime(2025, 12, 27, tzinfo=dt.timezone.utc)
    for day, items in days.items():
        normalized = normalize_day(day, [[RawPage(day, 0, "seed://", fetched, 200, json.dumps(items))]])
        for paper in normalized.papers.itertuples():
            for field, text in (("title", paper.title), ("abstract", paper.abstract)):
                cache.append({"paper_id": paper.paper_id, "field": field, "source_hash": source_hash(text),
                              "model_id": model, "text_zh": f"{'标题' if field == 'title' else '摘要'}{paper.paper_id}",
                              "seconds": 0.0, "translated_at": dt.datetime(2025, 12, 27)})
    frame = pd.DataFrame(cache, columns=wh.TABLES["translation_cache"].column_names)
    with wh.Warehouse(db).connect() as con:
        wh.upsert(con, "translation_cache", frame)
    return len(frame)


# --- Dagster results -----------------------------------------------------------------------------

def user_error(error):
    """The exception Dagster wrapped: its message is the one written for the user.

    Not the bottom of the chain: our errors keep their low-level cause (``raise ... from exc``)
    for debugging, and that cause (a JSONDecodeError, a DuckDB IOException) explains nothing.
    """
    while error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    return error


def failure_messages(result) -> list[str]:
    """Each failed step's error, as `hf-daily materialize` should print it on stderr."""
    return [f"error in {event.step_key}: {user_error(event.step_failure_data.error).message.strip()}"
            for event in result.all_events if event.is_step_failure and event.step_failure_data.error]


def materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


# --- child processes -----------------------------------------------------------------------------

class Child:
    """A Python child process whose stdout lines can be awaited with a deadline."""

    def __init__(self, code: str, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=dict(env or clean_env()), cwd=cwd or REPO,
        )
        self._stderr: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=lambda: self._stderr.extend(self.proc.stderr), daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def expect(self, pattern: str, timeout: float = 60.0) -> re.Match:
        """Wait for a stdout line matching ``pattern``; fail with the child's output if none comes."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r} within {timeout} s; "
                                     f"stdout {self.lines[-5:]}, stderr {self.stderr[-2000:]}") from None
            if line is None:
                self._queue.put(None)
                raise AssertionError(f"child exited ({self.proc.wait()}) before printing {pattern!r}; "
                                     f"stdout {self.lines[-5:]}, stderr {self.stderr[-3000:]}")
            self.lines.append(line)
            match = regex.search(line)
            if match:
                return match

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait(self, timeout: float = 120.0) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"child still running after {timeout} s; stderr {self.stderr[-2000:]}") from None

    def kill(self) -> list[str]:
        """SIGKILL the child (if still running); returns every line it printed."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        while (line := self._queue.get(timeout=30)) is not None:
            self.lines.append(line)
        self._queue.put(None)
        return self.lines

