"""Archive files in the three shapes the replaced newsletter wrote, folder imports, and fetch progress."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from hf_daily.core.progress import DayProgress
from hf_daily.sources import archive
from hf_daily.steps import ingest
from hf_daily import warehouse as wh
from hf_daily.sources.archive import ArchiveSource
from hf_daily.sources.page import DailyPapersError, parse_page
from hf_daily_tests.factories import ARCHIVE_PAPERS, archive_paper, folder_of_every_shape, write_json

DAY = dt.date(2025, 12, 26)


@pytest.fixture
def warehouse(tmp_path):
    return wh.Warehouse(tmp_path / "data" / "warehouse.duckdb")




def test_the_api_list_is_kept_verbatim(tmp_path):
    path = write_json(tmp_path, "2025-12-26.json", ARCHIVE_PAPERS)
    read = archive.read_archive_file(path)
    assert (read.day, read.shape, read.papers, read.possibly_truncated) == (DAY, "list", 2, False)
    assert read.body == path.read_text(encoding="utf-8")
    assert read.url == path.resolve().as_uri()


@pytest.mark.parametrize("encode", [json.dumps, str], ids=["json-strings", "python-reprs"])
def test_a_list_of_serialized_papers(tmp_path, encode):
    path = write_json(tmp_path, "2025-12-26.json", [encode(p) for p in ARCHIVE_PAPERS])
    if encode is str:
        assert "'hidden': False" in path.read_text() and "None" in path.read_text()
    read = archive.read_archive_file(path)
    assert (read.shape, read.papers) == ("string-items", 2)
    assert parse_page(read.body, day=DAY, url=read.url) == ARCHIVE_PAPERS
    assert read.url.endswith("#shape=string-items")


@pytest.mark.parametrize("encode", [lambda p: p, str], ids=["objects", "python-reprs"])
def test_the_status_date_count_data_wrapper(tmp_path, encode):
    # What the newsletter's Paper_metadata_download.py wrote: {"status", "date", "count", "data": [str(paper)]}.
    path = write_json(tmp_path, "2025-12-26.json",
                 {"status": "success", "date": "2025-12-26", "count": 2, "data": [encode(p) for p in ARCHIVE_PAPERS]})
    read = archive.read_archive_file(path)
    assert (read.day, read.shape, read.papers, read.notes) == (DAY, "wrapped", 2, ())
    assert parse_page(read.body, day=DAY, url=read.url) == ARCHIVE_PAPERS


def test_a_wrapper_names_its_own_day_when_the_file_name_does_not(tmp_path):
    read = archive.read_archive_file(write_json(tmp_path, "papers.json", {"status": "success", "date": "2025-12-26",
                                                                        "count": 1, "data": [archive_paper(1)]}))
    assert read.day == DAY


def test_a_no_data_wrapper_is_an_empty_day(tmp_path):
    read = archive.read_archive_file(write_json(tmp_path, "2025-12-26.json", {
        "status": "no_data", "date": "2025-12-26", "message": "No papers found for this date"}))
    assert (read.papers, read.body) == (0, "[]")
    assert "no papers" in read.notes[0]


def test_a_count_that_disagrees_is_noted(tmp_path):
    read = archive.read_archive_file(write_json(tmp_path, "2025-12-26.json",
                                           {"status": "success", "date": "2025-12-26", "count": 3, "data": ARCHIVE_PAPERS}))
    assert read.notes == ("'count' says 3 but 'data' holds 2 papers",)


def test_a_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "2025-12-26.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(ARCHIVE_PAPERS).encode())
    assert json.loads(archive.read_archive_file(path).body) == ARCHIVE_PAPERS


def test_exactly_fifty_papers_is_flagged(tmp_path, caplog):
    full = archive.read_archive_file(write_json(tmp_path, "2025-12-26.json", [archive_paper(i) for i in range(50)]))
    assert full.possibly_truncated and archive.possibly_truncated([full.page()])
    assert not archive.read_archive_file(write_json(tmp_path, "2025-12-25.json", [archive_paper(i) for i in range(49)])).possibly_truncated
    with caplog.at_level(logging.WARNING, logger="hf_daily.sources.archive"):
        ArchiveSource(tmp_path).fetch_day(DAY)
    assert "2025-12-26.json holds exactly 50 papers" in caplog.text and "may have had more" in caplog.text


@pytest.mark.parametrize(("name", "content", "cause"), [
    ("2025-12-26.json", '[{"paper": {"id": "1", "title": "t"}}, ', "not JSON"),
    ("2025-12-26.json", [json.dumps(archive_paper(1)), "{'paper': {'id': '2', 'title': "], "neither JSON nor a Python literal"),
    ("2025-12-26.json", [str(archive_paper(1)), "__import__('os').system('echo pwned')"], "neither JSON nor a Python literal"),
    ("2025-12-26.json", [archive_paper(1), {"id": "2"}], "no 'paper' object"),
    ("2025-12-26.json", {"status": "error", "date": "2025-12-26", "code": 429, "message": "Too Many"},
     "failed download (status 'error'; code '429'"),
    ("2025-12-26.json", {"papers": []}, "JSON dict without 'data'"),
    ("2025-12-26.json", {"error": "Invalid date"}, "API error"),
    ("2025-12-26.json", {"status": "success", "date": "2025-12-25", "count": 0, "data": []}, "its name says 2025-12-26"),
    ("papers.json", [archive_paper(1)], "cannot tell which day"),
])
def test_a_file_that_cannot_be_read_names_itself_and_the_cause(tmp_path, name, content, cause):
    path = write_json(tmp_path, name, content)
    with pytest.raises(archive.ArchiveFileError) as err:
        archive.read_archive_file(path)
    assert str(err.value).startswith(f"{path}: ") and cause in str(err.value), str(err.value)
    assert isinstance(err.value, DailyPapersError)


def test_archive_source_reads_every_shape_for_the_pipeline(tmp_path):
    write_json(tmp_path, "daily_papers_2025-12-25.json", [str(p) for p in ARCHIVE_PAPERS])
    write_json(tmp_path, "2025-12-26.json", {"status": "success", "date": "2025-12-26", "count": 2, "data": ARCHIVE_PAPERS})
    source = ArchiveSource(tmp_path)
    for day in (dt.date(2025, 12, 25), DAY):
        [page] = source.fetch_day(day)
        assert parse_page(page.body, day=day, url=page.url) == ARCHIVE_PAPERS
    assert source.fetch_day(dt.date(2025, 12, 27)) == []


def test_two_files_for_one_day_are_an_error(tmp_path):
    write_json(tmp_path, "2025-12-26.json", ARCHIVE_PAPERS)
    write_json(tmp_path, "daily_papers_2025-12-26.json", ARCHIVE_PAPERS)
    with pytest.raises(DailyPapersError, match="several files hold 2025-12-26"):
        ArchiveSource(tmp_path).fetch_day(DAY)


def test_import_a_folder_reports_each_file_and_rejects_a_broken_one_whole(tmp_path, warehouse):
    report = ingest.import_folder(warehouse, folder_of_every_shape(tmp_path / "archive"))
    by_name = {f.path.name: f for f in report.files}
    assert [(n, f.day, f.shape, f.papers, f.possibly_truncated, f.stored) for n, f in by_name.items() if f.ok] == [
        ("2025-12-22.json", dt.date(2025, 12, 22), "list", 2, False, "new fetch 1"),
        ("2025-12-23.json", dt.date(2025, 12, 23), "string-items", 2, False, "new fetch 1"),
        ("2025-12-24.json", dt.date(2025, 12, 24), "wrapped", 1, False, "new fetch 1"),
        ("2025-12-26.json", DAY, "list", 50, True, "new fetch 1"),
    ]
    rejected = by_name["2025-12-25.json"]
    assert not rejected.ok and "2025-12-25.json" in rejected.error and "item 1" in rejected.error
    assert [p.name for p in report.ignored] == ["README.txt"]
    assert report.days == [dt.date(2025, 12, d) for d in (22, 23, 24, 26)]
    with warehouse.connect() as con:
        assert wh.fetched_days(con, [dt.date(2025, 12, d) for d in range(22, 27)]) == set(report.days)
        fetches = wh.stored_fetches(con, dt.date(2025, 12, 23))
        assert [len(parse_page(p.body, day=p.day, url=p.url)) for p in fetches[0]] == [2]
        assert wh.possibly_truncated_days(con, report.days) == [DAY]

    again = ingest.import_folder(warehouse, tmp_path / "archive")
    assert {f.stored for f in again.imported} == {"unchanged"}


def test_import_rejects_a_second_file_for_the_same_day(tmp_path, warehouse):
    write_json(tmp_path / "a", "2025-12-26.json", ARCHIVE_PAPERS)
    write_json(tmp_path / "a", "daily_papers_2025-12-26.json", [archive_paper(9)])
    report = ingest.import_folder(warehouse, tmp_path / "a")
    assert [f.ok for f in report.files] == [True, False]
    assert "already imported from 2025-12-26.json" in report.files[1].error


def test_import_of_a_missing_folder_says_so(tmp_path, warehouse):
    with pytest.raises(archive.ArchiveFileError, match="not a folder"):
        ingest.import_folder(warehouse, tmp_path / "nowhere")


def test_contiguous_ranges_bridge_weekends_but_not_rejected_days():
    d = lambda n: dt.date(2025, 12, n)  # noqa: E731
    assert ingest.contiguous_ranges([d(1), d(2), d(5), d(20)]) == [(d(1), d(5)), (d(20), d(20))]
    assert ingest.contiguous_ranges([d(1), d(2), d(5)], avoid=[d(3)]) == [(d(1), d(2)), (d(5), d(5))]


def test_fetch_days_logs_days_done_left_and_flags_full_archive_pages(tmp_path, warehouse):
    folder = tmp_path / "archive"
    write_json(folder, "2025-12-22.json", ARCHIVE_PAPERS)
    write_json(folder, "2025-12-23.json", [archive_paper(i) for i in range(50)])
    days = [dt.date(2025, 12, 21), dt.date(2025, 12, 22), dt.date(2025, 12, 23)]
    lines: list[str] = []
    report = ingest.fetch_days(warehouse, ArchiveSource(folder).fetch_day, days, progress=lines.append)
    assert (report.fetched, report.unchanged, report.papers) == (days[1:], days[:1], 52)
    assert report.possibly_truncated == [dt.date(2025, 12, 23)]
    assert lines[0].startswith("fetch: 1/3 days done (2025-12-21, 0 papers), 2 left, ETA")
    assert lines[-1] == "fetch: 3/3 days done (2025-12-23, 50 papers), 0 left"
    again = ingest.fetch_days(warehouse, ArchiveSource(folder).fetch_day, days)
    # A day without a file stores nothing, so it is looked for again; the others are not read again.
    assert (again.skipped, again.fetched, again.possibly_truncated) == (days[1:], [], [dt.date(2025, 12, 23)])


def test_fetch_days_stores_in_batches(tmp_path, warehouse, monkeypatch):
    folder = tmp_path / "archive"
    days = [dt.date(2025, 12, d) for d in range(1, 8)]
    for day in days:
        write_json(folder, f"{day}.json", [archive_paper(day.day)])
    opened = []
    connect = warehouse.connect
    monkeypatch.setattr(warehouse, "connect", lambda *a, **k: opened.append(1) or connect(*a, **k))
    monkeypatch.setattr(ingest, "FETCH_BATCH_DAYS", 3)
    report = ingest.fetch_days(warehouse, ArchiveSource(folder).fetch_day, days)
    assert report.fetched == days
    assert len(opened) == 1 + 2 + 1  # what is stored, two full batches, the rest and the truncation check


def test_day_progress_logs_at_most_every_interval():
    now = [0.0]
    lines: list[str] = []
    progress = DayProgress("charts", 4, lines.append, every_s=10, clock=lambda: now[0])
    for step in (1, 2, 15, 16):
        now[0] = step
        progress.day_done(dt.date(2025, 12, step))
    assert lines == [
        "charts: 1/4 days done (2025-12-01), 3 left, ETA 3 s",
        "charts: 3/4 days done (2025-12-15), 1 left, ETA 5 s",
        "charts: 4/4 days done (2025-12-16), 0 left",
    ]


def test_a_saved_week_answer_is_read_for_the_weekly_check_and_never_imported_as_a_day(tmp_path):
    monday = dt.date(2025, 12, 22)
    write_json(tmp_path, "2025-12-22.json", ARCHIVE_PAPERS)
    write_json(tmp_path, "2025-W52.json", ARCHIVE_PAPERS + [archive_paper(9)])
    source = ArchiveSource(tmp_path)
    (page,) = source.fetch_week(monday)
    assert page.day == monday and page.url.endswith("/2025-W52.json")
    assert [i["paper"]["id"] for i in parse_page(page.body, day=monday, url=page.url)] == [
        "2512.00001", "2512.00002", "2512.00009"]
    assert source.fetch_week(dt.date(2025, 12, 15)) is None
    files, ignored = archive.read_folder(tmp_path)
    assert [f.day for f in files] == [monday] and [p.name for p in ignored] == ["2025-W52.json"]
