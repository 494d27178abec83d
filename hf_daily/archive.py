"""Reading folders of saved Daily Papers responses, including those of the newsletter hf-daily replaces.

That newsletter saved each day's response in one of three shapes over its history:

* ``list``: the API's JSON list, as received;
* ``string-items``: a JSON list whose items are the papers serialized as strings, either
  JSON or Python ``repr`` (single quotes, True/False/None), from ``[str(p) for p in data]``;
* ``wrapped``: ``{"status": "success", "date": ..., "count": N, "data": [...]}`` whose
  ``data`` is either of the above; ``"status": "no_data"`` marks a day the API had no papers,
  ``"status": "error"`` a download that failed.

Every shape becomes the API's canonical list, so the warehouse stores a body that
:func:`hf_daily.api.parse_page` reads. A ``list`` file is kept byte for byte; the
others are re-serialized, and the URI of the original file says which shape it was.

The newsletter asked the API for one page of at most 50 papers and never paged, so a
day with exactly 50 papers in a file may have lost the rest: it is flagged, never guessed.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hf_daily.api import DailyPapersError, RawPage, parse_page

log = logging.getLogger(__name__)

# The API's default page size, which the replaced newsletter never went past.
TRUNCATION_LIMIT = 50

SHAPES = ("list", "string-items", "wrapped")
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
_OK_STATUSES = {"success", "ok"}
_EMPTY_STATUSES = {"no_data"}


class ArchiveFileError(DailyPapersError):
    """An archive file that cannot be read; the message names the file, the cause and the fix."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


@dataclass(frozen=True)
class ArchiveFile:
    path: Path
    day: dt.date
    shape: str
    papers: int
    body: str  # the canonical API list: the file's own text for the `list` shape
    fetched_at: dt.datetime  # the file's modification time, UTC
    notes: tuple[str, ...] = ()

    @property
    def possibly_truncated(pages: Iterable[RawPage], papers: int | None = None) -> bool:
    """A fetch read from one archive file holding exactly one full API page of papers.

    ``papers`` is the fetch's paper count when the caller has already parsed it.
    """
    pages = list(pages)
    if len(pages) != 1 or not pages[0].url.startswith("file:"):
        return False
    if papers is None:
        papers = len(parse_page(pages[0].body, day=pages[0].day, url=pages[0].url))
    return papers == TRUNCATION_LIMIT


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
        [days, TRUNCATION_LIMIT],
    ).fetchall()
    return [r[0] for r in rows]


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


def read_folder(folder: str | Path) -> tuple[list[ArchiveFile | ArchiveFileError], list[Path]]:
    """Every ``*.json`` file of a folder, read (or the reason it cannot be), by name; and the other files."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ArchiveFileError(folder, f"not a folder ({folder.absolute()}); give the folder of daily JSON files")
    results: list[ArchiveFile | ArchiveFileError] = []
    ignored: list[Path] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix.lower() != ".json":
            ignored.append(path)
            continue
        try:
            results.append(read_archive_file(path))
        except ArchiveFileError as exc:
            results.append(exc)
    return results, ignored


def import_folder(warehouse, folder: str | Path) -> ImportReport:
    """Store each readable file of ``folder`` as a fetch of its day in ``raw_responses``.

    A file is read whole before anything of it is stored, so a broken file adds nothing; the
    other files are still imported. Re-importing the same files stores nothing new.
    """
    from hf_daily import warehouse as wh

    results, ignored = read_folder(folder)
    report = ImportReport(folder=Path(folder), ignored=ignored)
    by_day: dict[dt.date, Path] = {}
    with warehouse.connect() as con:
        for result in results:
            if isinstance(result, ArchiveFileError):
                report.files.append(FileResult(path=result.path, error=str(result)))
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


def contiguous_ranges(days: Iterable[dt.date], max_gap: int = 7) -> list[tuple[dt.date, dt.date]]:
    """Runs of days, bridging gaps of up to ``max_gap`` days (weekends, holidays) so that each is one backfill."""
    ranges: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if ranges and (day - ranges[-1][1]).days <= max_gap:
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [(a, b) for a, b in ranges]
