import datetime as dt
import json

import duckdb
import pandas as pd
import pytest

from hf_daily import warehouse as wh
from hf_daily.sources.page import RawPage

DAY = dt.date(2025, 12, 26)
AT = dt.datetime(2025, 12, 26, 7, 45, tzinfo=dt.timezone.utc)


def pages(ids, at=AT):
    body = json.dumps([{"paper": {"id": i, "title": f"T{i}"}} for i in ids])
    return [RawPage(DAY, 0, "https://example.test/api", at, 200, body)]


def paper_rows(day, ids):
    return pd.DataFrame([{"day": day, "paper_id": i, "rank": n, "title": "t", "abstract": "a", "hf_url": "u",
                          "arxiv_url": None, "published_at": None, "submitted_on_daily_at": None, "upvotes": 0,
                          "num_comments": 0, "github_repo": None, "github_stars": None, "project_page": None,
                          "ai_summary": None, "ai_keywords": ["x"], "organization_id": None, "fetched_at": None}
                         for n, i in enumerate(ids, 1)])


@pytest.fixture
def warehouse(tmp_path):
    return wh.Warehouse(tmp_path / "w.duckdb", lock_timeout=0.2, sleep=lambda s: None)


def test_schema_is_documented(warehouse):
    with warehouse.connect() as con:
        comment = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name='papers' AND column_name='paper_id'").fetchone()[0]
    assert "never a number" in comment


def test_fetches_are_kept_and_identical_refetch_is_not_stored_twice(warehouse):
    with warehouse.connect() as con:
        assert wh.store_fetch(con, DAY, pages(["1"])) == 1
        assert wh.store_fetch(con, DAY, pages(["1"], at=AT + dt.timedelta(hours=1))) is None
        assert wh.store_fetch(con, DAY, pages(["1", "2"], at=AT + dt.timedelta(days=1))) == 2
        fetches = wh.stored_fetches(con, DAY)
        assert [len(f) for f in fetches] == [1, 1]
        assert fetches[0][0].fetched_at == AT
        assert wh.fetched_days(con, [DAY, DAY + dt.timedelta(days=1)]) == {DAY}


def test_replace_days_replaces_only_those_days(warehouse):
    other = DAY - dt.timedelta(days=1)
    with warehouse.connect() as con:
        wh.replace_days(con, [other], {"papers": paper_rows(other, ["a"])})
        wh.replace_days(con, [DAY], {"papers": paper_rows(DAY, ["1", "2"])})
        wh.replace_days(con, [DAY], {"papers": paper_rows(DAY, ["3"])})
        rows = con.execute("SELECT day, paper_id, ai_keywords FROM papers ORDER BY day, paper_id").fetchall()
    assert rows == [(other, "a", ["x"]), (DAY, "3", ["x"])]


def test_a_failed_write_leaves_the_day_untouched(warehouse):
    with warehouse.connect() as con:
        wh.replace_days(con, [DAY], {"papers": paper_rows(DAY, ["1", "2"])})
        broken = paper_rows(DAY, ["9", "9"])  # duplicate primary key: the insert fails after the delete
        with pytest.raises(duckdb.ConstraintException):
            wh.replace_days(con, [DAY], {"papers": broken, "authors": pd.DataFrame(
                columns=wh.TABLES["authors"].column_names)})
        assert con.execute("SELECT list(paper_id ORDER BY paper_id) FROM papers").fetchone()[0] == ["1", "2"]


def test_upsert_replaces_by_key(warehouse):
    orgs = lambda name: pd.DataFrame([{"organization_id": "o", "name": name, "fullname": None, "avatar_url": None}])
    with warehouse.connect() as con:
        wh.upsert(con, "organizations", orgs("old"))
        wh.upsert(con, "organizations", orgs("new"))
        assert con.execute("SELECT organization_id, name FROM organizations").fetchall() == [("o", "new")]


def test_read_only_on_a_missing_warehouse_says_what_to_do(tmp_path):
    with pytest.raises(wh.WarehouseError, match="materialize a day first"):
        with wh.Warehouse(tmp_path / "none.duckdb").connect(read_only=True):
            pass


def test_a_lock_held_by_another_process_is_waited_for_then_explained(warehouse):
    import subprocess
    import sys
    with warehouse.connect():
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,sys; c=duckdb.connect({str(warehouse.path)!r}); print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(wh.WarehouseLockedError, match="locked by another process.*Wait for the running"):
            with warehouse.connect():
                pass
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with warehouse.connect() as con:  # released: opens again
        assert con.execute("SELECT 1").fetchone() == (1,)
