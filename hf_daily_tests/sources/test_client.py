"""DailyPapersClient against a scripted loopback server, and ArchiveSource on files.

No test sleeps for real (sleep is a recorder) or leaves 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import os
import socket
from pathlib import Path

import pytest
import requests

from hf_daily.sources.archive import ArchiveSource
from hf_daily.core.constants import FIRST_DAY
from hf_daily.sources.client import DailyPapersClient
from hf_daily.sources.page import DailyPapersError, RawPage, parse_page
from hf_daily_tests.factories import SHARED_API

from hf_daily_tests.loopback import LoopbackServer, Reply, Request, fake_papers, fake_papers_body

DAY = dt.date(2025, 12, 26)
NOW = dt.datetime(2025, 12, 27, 8, 0, tzinfo=dt.timezone.utc)
TOKEN = "hf_SeCrEtToKeN0123456789abcdef"


class Ticker:
    """A clock that moves one second per reading, so each page gets its own fetched_at."""

    def __init__(self, start: dt.datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(loopback: LoopbackServer, sleeps: list[float]):
    def make(**kwargs) -> DailyPapersClient:
        session = requests.Session()
        # A proxy from the environment must not sit between us and 127.0.0.1.
        session.trust_env = False
        options = dict(
            base_url=loopback.base_url, timeout=5.0, sleep=sleeps.append, clock=lambda: NOW, session=session
        )
        options.update(kwargs)
        return DailyPapersClient(**options)

    return make


def page_url(base: str, day: dt.date = DAY, p: int = 0) -> str:
    return f"{base}/api/daily_papers?date={day.isoformat()}&limit=50&p={p}"


def paged(total: int):
    """A responder that serves ``total`` papers sliced by the request's limit and p, as the API does."""
    items = fake_papers(total)

    def respond(request: Request) -> Reply:
        limit, p = int(request.params["limit"]), int(request.params["p"])
        return Reply.json(items[p * limit : (p + 1) * limit])

    return respond


# -- paging -------------------------------------------------------------------


def test_73_papers_come_in_two_pages(loopback, make_client, sleeps):
    bodies = [fake_papers_body(50), fake_papers_body(23, start=51)]
    loopback.script(*(Reply(body=b, headers={"Content-Type": "application/json"}) for b in bodies))
    client = make_client(clock=Ticker())

    pages = client.fetch_day(DAY)

    assert len(loopback.requests) == 2
    for p, request in enumerate(loopback.requests):
        assert request.method == "GET"
        assert request.path == "/api/daily_papers"
        assert request.params == {"date": "2025-12-26", "limit": "50", "p": str(p)}
    assert [page.page for page in pages] == [0, 1]
    assert [page.url for page in pages] == [page_url(loopback.base_url, p=0), page_url(loopback.base_url, p=1)]
    assert [page.body for page in pages] == bodies
    assert all(page.status == 200 and page.day == DAY for page in pages)
    assert all(page.fetched_at.tzinfo is not None and page.fetched_at.utcoffset() == dt.timedelta(0) for page in pages)
    assert pages[0].fetched_at < pages[1].fetched_at
    ids = [item["paper"]["id"] for page in pages for item in parse_page(page.body, day=DAY, url=page.url)]
    assert ids == [f"2512.{n:05d}" for n in range(1, 74)]
    assert sleeps == []


def test_exactly_50_papers_needs_a_second_empty_page(loopback, make_client):
    loopback.script(Reply.json(fake_papers(50)), Reply(body="[]"))

    pages = make_client().fetch_day(DAY)

    assert len(loopback.requests) == 2
    assert [r.params["p"] for r in loopback.requests] == ["0", "1"]
    assert len(pages) == 2
    assert pages[1].body == "[]"  # kept: it is the proof that the day ended


def test_empty_day_is_one_empty_page(loopback, make_client):
    loopback.script(Reply(body="[]"))

    pages = make_client().fetch_day(DAY)

    assert len(loopback.requests) == 1
    assert pages == [RawPage(day=DAY, page=0, url=page_url(loopback.base_url), fetched_at=NOW, status=200, body="[]")]
    assert parse_page(pages[0].body, day=DAY, url=pages[0].url) == []


@pytest.mark.parametrize("total", [0, 1, 49, 50, 51, 100, 101, 149, 150])
def test_request_count_follows_the_number_of_papers(loopback, make_client, total):
    loopback.fallback = paged(total)

    pages = make_client().fetch_day(DAY)

    assert len(loopback.requests) == total // 50 + 1
    ids = [item["paper"]["id"] for page in pages for item in json.loads(page.body)]
    assert ids == [item["paper"]["id"] for item in fake_papers(total)]


def test_page_size_is_sent_as_limit(loopback, make_client):
    loopback.fallback = paged(25)

    pages = make_client(page_size=10).fetch_day(DAY)

    assert [r.params for r in loopback.requests] == [
        {"date": "2025-12-26", "limit": "10", "p": str(p)} for p in range(3)
    ]
    assert [len(json.loads(page.body)) for page in pages] == [10, 10, 5]


def test_body_is_kept_byte_for_byte(loopback, make_client):
    items = fake_papers(2)
    items[0]["paper"]["title"] = "Ünïcode 标题 — with “quotes”"
    body = "[\r\n  " + ",\r\n  ".join(json.dumps(i, ensure_ascii=False) for i in items) + "\r\n]\r\n"
    loopback.script(Reply(body=body))

    [page] = make_client().fetch_day(DAY)

    assert page.body == body


def test_an_api_that_ignores_p_is_an_error_not_a_loop(loopback, make_client):
    loopback.fallback = Reply.json(fake_papers(50))

    with pytest.raises(DailyPapersError) as err:
        make_client().fetch_day(DAY)

    assert len(loopback.requests) == 2
    message = str(err.value)
    assert "2025-12-26" in message and "`p`" in message and page_url(loopback.base_url, p=1) in message


def test_max_pages_stops_an_endless_day(loopback, make_client):
    loopback.fallback = paged(10_000)

    with pytest.raises(DailyPapersError, match=r"after 3 pages.*max_pages"):
        make_client(max_pages=3).fetch_day(DAY)

    assert len(loopback.requests) == 3


# -- retries --------------------------------------------------------------------


def test_429_honours_retry_after_seconds(loopback, make_client, sleeps):
    loopback.script(Reply(status=429, headers={"Retry-After": "7"}), Reply(body="[]"))

    pages = make_client().fetch_day(DAY)

    assert sleeps == [7]
    assert len(loopback.requests) == 2
    assert len(pages) == 1 and pages[0].status == 200


def test_503_honours_retry_after_http_date(loopback, make_client, sleeps):
    when = email.utils.format_datetime(NOW + dt.timedelta(seconds=12), usegmt=True)
    loopback.script(Reply(status=503, headers={"Retry-After": when}), Reply(body="[]"))

    make_client().fetch_day(DAY)

    assert sleeps == [12]


def test_retry_after_in_the_past_means_no_wait(loopback, make_client, sleeps):
    when = email.utils.format_datetime(NOW - dt.timedelta(hours=1), usegmt=True)
    loopback.script(Reply(status=429, headers={"Retry-After": when}), Reply(body="[]"))

    make_client().fetch_day(DAY)

    assert sleeps == [0]


def test_retry_after_is_capped_at_max_wait(loopback, make_client, sleeps):
    loopback.script(Reply(status=429, headers={"Retry-After": "3600"}), Reply(body="[]"))

    make_client(max_wait=60).fetch_day(DAY)

    assert sleeps == [60]


def test_429_without_retry_after_backs_off_exponentially(loopback, make_client, sleeps):
    loopback.script(*[Reply(status=429)] * 3, Reply(body="[]"))

    make_client(backoff=0.5).fetch_day(DAY)

    assert sleeps == [0.5, 1.0, 2.0]
    assert len(loopback.requests) == 4


def test_429_uses_the_ratelimit_reset_when_there_is_no_retry_after(loopback, make_client, sleeps):
    headers = {"RateLimit": '"api";r=0;t=42', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'}
    loopback.script(Reply(status=429, headers=headers), Reply(body="[]"))

    make_client().fetch_day(DAY)

    assert sleeps == [42]


def test_retry_after_is_ignored_on_500(loopback, make_client, sleeps):
    loopback.script(Reply(status=500, headers={"Retry-After": "30"}), Reply(body="[]"))

    make_client(backoff=2).fetch_day(DAY)

    assert sleeps == [2]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_then_success_recovers(loopback, make_client, sleeps, status):
    loopback.script(Reply(status=status, body="upstream trouble"), Reply.json(fake_papers(3)))

    [page] = make_client().fetch_day(DAY)

    assert sleeps == [1.0]
    assert len(json.loads(page.body)) == 3


def test_503_until_retries_run_out(loopback, make_client, sleeps):
    loopback.fallback = Reply(status=503, body="Service Unavailable")

    with pytest.raises(DailyPapersError) as err:
        make_client(retries=5, backoff=1, max_wait=5).fetch_day(DAY)

    assert len(loopback.requests) == 6  # retries + 1
    assert sleeps == [1, 2, 4, 5, 5]  # doubling, capped at max_wait, none after the last attempt
    message = str(err.value)
    assert "2025-12-26" in message
    assert page_url(loopback.base_url) in message
    assert "HTTP 503 after 6 attempts" in message
    assert "retries" in message


def test_retries_zero_means_one_attempt(loopback, make_client, sleeps):
    loopback.fallback = Reply(status=502)

    with pytest.raises(DailyPapersError, match="HTTP 502 after 1 attempt"):
        make_client(retries=0).fetch_day(DAY)

    assert len(loopback.requests) == 1 and sleeps == []


def test_429_until_retries_run_out_suggests_hf_token(loopback, make_client, sleeps):
    loopback.fallback = Reply(status=429)

    with pytest.raises(DailyPapersError) as err:
        make_client(retries=2).fetch_day(DAY)

    assert len(loopback.requests) == 3
    assert "HTTP 429 after 3 attempts" in str(err.value)
    assert "HF_TOKEN" in str(err.value)


@pytest.mark.parametrize("action", ["reset", "close", "truncate", "chunked_truncate"])
def test_broken_connection_then_success_recovers(loopback, make_client, sleeps, action):
    body = fake_papers_body(5)
    loopback.script(Reply(body=body, action=action), Reply(body=body))

    pages = make_client().fetch_day(DAY)

    assert len(loopback.requests) == 2
    assert sleeps == [1.0]
    assert [page.body for page in pages] == [body]


@pytest.mark.parametrize(
    ("action", "cause"),
    [("truncate", "truncated response body"), ("reset", "connection error"), ("close", "connection error")],
)
def test_broken_connections_until_retries_run_out(loopback, make_client, action, cause):
    loopback.fallback = Reply(body=fake_papers_body(5), action=action)

    with pytest.raises(DailyPapersError) as err:
        make_client(retries=1).fetch_day(DAY)

    assert len(loopback.requests) == 2
    assert cause in str(err.value) and "after 2 attempts" in str(err.value)


def test_read_timeout_then_success_recovers(loopback, make_client, sleeps):
    loopback.script(Reply(body="[]", delay=2.0), Reply(body="[]"))

    pages = make_client(timeout=0.2).fetch_day(DAY)

    assert len(loopback.requests) == 2
    assert sleeps == [1.0]
    assert pages[0].body == "[]"


def test_connection_refused_is_retried_then_reported(sleeps):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = requests.Session()
    session.trust_env = False
    client = DailyPapersClient(
        base_url=f"http://127.0.0.1:{port}", retries=2, sleep=sleeps.append, clock=lambda: NOW, session=session
    )

    with pytest.raises(DailyPapersError) as err:
        client.fetch_day(DAY)

    assert sleeps == [1.0, 2.0]
    assert "connection error" in str(err.value) and "after 3 attempts" in str(err.value)
    assert f"127.0.0.1:{port}" in str(err.value)


# -- refusals: no retry ---------------------------------------------------------


def test_400_is_reported_at_once_with_the_body(loopback, make_client, sleeps):
    body = "Invalid date format: " + "x" * 500
    loopback.script(Reply(status=400, body=body))

    with pytest.raises(DailyPapersError) as err:
        make_client().fetch_day(DAY)

    assert len(loopback.requests) == 1 and sleeps == []
    message = str(err.value)
    assert "2025-12-26" in message and "rejected the date" in message and "HTTP 400" in message
    assert body[:200] in message and body[:201] not in message


@pytest.mark.parametrize("status", [401, 403])
def test_401_403_point_at_hf_token(loopback, make_client, sleeps, status):
    loopback.script(Reply(status=status, body='{"error":"Invalid credentials"}'))

    with pytest.raises(DailyPapersError) as err:
        make_client(token=TOKEN).fetch_day(DAY)

    assert len(loopback.requests) == 1 and sleeps == []
    assert f"HTTP {status}" in str(err.value) and "HF_TOKEN" in str(err.value)


def test_404_points_at_base_url(loopback, make_client, sleeps):
    loopback.script(Reply(status=404, body="Not Found"))

    with pytest.raises(DailyPapersError) as err:
        make_client().fetch_day(DAY)

    assert len(loopback.requests) == 1 and sleeps == []
    assert "HTTP 404" in str(err.value) and "base_url" in str(err.value)


# -- bodies that are not a list of papers -----------------------------------------


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        ('[{"paper": {"id": "2512.00001", "title": "cut', "not JSON"),
        ('{"error": "Sorry, we can\'t find the page you are looking for."}', "JSON dict"),
        ("<!DOCTYPE html><html><body>Hugging Face is down</body></html>", "not JSON"),
        ('[{"paper": {"title": "No id here"}}]', "no paper 'id'"),
        ('[{"paper": {"id": "2512.00001", "title": "  "}}]', "no paper 'title'"),
        ('[{"title": "no paper object"}]', "no 'paper' object"),
        ("[1, 2]", "no 'paper' object"),
    ],
    ids=["cut-json", "object", "html", "no-id", "blank-title", "no-paper", "numbers"],
)
def test_unreadable_bodies_are_errors_not_retried(loopback, make_client, sleeps, body, cause):
    loopback.script(Reply(body=body))

    with pytest.raises(DailyPapersError) as err:
        make_client().fetch_day(DAY)

    assert len(loopback.requests) == 1 and sleeps == []
    message = str(err.value)
    assert cause in message and "2025-12-26" in message and page_url(loopback.base_url) in message


def test_a_bad_second_page_names_its_own_url(loopback, make_client):
    loopback.script(Reply.json(fake_papers(50)), Reply(body="<html>oops</html>"))

    with pytest.raises(DailyPapersError, match="not JSON") as err:
        make_client().fetch_day(DAY)

    assert page_url(loopback.base_url, p=1) in str(err.value)


# -- token ----------------------------------------------------------------------


def test_token_is_sent_as_bearer_with_a_user_agent(loopback, make_client):
    loopback.script(Reply.json(fake_papers(50)), Reply(body="[]"))

    pages = make_client(token=TOKEN).fetch_day(DAY)

    assert [r.header("Authorization") for r in loopback.requests] == [f"Bearer {TOKEN}"] * 2
    assert all(r.header("User-Agent", "").startswith("hf-daily/") for r in loopback.requests)
    assert all(TOKEN not in r.target for r in loopback.requests)
    assert not any(TOKEN in repr(page) for page in pages)


@pytest.mark.parametrize("token", [None, "", "   "])
def test_no_token_sends_no_authorization(loopback, make_client, token):
    loopback.script(Reply(body="[]"))

    make_client(token=token).fetch_day(DAY)

    assert loopback.requests[0].header("Authorization") is None


@pytest.mark.parametrize(
    "replies",
    [
        [Reply(status=401)],
        [Reply(status=403, body=f"token {TOKEN} is not allowed")],  # a server echoing the token back
        [Reply(status=400, body=f"bad request, Authorization: Bearer {TOKEN}")],
        [Reply(status=429)] * 3,
        [Reply(status=503, body=TOKEN)] * 3,
        [Reply(action="reset")] * 3,
        [Reply(body=f"<html>{TOKEN}</html>")],
        [Reply(body=json.dumps({"error": TOKEN}))],
    ],
    ids=["401", "403-echo", "400-echo", "429", "503-echo", "reset", "html-echo", "object-echo"],
)
def test_token_never_appears_in_errors_or_logs(loopback, make_client, caplog, replies):
    loopback.script(*replies)
    client = make_client(token=TOKEN, retries=2)

    with caplog.at_level(logging.DEBUG), pytest.raises(DailyPapersError) as err:
        client.fetch_day(DAY)

    assert TOKEN not in str(err.value)
    assert TOKEN not in repr(err.value)
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(client)


# -- days the API cannot have -----------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (NOW.date() + dt.timedelta(days=1), "future day"),
        (dt.date(2030, 1, 1), "future day"),
        (FIRST_DAY - dt.timedelta(days=1), "before its first day"),
        (dt.date(2020, 1, 1), "before its first day"),
    ],
)
def test_impossible_days_fail_before_any_request(loopback, make_client, day, expected):
    with pytest.raises(DailyPapersError, match=expected) as err:
        make_client().fetch_day(day)

    assert loopback.requests == []
    assert day.isoformat() in str(err.value)


@pytest.mark.parametrize("day", [FIRST_DAY, NOW.date()])
def test_first_day_and_today_are_fetched(loopback, make_client, day):
    loopback.script(Reply(body="[]"))

    make_client().fetch_day(day)

    assert loopback.requests[0].params["date"] == day.isoformat()


def test_today_is_judged_in_utc():
    # 23:30 in New York on the 26th is already the 27th in UTC.
    late = dt.datetime(2025, 12, 26, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    client = DailyPapersClient(base_url="http://127.0.0.1:9", clock=lambda: late, sleep=lambda s: None)

    with pytest.raises(DailyPapersError, match="future day"):
        client.fetch_day(dt.date(2025, 12, 28))


def test_a_datetime_is_not_a_day(make_client):
    with pytest.raises(TypeError):
        make_client().fetch_day(NOW)


# -- ArchiveSource ------------------------------------------------------------------


def write_day(folder: Path, day: dt.date, body: str) -> Path:
    path = folder / f"{day.isoformat()}.json"
    path.write_bytes(body.encode("utf-8"))
    return path


def test_archive_reads_the_file_verbatim(tmp_path):
    body = fake_papers_body(3).replace("\n", "\r\n") + "\n"  # odd line endings must survive
    path = write_day(tmp_path, DAY, body)
    mtime = dt.datetime(2025, 12, 26, 7, 45, 12, tzinfo=dt.timezone.utc)
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))

    pages = ArchiveSource(tmp_path).fetch_day(DAY)

    assert pages == [RawPage(day=DAY, page=0, url=path.resolve().as_uri(), fetched_at=mtime, status=200, body=body)]
    assert pages[0].url.startswith("file://") and pages[0].url.endswith("/2025-12-26.json")


def test_archive_missing_day_is_empty(tmp_path):
    write_day(tmp_path, DAY, "[]")

    assert ArchiveSource(tmp_path).fetch_day(dt.date(2025, 12, 27)) == []


def test_archive_accepts_a_str_path_and_an_empty_day_file(tmp_path):
    write_day(tmp_path, DAY, "[]")

    [page] = ArchiveSource(str(tmp_path)).fetch_day(DAY)

    assert page.body == "[]"


def test_archive_missing_folder_is_an_error(tmp_path):
    missing = tmp_path / "no-such-folder"

    with pytest.raises(DailyPapersError) as err:
        ArchiveSource(missing).fetch_day(DAY)

    assert str(missing) in str(err.value) and "does not exist" in str(err.value)
    assert "2025-12-26" in str(err.value)


def test_archive_folder_that_is_a_file_is_an_error(tmp_path):
    not_a_folder = write_day(tmp_path, DAY, "[]")

    with pytest.raises(DailyPapersError, match="not a folder"):
        ArchiveSource(not_a_folder).fetch_day(DAY)


@pytest.mark.parametrize(
    ("body", "cause"),
    [("[{", "not JSON"), ('{"papers": []}', "JSON dict"), ('[{"paper": {"title": "t"}}]', "no paper 'id'")],
)
def test_archive_malformed_file_names_the_file(tmp_path, body, cause):
    write_day(tmp_path, DAY, body)

    with pytest.raises(DailyPapersError) as err:
        ArchiveSource(tmp_path).fetch_day(DAY)

    assert cause in str(err.value) and "2025-12-26.json" in str(err.value)


def test_archive_file_that_is_not_utf8_names_the_file(tmp_path):
    (tmp_path / "2025-12-26.json").write_bytes(b'[{"paper": {"id": "1", "title": "\xff"}}]')

    with pytest.raises(DailyPapersError, match=r"2025-12-26\.json.*not UTF-8"):
        ArchiveSource(tmp_path).fetch_day(DAY)


def test_archive_does_not_check_the_days_inside_the_file(tmp_path):
    write_day(tmp_path, DAY, fake_papers_body(2, day=dt.date(2025, 12, 24)))

    [page] = ArchiveSource(tmp_path).fetch_day(DAY)

    assert len(json.loads(page.body)) == 2


def test_archive_reads_the_real_capture_of_2025_12_26():
    if not SHARED_API.is_dir():
        pytest.skip(f"../shared/hf_daily_api is absent: no real captures at {SHARED_API} to read")

    pages = ArchiveSource(SHARED_API).fetch_day(DAY)

    [page] = pages
    path = SHARED_API / "2025-12-26.json"
    assert page.body == path.read_bytes().decode("utf-8")
    assert page.url == path.resolve().as_uri()
    items = parse_page(page.body, day=DAY, url=page.url)
    assert len(items) == 6
    assert items[0]["paper"]["id"] == "2512.21218"
    assert all(item["paper"]["submittedOnDailyAt"].startswith("2025-12-26") for item in items)
    # A Saturday: the capture has no file, which the archive reports as no papers.
    assert ArchiveSource(SHARED_API).fetch_day(dt.date(2025, 12, 27)) == []


# -- a whole week (?week=), for the weekly digest's check ---------------------------


def test_a_week_is_asked_for_by_its_iso_week_and_paged(loopback, make_client):
    monday = dt.date(2025, 12, 22)
    loopback.script(Reply.json(fake_papers(50)), Reply.json(fake_papers(3, start=51)))

    pages = make_client().fetch_week(monday)

    assert [r.params for r in loopback.requests] == [{"week": "2025-W52", "limit": "50", "p": "0"},
                                                     {"week": "2025-W52", "limit": "50", "p": "1"}]
    assert [page.day for page in pages] == [monday, monday]
    assert pages[1].url == f"{loopback.base_url}/api/daily_papers?week=2025-W52&limit=50&p=1"
    assert sum(len(parse_page(p.body, day=monday, url=p.url)) for p in pages) == 53


def test_a_week_across_new_year_is_named_by_its_iso_year(loopback, make_client):
    loopback.script(Reply(body="[]"))
    make_client(clock=lambda: dt.datetime(2026, 1, 5, 8, tzinfo=dt.timezone.utc)).fetch_week(dt.date(2025, 12, 29))
    assert loopback.requests[0].params["week"] == "2026-W01"


def test_a_week_answer_that_is_not_a_list_names_the_week(loopback, make_client):
    loopback.script(Reply.json({"error": "Invalid week"}))
    with pytest.raises(DailyPapersError, match=r"^2025-W52: the response from .*week=2025-W52.* is a JSON dict "
                                               r"\('Invalid week'\), expected a list of papers"):
        make_client().fetch_week(dt.date(2025, 12, 22))


def test_a_week_is_named_by_its_monday(make_client):
    with pytest.raises(ValueError, match="2025-12-24 is not a Monday"):
        make_client().fetch_week(dt.date(2025, 12, 24))
