"""Reading folders of saved Daily Papers responses, including those of the newsletter hf-daily replaces.

That newsletter saved each day's response in one of three shapes over its history:

* ``list``: the API's JSON list, as received;
* ``string-items``: a JSON list whose items are the papers serialized as strings, either
  JSON or Python ``repr`` (single quotes, True/False/None), from ``[str(p) for p in data]``;
* ``wrapped``: ``{"status": "success", "date": ..., "count": N, "data": [...]}`` whose
  ``data`` is either of the above; ``"status": "no_data"`` marks a day the API had no papers,
  ``"status": "error"`` a download that failed.

Every shape becomes the API's canonical list, so the warehouse stores a body that
:func:`hf_daily.sources.page.parse_page` reads. A ``list`` file is kept byte for byte; the
others are re-serialized, and the URI of the original file says which shape it was.

The newsletter asked the API for one page (``PAGE_SIZE`` papers at most) and never paged, so a
day with exactly that many papers in a file may have lost the rest: it is flagged, never guessed.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hf_daily.core.constants import PAGE_SIZE
from hf_daily.core.weeks import WEEK_NAME, week_name
from hf_daily.sources.page import DailyPapersError, RawPage, parse_page

log = logging.getLogger(__name__)

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
    def possibly_truncated(self) -> bool:
        return self.papers == PAGE_SIZE

    @property
    def url(self) -> str:
        uri = self.path.resolve().as_uri()
        # The stored body is not the file's text for these shapes; the fragment records why.
        return uri if self.shape == "list" else f"{uri}#shape={self.shape}"

    def page(self) -> RawPage:
        return RawPage(day=self.day, page=0, url=self.url, fetched_at=self.fetched_at, status=200, body=self.body)


def day_from_name(path: Path) -> dt.date | None:
    """The YYYY-MM-DD in a file name (``2025-12-26.json``, ``daily_papers_2025-12-26.json``), if any."""
    match = _DATE_IN_NAME.search(path.stem)
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _item(value: object, index: int, where: str) -> object:
    """One list item: a paper object as is, or a paper serialized as JSON or as a Python repr."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        # literal_eval, never eval: it only builds literals, so a hostile file cannot run code.
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ValueError(
            f"item {index}{where} is a string that is neither JSON nor a Python literal "
            f"({type(exc).__name__}: {exc}; it starts {text[:60]!r})"
        ) from None


def _items(data: list, where: str = "") -> tuple[list, bool]:
    """The list with every string item decoded, and whether any item was a string."""
    decoded = [_item(value, i, where) for i, value in enumerate(data)]
    return decoded, any(isinstance(value, str) for value in data)


def canonicalize(data: object) -> tuple[list, str, dt.date | None, list[str]]:
    """Any of the three shapes as (API list, shape, day named inside the file, notes). Raises ValueError."""
    notes: list[str] = []
    if isinstance(data, list):
        items, had_strings = _items(data)
        return items, "string-items" if had_strings else "list", None, notes
    if not isinstance(data, dict):
        raise ValueError(f"it holds a JSON {type(data).__name__}; expected a list of papers or an object with 'data'")
    if "error" in data and "data" not in data:
        raise ValueError(f"it holds an API error, not papers: {str(data['error'])[:200]!r}")
    status = data.get("status")
    inner_day = None
    if "date" in data:
        try:
            inner_day = dt.date.fromisoformat(str(data["date"]))
        except ValueError:
            raise ValueError(f"its 'date' {data['date']!r} is not a YYYY-MM-DD date") from None
    if status in _EMPTY_STATUSES:
        notes.append(f"status {status!r}: the API had no papers when the file was saved")
        return [], "wrapped", inner_day, notes
    if status is not None and status not in _OK_STATUSES:
        detail = "; ".join(f"{k} {str(data[k])[:120]!r}" for k in ("code", "message") if k in data)
        raise ValueError(
            f"it records a failed download (status {status!r}{'; ' + detail if detail else ''}), not papers; "
            "fetch that day from the API instead (hf-daily materialize DAY)"
        )
    if "data" not in data:
        keys = ", ".join(sorted(map(str, data)))[:200]
        raise ValueError(f"it is a JSON dict without 'data', expected a list of papers (keys: {keys})")
    inner = data["data"]
    if not isinstance(inner, list):
        raise ValueError(f"its 'data' is a JSON {type(inner).__name__}, expected a list of papers")
    items, _ = _items(inner, " of 'data'")
    count = data.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count != len(items):
        notes.append(f"'count' says {count} but 'data' holds {len(items)} papers")
    return items, "wrapped", inner_day, notes


def read_archive_file(path: str | Path, day: dt.date | None = None) -> ArchiveFile:
    """Read one archive file of any shape, or raise :class:`ArchiveFileError` naming the file and the cause.

    The day comes from ``day``, else the file name, else the file's own ``date``; when two of
    them disagree the file is rejected, since importing it under either day could be wrong.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise ArchiveFileError(path, f"cannot read the file ({exc})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArchiveFileError(path, f"not UTF-8 text ({exc}); save it as UTF-8 JSON and import again") from exc
    # A byte-order mark is not JSON, but Windows editors add one; the stored body must not keep it.
    text = text.removeprefix("\ufeff")
    named_day = day or day_from_name(path)
    try:
        # The API's own shape, the common case, costs one parse and is kept verbatim.
        items = parse_page(text, day=named_day, url=path.name)
        shape, inner_day, notes, body, checked = "list", None, [], text, True
    except DailyPapersError:
        items, shape, inner_day, notes = _other_shape(path, text)
        body, checked = json.dumps(items, ensure_ascii=False), False
    if named_day and inner_day and named_day != inner_day:
        raise ArchiveFileError(
            path, f"the file is for {inner_day} (its 'date') but its name says {named_day}; "
            "rename the file to the right day, or remove it."
        )
    the_day = named_day or inner_day
    if the_day is None:
        raise ArchiveFileError(
            path, "cannot tell which day the file holds: neither its name nor its content has a "
            "YYYY-MM-DD date. Rename it to YYYY-MM-DD.json."
        )
    if not checked:
        try:
            parse_page(body, day=the_day, url=path.name)
        except DailyPapersError as exc:
            raise ArchiveFileError(path, f"{exc}; this is not a Daily Papers response") from exc
    fetched_at = dt.datetime.fromtimestamp(mtime, dt.timezone.utc)
    return ArchiveFile(path=path, day=the_day, shape=shape, papers=len(items), body=body,
                       fetched_at=fetched_at, notes=tuple(notes))


def _other_shape(path: Path, text: str) -> tuple[list, str, dt.date | None, list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        snippet = text[:60].replace("\n", " ")
        raise ArchiveFileError(
            path, f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}; it starts {snippet!r}). "
            "The file may be cut short; fetch that day again from the API instead."
        ) from exc
    try:
        return canonicalize(data)
    except ValueError as exc:
        raise ArchiveFileError(path, str(exc)) from exc


def find_day_file(folder: Path, day: dt.date) -> Path | None:
    """The file of ``day`` in ``folder``: ``YYYY-MM-DD.json`` or a name around the date (``daily_papers_YYYY-MM-DD.json``)."""
    exact = folder / f"{day.isoformat()}.json"
    candidates = {exact} if exact.is_file() else set()
    candidates |= {p for p in folder.glob(f"*{day.isoformat()}*.json") if p.is_file() and day_from_name(p) == day}
    if len(candidates) > 1:
        names = ", ".join(sorted(p.name for p in candidates))
        raise ArchiveFileError(folder, f"several files hold {day} ({names}); keep one file per day")
    return candidates.pop() if candidates else None


def possibly_truncated(pages: Iterable[RawPage], papers: int | None = None) -> bool:
    """A fetch read from one archive file holding exactly one full API page of papers.

    ``papers`` is the fetch's paper count when the caller has already parsed it.
    """
    pages = list(pages)
    if len(pages) != 1 or not pages[0].url.startswith("file:"):
        return False
    if papers is None:
        papers = len(parse_page(pages[0].body, day=pages[0].day, url=pages[0].url))
    return papers == PAGE_SIZE


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
        # A week's answer (2025-W52.json) cross-checks the weekly digest; it is no day to import.
        if path.suffix.lower() != ".json" or WEEK_NAME.fullmatch(path.stem):
            ignored.append(path)
            continue
        try:
            results.append(read_archive_file(path))
        except ArchiveFileError as exc:
            results.append(exc)
    return results, ignored


class ArchiveSource:
    """Reads days from a folder of saved API responses, one file a day named ``YYYY-MM-DD.json``
    (or with the date inside the name, e.g. ``daily_papers_YYYY-MM-DD.json``).

    Each file becomes one :class:`RawPage`: page 0, its ``file://`` URI as url, status 200,
    the file's modification time (UTC) as fetched_at, and as body the API's JSON list.
    A file in the API's own shape (e.g. ``../shared/hf_daily_api``) is kept verbatim; the
    other shapes of the newsletter hf-daily replaces are converted (see above).

    A day without a file returns ``[]``: the archive holds no papers for that day,
    which for most such days is because it is a weekend. Whether the papers inside
    a file were really submitted on that day is not checked here.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"ArchiveSource({str(self.folder)!r})"

    def fetch_day(self, day: dt.date) -> list[RawPage]:
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise TypeError(f"day must be a datetime.date, got {type(day).__name__}")
        # Checked per call, not in __init__, so that building the source (for example
        # when Dagster loads definitions) does not fail before the folder is needed.
        if not self.folder.is_dir():
            raise DailyPapersError(
                f"{day}: the archive folder {self.folder} ({self.folder.absolute()}) does not exist or is not "
                f"a folder; check the path, or fetch from the Hugging Face API instead."
            )
        path = find_day_file(self.folder, day)
        if path is None:
            return []
        archived = read_archive_file(path, day=day)
        if archived.possibly_truncated:
            log.warning("%s: %s holds exactly %d papers, one full API page; the day may have had more "
                        "(fetch it again from the API with refresh to be sure)", day, path, archived.papers)
        return [archived.page()]

    def fetch_week(self, monday: dt.date) -> list[RawPage] | None:
        """The saved answer to the API's ``?week=`` for the week of ``monday``, a file named by its ISO week
        (``2025-W52.json``, the API's own list); None when the archive holds none."""
        path = self.folder / f"{week_name(monday)}.json"
        if not path.is_file():
            return None
        archived = read_archive_file(path, day=monday)
        return [archived.page()]
