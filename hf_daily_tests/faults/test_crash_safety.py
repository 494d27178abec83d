"""Crash safety: a process SIGKILLed in the middle of writing loses nothing that was committed,
leaves no half-written partition, and the next run completes the day."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import threading

import dagster as dg
import pandas as pd
import pytest

from hf_daily.steps import normalize, translation
from hf_daily import warehouse as wh
from hf_daily.sources.page import RawPage
from hf_daily.runner import dagster_home
from hf_daily_tests.faults.support import (
    DAY, Child, good, model_id, rows, seed_translations, stub_model,
)
from hf_daily_tests.loopback import LoopbackServer, Reply

ROWS = 50_000

# Replaces DAY's authors with generation 1, 2, 3, ... for ever, saying on stdout where it is in each
# transaction, so that the test can kill it at a chosen point.
REPLACE_FOR_EVER = r"""
import datetime as dt, sys
import pandas as pd
from hf_daily import warehouse as wh

path, rows, threshold = sys.argv[1], int(sys.argv[2]), sys.argv[3]
day = dt.date.fromisoformat(sys.argv[4])
base = pd.DataFrame({"day": [day] * rows, "paper_id": [f"x.{i:06d}" for i in range(rows)],
                     "position": 1, "hf_username": None})

class Announcing:
    def __init__(self, con, generation):
        self._con, self._generation = con, generation
    def __getattr__(self, name):
        return getattr(self._con, name)
    def execute(self, sql, *args):
        result = self._con.execute(sql, *args)
        if sql.startswith("DELETE"):
            print(f"DELETED {self._generation}", flush=True)
        return result
    def commit(self):
        print(f"COMMITTING {self._generation}", flush=True)
        self._con.commit()

with wh.Warehouse(path).connect() as con:
    if threshold != "default":
        con.execute(f"SET checkpoint_threshold = '{threshold}'")  # a checkpoint at every commit
    generation = con.execute("SELECT max(CAST(name AS INTEGER)) FROM authors WHERE day = ?", [day]).fetchone()[0]
    print(f"START {generation}", flush=True)
    while True:
        generation += 1
        wh.replace_days(Announcing(con, generation), [day], {"authors": base.assign(name=str(generation))})
        print(f"COMMITTED {generation}", flush=True)
"""


def generations(db) -> dict[str, int]:
    return dict(rows(db, "SELECT name, count(*) FROM authors WHERE day = ? GROUP BY name", [DAY]))


def test_sigkill_while_replacing_a_partition_leaves_old_or_new_rows(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    warehouse = wh.Warehouse(db)
    fetched = dt.datetime(2025, 12, 27, tzinfo=dt.timezone.utc)
    with warehouse.connect() as con:
        # A real fetch of the day, so that the next normal run can rebuild its rows.
        wh.store_fetch(con, DAY, [RawPage(DAY, 0, "http://api/p0", fetched, 200, json.dumps(good()))])
        frame = pd.DataFrame({"day": DAY, "paper_id": [f"x.{i:06d}" for i in range(ROWS)], "position": 1,
                              "name": "1", "hf_username": None})
        wh.replace_days(con, [DAY], {"authors": frame})

    seed = int.from_bytes(os.urandom(4), "big")
    chance = random.Random(seed)
    # Killed just after the DELETE, while the insert runs (after a random number of whole generations),
    # and as COMMIT starts with a checkpoint at every commit, so that the kill can land inside one.
    for event, threshold, generations_before in [("DELETED", "default", chance.randint(0, 2)),
                                                 ("COMMITTING", "1MB", 0)]:
        child = Child(REPLACE_FOR_EVER, str(db), str(ROWS), threshold, DAY.isoformat())
        start = int(child.expect(r"^START (\d+)$").group(1))
        target = start + 1 + generations_before
        child.expect(rf"^{event} {target}$")
        printed = child.kill()
        committed = [int(line.split()[1]) for line in printed if line.startswith("COMMITTED")]
        committing = [int(line.split()[1]) for line in printed if line.startswith("COMMITTING")]
        last_committed = max(committed, default=start)
        context = f"seed {seed}, killed at {event} {target} (checkpoint_threshold {threshold})"

        # The day holds exactly one whole generation, whether an analyst opens the file read-only first
        # or the next run opens it for writing (which replays and checkpoints DuckDB's write-ahead log).
        found = generations(db)
        with warehouse.connect() as con:
            con.execute("SELECT 1")
        assert generations(db) == found, context
        assert len(found) == 1 and list(found.values()) == [ROWS], f"{context}: a mix of rows {found}"
        [generation] = map(int, found)
        assert generation in {last_committed, max(committing, default=start)}, f"{context}: got {generation}"
        assert generation >= last_committed, f"{context}: a committed generation was lost"

    # The next run completes the day from its stored raw response.
    report = normalize.normalize_days(warehouse, [DAY])
    assert report.rows["authors"] == 12
    assert rows(db, "SELECT count(*), count(DISTINCT paper_id) FROM authors WHERE day = ?", [DAY]) == [(12, 6)]


# Translates DAY's 12 texts in chunks of 4, titles first (4 + 2), then abstracts;
# blocks (until killed) in the third chunk, once the 6 titles are done and stored.
TRANSLATE_UNTIL_KILLED = r"""
import datetime as dt, sys, threading
from hf_daily import warehouse as wh
from hf_daily.steps import translation

class Blocking:
    model_id = "fake:blocking"
    done = 0
    def translate(self, texts, kind, progress=None):
        if Blocking.done >= 6:
            print("BLOCKED", flush=True)
            threading.Event().wait()
        Blocking.done += len(texts)
        return [f"译文{len(t)}" for t in texts]

translation.translate_days(wh.Warehouse(sys.argv[1]), Blocking(), [dt.date.fromisoformat(sys.argv[2])],
                        progress=lambda line: print(line, flush=True), chunk_size=4)
"""


class Counting:
    model_id = "fake:blocking"

    def __init__(self) -> None:
        self.texts: list[str] = []

    def translate(self, texts, kind, progress=None):
        self.texts += texts
        return [f"译文{len(t)}" for t in texts]


def test_sigkill_during_translation_keeps_the_finished_batches(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    warehouse = wh.Warehouse(db)
    fetched = dt.datetime(2025, 12, 27, tzinfo=dt.timezone.utc)
    with warehouse.connect() as con:
        wh.store_fetch(con, DAY, [RawPage(DAY, 0, "http://api/p0", fetched, 200, json.dumps(good()))])
    normalize.normalize_days(warehouse, [DAY])

    child = Child(TRANSLATE_UNTIL_KILLED, str(db), DAY.isoformat())
    child.expect(r"^BLOCKED$")  # inside the third batch: the first two have been written
    child.kill()

    assert rows(db, "SELECT count(*) FROM translation_cache WHERE model_id = 'fake:blocking'") == [(6,)]
    assert rows(db, "SELECT count(*) FROM paper_translations") == [(0,)]

    translator = Counting()
    report = translation.translate_days(warehouse, translator, [DAY], chunk_size=4)
    assert (report.cache_hits, report.translated, len(translator.texts)) == (6, 6, 6)
    assert report.untranslated == []
    assert rows(db, "SELECT count(*) FROM paper_translations WHERE day = ?", [DAY]) == [(6,)]


# A whole `hf-daily materialize`-style run (DAGSTER_HOME on disk), killed while fetching.
MATERIALIZE = r"""
import datetime as dt, json, sys
from hf_daily.runner import materialize
[result] = materialize(dt.date.fromisoformat(sys.argv[1]), data_dir=sys.argv[2], base_url=sys.argv[3],
                       translator=json.loads(sys.argv[4]), raise_on_error=False, daily_papers={"retries": 0})
print("SUCCESS" if result.success else "FAILURE", flush=True)
"""


def test_a_killed_cli_run_does_not_block_the_next_one(tmp_path):
    translator = stub_model(tmp_path / "stub-model")
    seed_translations(tmp_path / "warehouse.duckdb", {DAY: good()}, model_id(translator, tmp_path))
    asked = threading.Event()

    def stall(request):
        asked.set()
        return Reply.json(good(), delay=60)

    with LoopbackServer(stall) as server:
        args = (DAY.isoformat(), str(tmp_path), server.base_url, json.dumps(translator))
        doomed = Child(MATERIALIZE, *args)
        assert asked.wait(60), doomed.stderr[-2000:]
        doomed.kill()

        server.fallback = Reply.json(good())
        child = Child(MATERIALIZE, *args)
        try:
            child.expect(r"^(SUCCESS|FAILURE)$", timeout=45)
        finally:
            child.kill()
        assert child.lines[-1] == "SUCCESS", child.stderr[-2000:]
    with dg.DagsterInstance.from_config(str(dagster_home(tmp_path))) as instance:
        assert not instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
