"""Concurrent runs and an analyst's open session: runs wait for DuckDB's single-writer lock instead of
failing, and when they wait too long they say why."""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import dagster as dg
import pytest

from hf_daily.steps import ingest, normalize
from hf_daily.defs.resources import StorageResource
from hf_daily.runner import materialize
from hf_daily.warehouse import Warehouse
from hf_daily_tests.faults.support import (
    DAY, Child, better, client, expected_upvotes, failure_messages, good, model_id, papers, rows, seed_translations,
    snapshot, stub_model, upvotes,
)
from hf_daily_tests.loopback import LoopbackServer, Reply, Request

DAYS = {DAY - dt.timedelta(days=2): papers(4, day=DAY - dt.timedelta(days=2), start=201),
        DAY - dt.timedelta(days=1): papers(5, day=DAY - dt.timedelta(days=1), start=101),
        DAY: good()}

# One materialization in its own process, as runs launched from the UI are, but with its own
# ephemeral Dagster instance: no Dagster pool orders the runs, only the warehouse's lock waits do.
# It says when it first has to wait for the lock.
RUN = r"""
import datetime as dt, json, sys, time
import dagster as dg
from hf_daily.defs.resources import StorageResource
from hf_daily.runner import materialize
from hf_daily.warehouse import Warehouse

start, end, data_dir, base_url, translator = sys.argv[1:6]
waits = []

def sleep(seconds):
    if not waits:
        print("WAITING", flush=True)
    waits.append(seconds)
    time.sleep(seconds)

StorageResource.warehouse = lambda self: Warehouse(self.layout.warehouse, lock_timeout=self.lock_timeout_s, sleep=sleep)
with dg.DagsterInstance.ephemeral() as instance:
    results = materialize(dt.date.fromisoformat(start), dt.date.fromisoformat(end), data_dir=data_dir,
                          base_url=base_url, translator=json.loads(translator), instance=instance,
                          raise_on_error=False, daily_papers={"retries": 1, "backoff_s": 0})
errors = [str(e.step_failure_data.error) for r in results for e in r.all_events if e.is_step_failure]
print("RESULT", json.dumps({"success": all(r.success for r in results), "waits": len(waits), "errors": errors}),
      flush=True)
"""

# An analyst's read-only session (a DuckDB shell, a notebook) that stays open until told to close.
READER = r"""
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("OPEN", con.execute("SELECT count(*) FROM papers").fetchone()[0], flush=True)
sys.stdin.readline()
con.close()
print("CLOSED", flush=True)
"""


def serve(request: Request) -> Reply:
    return Reply.json(DAYS.get(dt.date.fromisoformat(request.params["date"]), []))


def test_daily_runs_and_a_backfill_at_once(tmp_path):
    """The daily run twice for the same day, and a backfill over it and two other days, all at once."""
    translator = stub_model(tmp_path / "stub-model")
    db = tmp_path / "warehouse.duckdb"
    seed_translations(db, DAYS, model_id(translator, tmp_path))
    first, last = min(DAYS), max(DAYS)
    with LoopbackServer(fallback=serve) as server, dg.DagsterInstance.ephemeral() as instance:
        # The test holds the write lock until both child runs have had to wait for it, so that all
        # three runs start together and contend for every connection after that.
        with Warehouse(db).connect() as held:
            children = [Child(RUN, start.isoformat(), end.isoformat(), str(tmp_path), server.base_url,
                              json.dumps(translator))
                        for start, end in [(last, last), (first, last)]]
            for child in children:
                child.expect(r"^WAITING$", timeout=90)
            held.execute("SELECT 1")
        # The third run, the same day as the first, in this process.
        [here] = materialize(last, data_dir=str(tmp_path), base_url=server.base_url, translator=translator,
                             instance=instance, raise_on_error=False, daily_papers={"retries": 1, "backoff_s": 0})
        results = [json.loads(child.expect(r"^RESULT (.*)$", timeout=180).group(1)) for child in children]
        for child in children:
            assert child.wait() == 0, child.stderr[-3000:]

    assert here.success, failure_messages(here)
    assert [r["errors"] for r in results] == [[]] * 2
    assert all(r["success"] for r in results)
    for child in children:
        assert not re.search(r"WarehouseLocked|Could not set lock|Conflicting lock", child.stderr)
    for day, items in DAYS.items():
        assert upvotes(db, day) == expected_upvotes(items)
        # Identical responses are kept once, however many runs fetched them.
        assert rows(db, "SELECT count(DISTINCT fetch_id) FROM raw_responses WHERE day = ?", [day]) == [(1,)]
        assert rows(db, "SELECT count(*) FROM paper_translations WHERE day = ?", [day]) == [(len(items),)]
        assert rows(db, "SELECT paper_count FROM newsletter_issues WHERE day = ?", [day]) == [(len(items),)]
        assert f"今日共 **{len(items)}** 篇论文" in (tmp_path / "issues" / f"{day}.md").read_text()


@pytest.fixture
def seeded_run(tmp_path, loopback, monkeypatch):
    """A function that materializes DAY from the loopback API, with the writer's lock waits seen by ``on_wait``."""
    translator = stub_model(tmp_path / "stub-model")
    seed_translations(tmp_path / "warehouse.duckdb", {DAY: good()}, model_id(translator, tmp_path))
    settings = {"lock_timeout": 300.0, "on_wait": lambda seconds: None}

    def sleep(seconds: float) -> None:
        settings["on_wait"](seconds)
        time.sleep(seconds)  # the writer's own back-off: a fraction of a second

    monkeypatch.setattr(StorageResource, "warehouse", lambda self: Warehouse(
        self.layout.warehouse, lock_timeout=settings["lock_timeout"], sleep=sleep))

    def run(*replies: Reply, refresh: bool = False):
        loopback.script(*replies)
        with dg.DagsterInstance.ephemeral() as instance:
            [result] = materialize(DAY, data_dir=str(tmp_path), base_url=loopback.base_url, refresh=refresh,
                                   translator=translator, instance=instance, raise_on_error=False,
                                   daily_papers={"retries": 0, "backoff_s": 0})
        return result

    run.settings = settings
    return run


def test_an_open_read_only_session_makes_the_run_wait_or_say_why(tmp_path, seeded_run, loopback):
    db = tmp_path / "warehouse.duckdb"
    warehouse = Warehouse(db)
    loopback.script(Reply.json(good()))
    ingest.fetch_days(warehouse, client(loopback.base_url).fetch_day, [DAY])
    normalize.normalize_days(warehouse, [DAY])
    before = snapshot(db)
    reader = Child(READER, str(db))
    reader.expect(r"^OPEN 6$")

    # Held longer than the run will wait: the run fails before fetching, saying who holds the lock.
    seeded_run.settings["lock_timeout"] = 0.3
    result = seeded_run(refresh=True)
    assert not result.success
    [message] = failure_messages(result)
    assert message.startswith("error in raw_responses: hf_daily.warehouse.store.WarehouseLockedError: "), message
    assert f"The warehouse {db} is locked by another process" in message
    assert "close the other session holding it (a DuckDB shell, notebook or `hf-daily sql`)" in message
    assert snapshot(db) == before and len(loopback.requests) == 1

    # Closed while the run waits for it: the run goes on and completes the day.
    waits: list[float] = []

    def close_the_session(seconds: float) -> None:
        if not waits:
            reader.send("close")
            reader.expect(r"^CLOSED$")
        waits.append(seconds)

    seeded_run.settings.update(lock_timeout=300.0, on_wait=close_the_session)
    result = seeded_run(Reply.json(better()), refresh=True)
    assert result.success, failure_messages(result)
    assert waits, "the run never had to wait: the session did not hold the lock"
    assert reader.wait() == 0
    assert upvotes(db) == expected_upvotes(better())
