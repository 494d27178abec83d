"""Fetching days into the raw store, and importing folders of saved responses."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hf_daily import warehouse as wh
from hf_daily.core.progress import DayProgress
from hf_daily.sources.archive import ArchiveFileError, day_from_name, read_folder
from hf_daily.sources.page import RawPage, parse_page

Fetch = Callable[[dt.date], list[RawPage]]


@dataclass
class FetchReport:
    fetched: list[dt.date] = field(default_factory=list)
    unchanged: list[dt.date] = field(default_factory=list)
    skipped: list[dt.date] = field(default_factory=list)
    pages: int = 0
    papers: int = 0
    # Days read from an archive file holding exactly one full API page: the rest may be missing.
    possibly_truncated: list[dt.date] = field(default_factory=list)


# Fetched days are stored in batches: opening and closing the warehouse costs about 0.2 s (a checkpoint
# and its fsyncs), far more than reading a day from an archive. The time bound keeps what a crash can
# lose small and lets other writers in between batches.
FETCH_BATCH_DAYS = 64
FETCH_BATCH_SECONDS = 5.0


def fetch_days(warehouse: wh.Warehouse, fetch: Fetch, days: Sequence[dt.date], refresh: bool = False,
               on_day: Callable[[int, int], None] | None = None,
               progress: Callable[[str], None] | None = None) -> FetchReport:
    """Fetch and keep every day not fetched yet (all of them when ``refresh``)."""
    report = FetchReport()
    with warehouse.connect() as con:
        have = wh.fetched_days(con, list(days))
    tracker = DayProgress("fetch", len(days), progress) if progress else None
    pending: list[tuple[dt.date, list[RawPage]]] = []
    last_store = time.monotonic()

    def store(con) -> None:
        for day, pages in pending:
            (report.fetched if wh.store_fetch(con, day, pages) else report.unchanged).append(day)
        pending.clear()

    for done, day in enumerate(days, start=1):
        if day in have and not refresh:
            report.skipped.append(day)
            detail = ", already stored"
        else:
            pages = fetch(day)  # slow network work: no connection held
            papers = sum(len(parse_page(p.body, day=day, url=p.url)) for p in pages)
            report.pages += len(pages)
            report.papers += papers
            detail = f", {papers} papers"
            if pages:
                pending.append((day, pages))
            else:
                report.unchanged.append(day)  # nothing to keep: an archive without the day
            if len(pending) >= FETCH_BATCH_DAYS or (pending and time.monotonic() - last_store >= FETCH_BATCH_SECONDS):
                with warehouse.connect() as con:  # the write lock is held only while writing
                    store(con)
                last_store = time.monotonic()
        if tracker:
            tracker.day_done(day, detail)
        if on_day:
            on_day(done, len(days))
    with warehouse.connect() as con:
        store(con)
        # From the store, not this run's fetches, so that days imported earlier are flagged too.
        report.possibly_truncated = wh.possibly_truncated_days(con, days)
    report.fetched.sort()
    report.unchanged.sort()
    return report


# --- importing a folder --------------------------------------------------------------------------

@dataclass
class FileResult:
    path: Path
    day: dt.date | None = None
    shape: str | None = None
    papers: int = 0
    possibly_truncated: bool = False
    stored: str = ""  # "new fetch N", "unchanged" or "" when rejected
    error: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ImportReport:
    folder: Path
    files: list[FileResult] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)  # not .json

    @property
    def imported(self) -> list[FileResult]:
        return [f for f in self.files if f.ok]

    @property
    def rejected(self) -> list[FileResult]:
        return [f for f in self.files if not f.ok]

    @property
    def days(self) -> list[dt.date]:
        return sorted({f.day for f in self.imported if f.day})


def import_folder(warehouse, folder: str | Path) -> ImportReport:
    """Store each readable file of ``folder`` as a fetch of its day in ``raw_responses``.

    A file is read whole before anything of it is stored, so a broken file adds nothing; the
    other files are still imported. Re-importing the same files stores nothing new.
    """
    results, ignored = read_folder(folder)
    report = ImportReport(folder=Path(folder), ignored=ignored)
    by_day: dict[dt.date, Path] = {}
    with warehouse.connect() as con:
        for result in results:
            if isinstance(result, ArchiveFileError):
                report.files.append(FileResult(path=result.path, day=day_from_name(result.path), error=str(result)))
                continue
            entry = FileResult(path=result.path, day=result.day, shape=result.shape, papers=result.papers,
                               possibly_truncated=result.possibly_truncated, notes=result.notes)
            if result.day in by_day:
                # Two files for one day: whichever came last would silently win as the "latest" fetch.
                entry.error = (f"{result.path}: holds {result.day}, already imported from {by_day[result.day].name}; "
                               "keep one file per day and import again")
            else:
                by_day[result.day] = result.path
                fetch_id = wh.store_fetch(con, result.day, [result.page()])
                entry.stored = f"new fetch {fetch_id}" if fetch_id else "unchanged"
            report.files.append(entry)
    return report


def contiguous_ranges(days: Iterable[dt.date], max_gap: int = 7,
                      avoid: Iterable[dt.date] = ()) -> list[tuple[dt.date, dt.date]]:
    """Runs of days, bridging gaps of up to ``max_gap`` days (weekends, holidays) so that each is one backfill.

    A gap holding a day of ``avoid`` (a file that was rejected) is never bridged.
    """
    avoid = sorted(set(avoid))
    ranges: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if ranges:
            last = ranges[-1][1]
            blocked = any(last < a < day for a in avoid)
            if (day - last).days <= max_gap and not blocked:
                ranges[-1][1] = day
                continue
        ranges.append([day, day])
    return [(a, b) for a, b in ranges]
