"""The raw store: every fetch of a day, kept verbatim."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import duckdb

from hf_daily.core.constants import PAGE_SIZE
from hf_daily.sources.page import RawPage


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


def possibly_truncated_days(con, days: Iterable[dt.date]) -> list[dt.date]:
    """Days whose latest stored fetch is one archive file of exactly one full API page."""
    days = list(days)
    if not days:
        return []
    rows = con.execute(
        """SELECT day FROM (
               SELECT day, fetch_id, count(*) AS pages, bool_and(url LIKE 'file:%') AS from_file,
                      sum(json_array_length(body)) AS papers,
                      max(fetch_id) OVER (PARTITION BY day) AS latest
               FROM raw_responses WHERE day IN (SELECT unnest(?)) GROUP BY day, fetch_id)
           WHERE fetch_id = latest AND pages = 1 AND from_file AND papers = ? ORDER BY day""",
        [days, PAGE_SIZE],
    ).fetchall()
    return [r[0] for r in rows]
