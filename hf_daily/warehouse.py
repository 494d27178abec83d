"""The DuckDB warehouse: schema, safe connections and partition writes.

Every table is documented here once; the same text becomes DuckDB table and column
comments (visible with ``SELECT * FROM duckdb_columns()``) and Dagster column schemas.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from hf_daily.api import RawPage


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    # Per-day tables are replaced a whole day at a time; the others are keyed caches or dimensions.
    per_day: bool = True

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _table(name, description, primary_key, columns, per_day=True) -> Table:
    return Table(name, description, tuple(Column(*c) for c in columns), tuple(primary_key), per_day)


_DAY = ("day", "DATE NOT NULL", "The day the paper entered Daily Papers (the partition key).")
_PAPER = ("paper_id", "VARCHAR NOT NULL", "Paper id as text, e.g. '2512.21218' (never a number).")

TABLES: dict[str, Table] = {t.name: t for t in [
    _table("raw_responses", "Every Daily Papers response body exactly as received, one row per page of each fetch.",
           ["day", "fetch_id", "page"], [
               _DAY,
               ("fetch_id", "INTEGER NOT NULL", "1 for the day's first fetch, then 2, 3, ... for each refresh."),
               ("page", "INTEGER NOT NULL", "Page number p, from 0."),
               ("url", "VARCHAR NOT NULL", "The URL requested (or file:// URI of an archive file)."),
               ("fetched_at", "TIMESTAMP NOT NULL", "When the response arrived (UTC)."),
               ("status", "INTEGER NOT NULL", "HTTP status."),
               ("body", "VARCHAR NOT NULL", "The response body, verbatim."),
           ], per_day=False),
    _table("papers", "One row per paper per day it was featured, from the day's latest fetch.", ["day", "paper_id"], [
        _DAY, _PAPER,
        ("rank", "INTEGER NOT NULL", "Position in the day's API response, from 1."),
        ("title", "VARCHAR NOT NULL", "English title, hard line breaks joined."),
        ("abstract", "VARCHAR NOT NULL", "English abstract, hard line breaks joined, paragraphs kept."),
        ("hf_url", "VARCHAR NOT NULL", "The paper's Hugging Face page."),
        ("arxiv_url", "VARCHAR", "The arXiv abstract page; NULL when the id is not an arXiv id."),
        ("published_at", "TIMESTAMP", "arXiv publication time (UTC)."),
        ("submitted_on_daily_at", "TIMESTAMP", "When the paper entered Daily Papers (UTC)."),
        ("upvotes", "INTEGER NOT NULL", "Upvotes at the latest fetch."),
        ("num_comments", "INTEGER NOT NULL", "Comments at the latest fetch."),
        ("github_repo", "VARCHAR", "Code repository URL (http/https only)."),
        ("github_stars", "INTEGER", "GitHub stars as reported by Hugging Face."),
        ("project_page", "VARCHAR", "Project page URL (http/https only)."),
        ("ai_summary", "VARCHAR", "Hugging Face's AI-written one-line summary."),
        ("ai_keywords", "VARCHAR[]", "Hugging Face's AI-extracted keywords."),
        ("organization_id", "VARCHAR", "The paper's organization (see organizations)."),
        ("fetched_at", "TIMESTAMP", "The fetch these values come from (UTC)."),
    ]),
    _table("authors", "Paper authors in their published order.", ["day", "paper_id", "position"], [
        _DAY, _PAPER,
        ("position", "INTEGER NOT NULL", "1 for the first author."),
        ("name", "VARCHAR NOT NULL", "Author name as listed."),
        ("hf_username", "VARCHAR", "Hugging Face username when the author claimed the paper."),
    ]),
    _table("organizations", "Organizations that papers are published under, latest details.", ["organization_id"], [
        ("organization_id", "VARCHAR NOT NULL", "Hugging Face organization id."),
        ("name", "VARCHAR", "Short name, e.g. 'Berkeley'."),
        ("fullname", "VARCHAR", "Full name, e.g. 'UC Berkeley'."),
        ("avatar_url", "VARCHAR", "Logo URL."),
    ], per_day=False),
    _table("upvote_snapshots", "Upvotes and comments of each paper at every fetch of its day.",
           ["day", "paper_id", "fetched_at"], [
               _DAY, _PAPER,
               ("fetched_at", "TIMESTAMP NOT NULL", "When the fetch happened (UTC)."),
               ("upvotes", "INTEGER NOT NULL", "Upvotes at that fetch."),
               ("num_comments", "INTEGER NOT NULL", "Comments at that fetch."),
           ]),
    _table("translation_cache", "Every translation made, keyed so that nothing is translated twice.",
           ["paper_id", "field", "source_hash", "model_id"], [
               _PAPER,
               ("field", "VARCHAR NOT NULL", "'title' or 'abstract'."),
               ("source_hash", "VARCHAR NOT NULL", "sha256 of the English source text."),
               ("model_id", "VARCHAR NOT NULL", "The model (and prompt version) that translated it."),
               ("text_zh", "VARCHAR NOT NULL", "The Chinese translation."),
               ("seconds", "DOUBLE", "Time spent translating it."),
               ("translated_at", "TIMESTAMP NOT NULL", "When it was translated (UTC)."),
           ], per_day=False),
    _table("paper_translations", "Each day's papers in Chinese.", ["day", "paper_id"], [
        _DAY, _PAPER,
        ("title_zh", "VARCHAR NOT NULL", "Chinese title."),
        ("abstract_zh", "VARCHAR NOT NULL", "Chinese abstract."),
        ("model_id", "VARCHAR NOT NULL", "The model that translated them."),
    ]),
    _table("paper_keywords", "Keywords of each paper, English and Chinese.", ["day", "paper_id", "lang", "keyword"], [
        _DAY, _PAPER,
        ("lang", "VARCHAR NOT NULL", "'en' or 'zh'."),
        ("keyword", "VARCHAR NOT NULL", "The keyword."),
        ("source", "VARCHAR NOT NULL", "'hf' (Hugging Face ai_keywords), 'extracted' (our English extraction) or 'jieba'."),
        ("rank", "INTEGER NOT NULL", "Order of importance within the paper, from 1."),
    ]),
    _table("daily_keyword_counts", "How many of the day's papers carry each keyword.", ["day", "lang", "keyword"], [
        _DAY,
        ("lang", "VARCHAR NOT NULL", "'en' or 'zh'."),
        ("keyword", "VARCHAR NOT NULL", "The keyword."),
        ("papers", "INTEGER NOT NULL", "Number of the day's papers with it."),
    ]),
    _table("paper_fields", "The research fields (hot-field taxonomy) each paper belongs to.", ["day", "paper_id", "field"], [
        _DAY, _PAPER,
        ("field", "VARCHAR NOT NULL", "Field name in Chinese, e.g. 多模态."),
    ]),
    _table("hot_fields", "The day's leading research fields.", ["day", "field"], [
        _DAY,
        ("rank", "INTEGER NOT NULL", "1 for the field with most papers."),
        ("field", "VARCHAR NOT NULL", "Field name in Chinese."),
        ("papers", "INTEGER NOT NULL", "Number of the day's papers in the field."),
    ]),
    _table("newsletter_issues", "Each day's rendered Markdown issue.", ["day"], [
        _DAY,
        ("paper_count", "INTEGER NOT NULL", "Papers in the issue."),
        ("hot_fields", "VARCHAR[] NOT NULL", "The hot fields named in the header."),
        ("path", "VARCHAR NOT NULL", "Where the Markdown file was written."),
        ("markdown", "VARCHAR NOT NULL", "The issue's Markdown."),
    ]),
]}


class WarehouseError(RuntimeError):
    """The warehouse could not be opened or written."""


class WarehouseLockedError(WarehouseError):
    """Another process holds DuckDB's write lock for longer than we are willing to wait."""


_LOCK_MESSAGE = re.compile(r"lock|Conflicting", re.IGNORECASE)


def _escape_sql_string(text: str) -> str:
    return text.replace("'", "''")


def schema_ddl() -> list[str]:
    statements = []
    for table in TABLES.values():
        columns = ",\n  ".join(f"{c.name} {c.type}" for c in table.columns)
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {table.name} (\n  {columns},\n  PRIMARY KEY ({', '.join(table.primary_key)})\n)"
        )
        statements.append(f"COMMENT ON TABLE {table.name} IS '{_escape_sql_string(table.description)}'")
        statements.extend(
            f"COMMENT ON COLUMN {table.name}.{c.name} IS '{_escape_sql_string(c.description)}'" for c in table.columns
        )
    return statements


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
    from hf_daily.analytics import ensure_views

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


def _insert(con: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    missing = set(table.column_names) - set(frame.columns)
    if missing:
        raise WarehouseError(f"{table.name}: rows lack columns {sorted(missing)}")
    columns = ", ".join(table.column_names)
    view = f"_incoming_{table.name}"
    con.register(view, frame[table.column_names])
    try:
        con.execute(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {view}")
    finally:
        # After a failed statement the transaction is aborted and unregister would raise over the real error.
        with contextlib.suppress(duckdb.Error):
            con.unregister(view)


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
    view = f"_upsert_{table.name}"
    con.register(view, frame[table.column_names])
    try:
        con.execute(f"DELETE FROM {table.name} WHERE EXISTS (SELECT 1 FROM {view} AS incoming WHERE {keys})")
    finally:
        # After a failed statement the transaction is aborted and unregister would raise over the real error.
        with contextlib.suppress(duckdb.Error):
            con.unregister(view)
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


# --- raw responses -------------------------------------------------------------------------------

def stored_fetches(con: duckdb.DuckDBPyConnection, day: dt.date) -> list[list[RawPage]]:
    """All stored fetches of a day, oldest first, each a list of pages in order."""
    rows = con.execute(
        "SELECT fetch_id, page, url, fetched_at, status, body FROM raw_responses WHERE day = ? ORDER BY fetch_id, page",
        [day],
    ).fetchall()
    fetches: dict[int, list[RawPage]] = {}
    for fetch_id, page, url, fetched_at, status, body in rows:
        fetches.setdefault(fetch_id, []).append(
            RawPage(day=day, page=page, url=url, fetched_at=fetched_at.replace(tzinfo=dt.timezone.utc),
                    status=status, body=body)
        )
    return list(fetches.values())


def store_fetch(con: duckdb.DuckDBPyConnection, day: dt.date, pages: list[RawPage]) -> int | None:
    """Keep a new fetch of a day, unless its bodies equal the latest stored fetch. Returns the new fetch_id or None."""
    con.begin()
    try:
        latest = con.execute(
            "SELECT coalesce(max(fetch_id), 0) FROM raw_responses WHERE day = ?", [day]
        ).fetchone()[0]
        if latest:
            previous = [r[0] for r in con.execute(
                "SELECT body FROM raw_responses WHERE day = ? AND fetch_id = ? ORDER BY page", [day, latest]
            ).fetchall()]
            if previous == [p.body for p in pages]:
                con.rollback()
                return None
        fetch_id = latest + 1
        con.executemany(
            "INSERT INTO raw_responses (day, fetch_id, page, url, fetched_at, status, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (day, fetch_id, p.page, p.url, p.fetched_at.astimezone(dt.timezone.utc).replace(tzinfo=None),
                 p.status, p.body)
                for p in pages
            ],
        )
        con.commit()
        return fetch_id
    except Exception:
        con.rollback()
        raise


def fetched_days(con: duckdb.DuckDBPyConnection, days: list[dt.date]) -> set[dt.date]:
    if not days:
        return set()
    rows = con.execute("SELECT DISTINCT day FROM raw_responses WHERE day IN (SELECT unnest(?))", [days]).fetchall()
    return {r[0] for r in rows}
