"""Safe connections and partition writes: DuckDB has one writer, so open briefly, write, close."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import duckdb
import pandas as pd

from hf_daily.warehouse.schema import TABLES, Table, schema_ddl
from hf_daily.warehouse.views import ensure_views


class WarehouseError(RuntimeError):
    """The warehouse could not be opened or written."""


class WarehouseLockedError(WarehouseError):
    """Another process holds DuckDB's write lock for longer than we are willing to wait."""


_LOCK_MESSAGE = re.compile(r"lock|Conflicting", re.IGNORECASE)


class Warehouse:
    """A DuckDB file. Open it briefly, write, and close: DuckDB allows one writing process at a time."""

    def __init__(self, path: str | Path, lock_timeout: float = 120.0, sleep: Callable[[float], None] = time.sleep):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._sleep = sleep

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            raise WarehouseError(
                f"No warehouse at {self.path}: materialize a day first (see the README), or point at the right data directory."
            )
        con = self._open(read_only)
        try:
            if not read_only:
                ensure_schema(con)
            yield con
        finally:
            con.close()

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        waited, delay = 0.0, 0.05
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                if not _LOCK_MESSAGE.search(str(exc)):
                    raise WarehouseError(f"Cannot open the warehouse {self.path}: {exc}") from exc
                if waited >= self.lock_timeout:
                    raise WarehouseLockedError(
                        f"The warehouse {self.path} is locked by another process ({exc}). "
                        f"Waited {waited:.0f} s. Wait for the running materialization to finish, or close the other "
                        "session holding it (a DuckDB shell, notebook or `hf-daily sql`), then run again."
                    ) from exc
                self._sleep(delay)
                waited += delay
                delay = min(delay * 2, 2.0)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables, and the analytics views whenever this code's views differ from the stored ones."""
    existing = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if set(TABLES) <= existing:
        ensure_views(con)
        return
    con.begin()
    try:
        for statement in schema_ddl():
            con.execute(statement)
        con.commit()
    except Exception:
        con.rollback()
        raise
    ensure_views(con)


@contextlib.contextmanager
def _registered(con: duckdb.DuckDBPyConnection, view: str, frame: pd.DataFrame) -> Iterator[str]:
    """``frame`` as the view ``view`` for the statements inside the block."""
    con.register(view, frame)
    try:
        yield view
    finally:
        # After a failed statement the transaction is aborted and unregister would raise over the real error.
        with contextlib.suppress(duckdb.Error):
            con.unregister(view)


def _insert(con: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    missing = set(table.column_names) - set(frame.columns)
    if missing:
        raise WarehouseError(f"{table.name}: rows lack columns {sorted(missing)}")
    columns = ", ".join(table.column_names)
    with _registered(con, f"_incoming_{table.name}", frame[table.column_names]) as view:
        con.execute(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {view}")


def replace_days(
    con: duckdb.DuckDBPyConnection,
    days: list[dt.date],
    frames: Mapping[str, pd.DataFrame],
    upserts: Mapping[str, pd.DataFrame] | None = None,
) -> None:
    """Replace the given days' rows of several per-day tables in one transaction: all or nothing."""
    con.begin()
    try:
        for name, frame in frames.items():
            table = TABLES[name]
            if not table.per_day:
                raise WarehouseError(f"{name} is not a per-day table")
            for day in days:
                con.execute(f"DELETE FROM {name} WHERE day = ?", [day])
            _insert(con, table, frame)
        for name, frame in (upserts or {}).items():
            _upsert(con, TABLES[name], frame)
        con.commit()
    except Exception:
        con.rollback()
        raise


def _upsert(con: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    keys = " AND ".join(f"{name}.{k} = incoming.{k}" for name in [table.name] for k in table.primary_key)
    with _registered(con, f"_upsert_{table.name}", frame[table.column_names]) as view:
        con.execute(f"DELETE FROM {table.name} WHERE EXISTS (SELECT 1 FROM {view} AS incoming WHERE {keys})")
    _insert(con, table, frame)


def upsert(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Insert rows of a keyed table, replacing rows with the same primary key, in one transaction."""
    con.begin()
    try:
        _upsert(con, TABLES[name], frame)
        con.commit()
    except Exception:
        con.rollback()
        raise
