"""The fault matrix: a loopback API that misbehaves on purpose, against a warehouse holding a good day.

For every fault the refresh either recovers (the day gets the new rows) or fails with a message
naming the day, the URL and the cause, leaving every row of the warehouse as it was; then a good
response completes the day. Most faults run through ``fetch_days`` and ``normalize_days``, the
functions the ingest assets call; a few run through the whole Dagster graph, to show what the user
of ``hf-daily materialize`` sees and that nothing downstream (translations, the issue) is touched.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest

from hf_daily.steps import ingest, normalize
from hf_daily import warehouse as wh
from hf_daily.sources.page import DailyPapersError
from hf_daily.runner import materialize
from hf_daily_tests.faults.support import (
    DAY, better, client, expected_upvotes, failure_messages, good, materialized, model_id, page_url, rows,
    seed_translations, snapshot, stub_model, upvotes, user_error, with_extra,
)
from hf_daily_tests.loopback import LoopbackServer, Reply, Request

HTML = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>upstream error</body></html>"


def paged(items: list[dict], fail_page: int | None = None) -> Callable[[Request], Reply]:
    """Serve ``items`` sliced by limit and p as the API does; page ``fail_page`` answers 503."""
    def respond(request: Request) -> Reply:
        limit, p = int(request.params["limit"]), int(request.params["p"])
        if p == fail_page:
            return Reply(503, "Service Unavailable")
        return Reply.json(items[p * limit:(p + 1) * limit])
    return respond


def without(key: str, index: int = 2) -> list[dict]:
    items = copy.deepcopy(better())
    del items[index]["paper"][key]
    return items


@dataclass
class Fault:
    name: str
    replies: list
    # None: the refresh recovers. Otherwise a regex the error must match, besides the day and URL.
    error: str | None = None
    error_page: int = 0
    expect: dict[str, int] = field(default_factory=lambda: expected_upvotes(better()))
    sleeps: list[float] | None = None
    client_options: dict = field(default_factory=dict)
    requests: int | None = None


TIMEOUT = {"timeout": 0.2}
FAULTS = [
    # -- transient: retried, then the day is fetched
    Fault("429 with Retry-After", [Reply(429, headers={"Retry-After": "7"}), Reply.json(better())], sleeps=[7.0]),
    Fault("429 without Retry-After", [Reply(429), Reply.json(better())], sleeps=[0.5]),
    Fault("500 once", [Reply(500), Reply.json(better())], sleeps=[0.5]),
    Fault("502 once", [Reply(502, HTML, {"Content-Type": "text/html"}), Reply.json(better())], sleeps=[0.5]),
    Fault("503 twice", [Reply(503), Reply(503), Reply.json(better())], sleeps=[0.5, 1.0]),
    Fault("connection reset once", [Reply(action="reset"), Reply.json(better())], sleeps=[0.5]),
    Fault("closed without a response", [Reply(action="close"), Reply.json(better())], sleeps=[0.5]),
    Fault("read timeout once", [Reply.json(better(), delay=5), Reply.json(better())], sleeps=[0.5],
          client_options=TIMEOUT),
    Fault("truncated body once", [Reply.json(better(), action="truncate"), Reply.json(better())], sleeps=[0.5]),
    Fault("new unknown fields", [Reply.json(with_extra(better(), brandNewField={"nested": [1, "x"]}))]),
    Fault("duplicate ids in one day", [Reply.json(better() + better()[:2])]),
    Fault("73 papers: more than one page", [paged(better(73))] * 2, expect=expected_upvotes(better(73)),
          requests=2),
    # -- persistent: the run fails and says why
    Fault("429 every time", [Reply(429)] * 3, r"HTTP 429 after 3 attempts\. .*rate-limiting.*HF_TOKEN"),
    Fault("500 every time", [Reply(500)] * 3, r"HTTP 500 after 3 attempts\. .*try again later"),
    Fault("502 every time", [Reply(502, HTML)] * 3, r"HTTP 502 after 3 attempts"),
    Fault("503 every time", [Reply(503)] * 3, r"HTTP 503 after 3 attempts"),
    Fault("connection reset every time", [Reply(action="reset")] * 3,
          r"connection error \(.*\) after 3 attempts"),
    Fault("read timeout every time", [Reply.json(good(), delay=5)] * 3, r"timed out after 0\.2s .* after 3 attempts",
          client_options=TIMEOUT),
    Fault("truncated body every time", [Reply.json(good(), action="truncate")] * 3,
          r"truncated response body .* after 3 attempts"),
    Fault("HTML instead of JSON", [Reply(200, HTML, {"Content-Type": "text/html"})],
          r"is not JSON .*it starts '<!DOCTYPE html>", requests=1),
    Fault("a JSON object instead of a list", [Reply.json({"error": "Invalid date"})],
          r"is a JSON dict \('Invalid date'\), expected a list of papers", requests=1),
    Fault("a paper without id", [Reply.json(without("id"))], r"item 2 from .* has no paper 'id' \(got None\)"),
    Fault("a paper without title", [Reply.json(without("title"))], r"item 2 from .* has no paper 'title'"),
    Fault("404: wrong base_url", [Reply(404, "Not Found")], r"HTTP 404 .*no Daily Papers API at this address"),
    Fault("401: a token is wanted", [Reply(401, "Unauthorized")], r"HTTP 401 .*access refused.*HF_TOKEN"),
    Fault("page 2 of 2 fails", [paged(better(73), fail_page=1)] * 4, r"HTTP 503 after 3 attempts",
          error_page=1, requests=4),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A warehouse holding DAY as fetched and normalized from a good response."""
    db = tmp_path_factory.mktemp("seeded") / "warehouse.duckdb"
    with LoopbackServer(Reply.json(good())) as server:
        warehouse = wh.Warehouse(db)
        ingest.fetch_days(warehouse, client(server.base_url).fetch_day, [DAY])
        normalize.normalize_days(warehouse, [DAY])
    assert upvotes(db) == expected_upvotes(good())
    return db


@pytest.fixture
def warehouse(seeded, tmp_path) -> wh.Warehouse:
    # A copy per fault: cheaper than seeding, and no fault can leak into the next.
    shutil.copyfile(seeded, tmp_path / "warehouse.duckdb")
    return wh.Warehouse(tmp_path / "warehouse.duckdb")


def refresh(warehouse: wh.Warehouse, fetch, day: dt.date = DAY) -> normalize.NormalizeReport:
    ingest.fetch_days(warehouse, fetch, [day], refresh=True)
    return normalize.normalize_days(warehouse, [day])


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault(fault: Fault, warehouse: wh.Warehouse, loopback: LoopbackServer, caplog):
    db = warehouse.path
    before = snapshot(db)
    sleeps: list[float] = []
    api = client(loopback.base_url, sleeps, **fault.client_options)
    loopback.script(*fault.replies)

    if fault.error is None:
        report = refresh(warehouse, api.fetch_day)
        assert upvotes(db) == fault.expect
        assert sleeps == (fault.sleeps or [])
    else:
        with caplog.at_level(logging.WARNING), pytest.raises(DailyPapersError) as failed:
            refresh(warehouse, api.fetch_day)
        message = str(failed.value)
        assert message.startswith(f"{DAY}: "), message
        assert page_url(loopback.base_url, p=fault.error_page) in message
        assert re.search(fault.error, message), message
        assert snapshot(db) == before, "a failed refresh changed the warehouse"
        # Retries are announced in the log with their cause, so a slow run is not a silent one.
        retried = [r.getMessage() for r in caplog.records if "; retry " in r.getMessage()]
        assert len(retried) == (2 if "after 3 attempts" in message else 0), retried
        assert all(line.startswith(f"{DAY}: ") and loopback.base_url in line for line in retried)

        # The API is well again: the next run completes the day.
        loopback.script(Reply.json(better()))
        report = refresh(warehouse, client(loopback.base_url).fetch_day)
        assert upvotes(db) == expected_upvotes(better())

    assert loopback.pending == 0 and not loopback.unexpected
    if fault.requests is not None:
        assert len(loopback.requests) == fault.requests + (0 if fault.error is None else 1)
    assert report.papers_per_day[DAY] == len(upvotes(db))
    if fault.name == "new unknown fields":
        [(body,)] = rows(db, "SELECT body FROM raw_responses WHERE day = ? AND fetch_id = 2", [DAY])
        assert '"brandNewField"' in body  # kept verbatim for whoever later wants it
    if fault.name == "duplicate ids in one day":
        assert report.duplicate_ids == {DAY: [better()[0]["paper"]["id"], better()[1]["paper"]["id"]]}
        assert report.rows["papers"] == 6


def test_an_empty_refresh_keeps_the_days_papers(warehouse: wh.Warehouse, loopback: LoopbackServer, caplog):
    """An API glitch answering [] for a full day must not wipe the day's papers (or its issue)."""
    db = warehouse.path
    before = snapshot(db)
    loopback.script(Reply.json([]))
    with caplog.at_level(logging.WARNING):
        refresh(warehouse, client(loopback.base_url).fetch_day)
    assert upvotes(db) == expected_upvotes(good())
    assert {t: r for t, r in snapshot(db).items() if t != "raw_responses"} == \
           {t: r for t, r in before.items() if t != "raw_responses"}
    assert rows(db, "SELECT body FROM raw_responses WHERE day = ? AND fetch_id = 2", [DAY]) == [("[]",)]
    assert any("latest fetch lists no papers" in r.getMessage() for r in caplog.records)

    loopback.script(Reply.json(better()))
    refresh(warehouse, client(loopback.base_url).fetch_day)
    assert upvotes(db) == expected_upvotes(better())


def test_an_empty_day_is_a_day_without_papers(warehouse: wh.Warehouse, loopback: LoopbackServer):
    quiet = dt.date(2025, 12, 27)  # a Saturday
    loopback.script(Reply.json([]))
    report = refresh(warehouse, client(loopback.base_url).fetch_day, quiet)
    assert report.papers_per_day == {quiet: 0}
    assert rows(warehouse.path, "SELECT count(*) FROM raw_responses WHERE day = ?", [quiet]) == [(1,)]
    assert upvotes(warehouse.path) == expected_upvotes(good())  # the other day is untouched


# --- through the whole graph ------------------------------------------------------------------------

def test_faults_through_the_whole_graph(tmp_path, loopback: LoopbackServer):
    """What `hf-daily materialize` shows for a fatal and a transient fault, and that a failed run
    leaves every table and the issue file exactly as they were."""
    translator = stub_model(tmp_path / "stub-model")
    seed_translations(tmp_path / "warehouse.duckdb", {DAY: good()}, model_id(translator, tmp_path))
    issue = tmp_path / "issues" / f"{DAY}.md"

    def run(*replies: Reply, refresh: bool = True):
        loopback.script(*replies)
        with dg.DagsterInstance.ephemeral() as instance:
            [result] = materialize(DAY, data_dir=str(tmp_path), base_url=loopback.base_url, refresh=refresh,
                                   translator=translator, instance=instance, raise_on_error=False,
                                   daily_papers={"retries": 2, "backoff_s": 0.0, "timeout_s": 5.0})
        assert loopback.pending == 0 and not loopback.unexpected
        return result

    first = run(Reply.json(good()), refresh=False)
    assert first.success, failure_messages(first)
    before, markdown = snapshot(tmp_path / "warehouse.duckdb"), issue.read_text()
    assert "今日共 **6** 篇论文" in markdown

    # Fatal: the API answers an HTML error page with status 200. Nothing after the fetch runs.
    failed = run(Reply(200, HTML, {"Content-Type": "text/html"}))
    assert not failed.success
    [message] = failure_messages(failed)
    assert message.startswith("error in raw_responses: hf_daily.sources.page.DailyPapersError: "), message
    assert f"{DAY}: the response from {page_url(loopback.base_url)} is not JSON" in message
    assert "it starts '<!DOCTYPE html>" in message
    assert "newsletter_issue" not in materialized(failed)
    assert snapshot(tmp_path / "warehouse.duckdb") == before
    assert issue.read_text() == markdown

    # Transient: a 503 and a reset, then the day; the run completes it with the new counts.
    recovered = run(Reply(503), Reply(action="reset"), Reply.json(better()))
    assert recovered.success, failure_messages(recovered)
    assert upvotes(tmp_path / "warehouse.duckdb") == expected_upvotes(better())
    assert issue.read_text() != markdown and "今日共 **6** 篇论文" in issue.read_text()
    assert rows(tmp_path / "warehouse.duckdb", "SELECT count(*) FROM translation_cache") == [(12,)]  # all cached


def test_the_cli_prints_hf_dailys_message_not_its_low_level_cause():
    import sys

    from dagster._utils.error import SerializableErrorInfo, serializable_error_info_from_exc_info

    from hf_daily import cli
    from hf_daily.sources.page import parse_page

    try:
        parse_page(HTML, day=DAY, url="https://huggingface.co/api/daily_papers?date=2025-12-26")
    except DailyPapersError:
        ours = serializable_error_info_from_exc_info(sys.exc_info())  # its cause: the JSONDecodeError
    # How a failed step reports it (see test_faults_through_the_whole_graph).
    error = SerializableErrorInfo('dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while '
                                  'executing op "raw_responses":\n', [], "DagsterExecutionStepExecutionError", ours)
    assert ours.cause is not None and user_error(error) is ours
    assert f"{DAY}: the response from https://huggingface.co/api/daily_papers" in cli._root_cause(error)
