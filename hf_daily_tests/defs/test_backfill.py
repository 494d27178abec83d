"""Backfills, refreshes and imports through the real asset graph, with a tiny translation model."""

from __future__ import annotations

import datetime as dt
import json
import os

import duckdb
import pytest

from hf_daily import cli
from hf_daily.defs import partitions
from hf_daily.warehouse import views as analytics
from hf_daily_tests.factories import api_item, materialize_days, metadata, table_snapshot, write_archive

D22, D23 = dt.date(2025, 12, 22), dt.date(2025, 12, 23)


def logs(instance, result) -> list[str]:
    return [e.user_message for e in instance.all_logs(result.run_id)]


def test_a_rerun_of_a_backfilled_range_fetches_translates_and_changes_nothing(tmp_path, tiny_causal_lm, instance):
    archive = tmp_path / "archive"
    write_archive(archive, D22, [api_item("2512.00001", "Agents"), api_item("2512.00002", "Robots", 5)])
    write_archive(archive, D23, [api_item("2512.00003", "Speech"), api_item("2512.00001", "Agents")])
    [first] = materialize_days(tmp_path / "data", archive, tiny_causal_lm, instance, D22, D23)
    assert metadata(first, "paper_translations")["texts_translated"] == 6  # 3 distinct papers, title and abstract
    messages = logs(instance, first)
    assert "fetch: 1/2 days done (2025-12-22, 2 papers), 1 left, ETA 0 s" in messages
    assert "fetch: 2/2 days done (2025-12-23, 2 papers), 0 left" in messages
    before = table_snapshot(tmp_path / "data" / "warehouse.duckdb")
    issues = {p.name: p.read_text() for p in (tmp_path / "data" / "issues").iterdir()}

    # The same range again, now day by day: nothing is fetched or translated, and nothing changes.
    again = materialize_days(tmp_path / "data", archive, tiny_causal_lm, instance, D22, D23, per_day=True)
    assert [metadata(r, "raw_responses")["already_stored_days"] for r in again] == [1, 1]
    assert [metadata(r, "paper_translations")["texts_translated"] for r in again] == [0, 0]
    assert table_snapshot(tmp_path / "data" / "warehouse.duckdb") == before
    assert {p.name: p.read_text() for p in (tmp_path / "data" / "issues").iterdir()} == issues


def test_a_refresh_keeps_every_snapshot_and_the_issue_uses_the_latest(tmp_path, tiny_causal_lm, instance):
    archive, data = tmp_path / "archive", tmp_path / "data"
    path = write_archive(archive, D22, [api_item("2512.00001", "Agents", 1), api_item("2512.00002", "Robots", 5)]) / "2025-12-22.json"
    first_fetch = dt.datetime(2025, 12, 22, 8, tzinfo=dt.timezone.utc).timestamp()
    os.utime(path, (first_fetch, first_fetch))
    materialize_days(data, archive, tiny_causal_lm, instance, D22)
    issue = (data / "issues" / "2025-12-22.md").read_text()
    assert issue.index("Robots") < issue.index("Agents")  # 5 upvotes before 1

    # A week later Agents has 9 upvotes: the day is fetched again and kept beside the first fetch.
    write_archive(archive, D22, [api_item("2512.00001", "Agents", 9), api_item("2512.00002", "Robots", 5)])
    os.utime(path, (first_fetch + 7 * 86400, first_fetch + 7 * 86400))
    [refreshed] = materialize_days(data, archive, tiny_causal_lm, instance, D22, refresh=True)
    assert metadata(refreshed, "raw_responses")["fetched_days"] == 1
    assert metadata(refreshed, "paper_translations")["texts_translated"] == 0

    con = duckdb.connect(str(data / "warehouse.duckdb"))
    try:
        bodies = [json.loads(b) for (b,) in con.execute(
            "SELECT body FROM raw_responses WHERE day = ? ORDER BY fetch_id", [D22]).fetchall()]
        assert [[p["paper"]["upvotes"] for p in body] for body in bodies] == [[1, 5], [9, 5]]
        assert con.execute("SELECT paper_id, list(upvotes ORDER BY fetched_at) FROM upvote_snapshots "
                           "GROUP BY 1 ORDER BY 1").fetchall() == [("2512.00001", [1, 9]), ("2512.00002", [5, 5])]
        assert con.execute("SELECT paper_id, upvotes FROM papers ORDER BY 1").fetchall() == [
            ("2512.00001", 9), ("2512.00002", 5)]
        analytics.ensure_views(con)
        assert con.execute("SELECT paper_id, upvotes, snapshots, upvotes_gained FROM latest_upvotes "
                           "ORDER BY 1").fetchall() == [("2512.00001", 9, 2, 8), ("2512.00002", 5, 2, 0)]
    finally:
        con.close()
    issue = (data / "issues" / "2025-12-22.md").read_text()
    assert issue.index("Agents") < issue.index("Robots")  # now 9 upvotes before 5


def test_import_then_materialize_the_imported_days(tmp_path, tiny_causal_lm, capsys, monkeypatch, instance):
    import hf_daily.runner as runner

    real = runner.materialize
    monkeypatch.setattr(runner, "materialize", lambda *a, **k: real(*a, instance=instance, **k))
    archive, data = tmp_path / "archive", tmp_path / "data"
    write_archive(archive, D22, [api_item("2512.00001", "Agents")])
    (archive / "2025-12-23.json").write_text(json.dumps([str(api_item("2512.00002", "Robots"))]))
    (archive / "2025-12-26.json").write_text(json.dumps(
        {"status": "success", "date": "2025-12-26", "count": 1, "data": [str(api_item("2512.00003", "Speech"))]}))

    code = cli.main(["import", str(archive), "--data-dir", str(data), "--backend", "causal",
                     "--model", str(tiny_causal_lm)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "materializing 2025-12-22 .. 2025-12-26 in one run" in out
    # The days between had no file: they are empty days, never fetched from the network.
    assert sorted(p.name for p in (data / "issues").iterdir()) == [f"2025-12-{d}.md" for d in range(22, 27)]
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT day, paper_id FROM papers ORDER BY day").fetchall() == [
            (D22, "2512.00001"), (D23, "2512.00002"), (dt.date(2025, 12, 26), "2512.00003")]
        assert con.execute("SELECT count(*) FROM paper_translations").fetchone() == (3,)
        assert con.execute("SELECT count(DISTINCT day) FROM raw_responses").fetchone() == (3,)
    finally:
        con.close()


def test_a_range_longer_than_a_backfill_run_is_still_one_run_from_the_command_line(tmp_path, tiny_causal_lm, instance):
    # The backfill policy splits the UI's backfills into runs of DAYS_PER_BACKFILL_RUN days; a range run of
    # `hf-daily materialize START END` is one run whatever its length.
    start, end = dt.date(2025, 12, 15), dt.date(2025, 12, 23)  # 9 days, more than 7
    archive = tmp_path / "archive"
    write_archive(archive, start, [api_item("2512.00001", "Agents")])
    write_archive(archive, end, [api_item("2512.00002", "Robots")])
    [run] = materialize_days(tmp_path / "data", archive, tiny_causal_lm, instance, start, end)
    assert run.dagster_run.tags["dagster/asset_partition_range_end"] == end.isoformat()
    assert metadata(run, "paper_translations")["days"] == "2025-12-15 .. 2025-12-23 (9 days)"
    con = duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT day, paper_count FROM newsletter_issues ORDER BY day").fetchall() == [
            (start + dt.timedelta(days=i), 1 if i in (0, 8) else 0) for i in range(9)]
    finally:
        con.close()


def test_days_per_backfill_run_comes_from_the_environment_with_a_clear_error(monkeypatch):
    monkeypatch.delenv(partitions.DAYS_PER_BACKFILL_RUN_ENV, raising=False)
    assert partitions.days_per_backfill_run() == partitions.DEFAULT_DAYS_PER_BACKFILL_RUN == 7
    monkeypatch.setenv(partitions.DAYS_PER_BACKFILL_RUN_ENV, "30")
    assert partitions.days_per_backfill_run() == 30
    monkeypatch.setenv(partitions.DAYS_PER_BACKFILL_RUN_ENV, "0")
    with pytest.raises(ValueError, match="HF_DAILY_BACKFILL_DAYS_PER_RUN='0': write how many days"):
        partitions.days_per_backfill_run()
