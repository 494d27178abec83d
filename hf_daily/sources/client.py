"""The Daily Papers HTTP API client."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import math
import time
from collections.abc import Callable

import requests

from hf_daily.core.constants import FIRST_DAY, PAGE_SIZE
from hf_daily.core.weeks import week_name
from hf_daily.sources.page import DailyPapersError, RawPage, parse_page

USER_AGENT = "hf-daily/0.1"
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# The statuses Retry-After is defined for (RFC 6585 for 429, RFC 9110 for 503).
_RETRY_AFTER_STATUSES = frozenset({429, 503})

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class _BearerAuth(requests.auth.AuthBase):
    """Sets the Authorization header.

    Passed as ``auth=`` rather than as a header so that requests does not swap
    it for credentials from ``~/.netrc``, and so its repr never shows the token.
    """

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(<hidden>)"


class DailyPapersClient:
    """Fetches one day of Daily Papers from ``GET {base_url}/api/daily_papers``.

    ``fetch_day`` pages with ``limit=page_size`` and ``p=0, 1, ...`` until a page
    holds fewer than ``page_size`` items, and returns every page verbatim, the
    last short (possibly empty) page included: it is the proof that the day ended.

    Transient failures (HTTP 429/500/502/503/504, connection errors, timeouts,
    truncated bodies) are retried up to ``retries`` times, waiting
    ``backoff * 2**attempt`` seconds, or what ``Retry-After`` asks on 429/503,
    never more than ``max_wait``. Everything else raises :class:`DailyPapersError`
    at once. ``sleep`` and ``clock`` (returning an aware UTC datetime) are
    injectable so tests neither wait nor depend on today's date.
    """

    def __init__(
        self,
        base_url: str = "https://huggingface.co",
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        page_size: int = PAGE_SIZE,
        max_pages: int = 200,
        session: requests.Session | None = None,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        if page_size < 1 or max_pages < 1:
            raise ValueError(f"page_size and max_pages must be >= 1, got {page_size} and {max_pages}")
        if timeout <= 0 or backoff < 0 or max_wait < 0:
            raise ValueError("timeout must be > 0, and backoff and max_wait >= 0")
        self.base_url = base_url.rstrip("/")
        # An empty HF_TOKEN (set but blank) means anonymous, not "Bearer ".
        self._token = token.strip() if token and token.strip() else None
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.page_size = page_size
        self.max_pages = max_pages
        self._session = session if session is not None else requests.Session()
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        auth = "token" if self._token else "anonymous"
        return f"DailyPapersClient({self.base_url!r}, {auth})"

    def page_url(self, day: dt.date, page: int) -> str:
        return f"{self.base_url}/api/daily_papers?date={day.isoformat()}&limit={self.page_size}&p={page}"

    def week_url(self, monday: dt.date, page: int) -> str:
        return f"{self.base_url}/api/daily_papers?week={week_name(monday)}&limit={self.page_size}&p={page}"

    def fetch_day(self, day: dt.date) -> list[RawPage]:
        """Every page of ``day``, in order; raises :class:`DailyPapersError` when that cannot be had."""
        self._check_day(day)
        return self._fetch_pages(day, day.isoformat(), lambda page: self.page_url(day, page))

    def fetch_week(self, monday: dt.date) -> list[RawPage]:
        """Every page of the API's answer for the ISO week that starts on ``monday`` (``?week=2025-W52``),
        the pages' ``day`` being that Monday; raises :class:`DailyPapersError` when that cannot be had."""
        self._check_day(monday)
        if monday.weekday() != 0:
            raise ValueError(f"{monday} is not a Monday: a week is asked for by its Monday")
        return self._fetch_pages(monday, week_name(monday), lambda page: self.week_url(monday, page))

    def _fetch_pages(self, day: dt.date, label: str, url_of: Callable[[int], str]) -> list[RawPage]:
        pages: list[RawPage] = []
        previous_ids: list[str] | None = None
        for page in range(self.max_pages):
            url = url_of(page)
            status, body, fetched_at = self._get(label, url)
            try:
                items = parse_page(body, day=label, url=url)
            except DailyPapersError as exc:
                # Not chained: the original message may hold a token the server echoed back; ours is redacted.
                raise self._error(str(exc)) from None
            ids = [item["paper"]["id"] for item in items]
            # Only an exact repeat counts: upvotes move during paging, so a paper
            # may legitimately show up on two neighbouring pages.
            if ids and ids == previous_ids:
                raise DailyPapersError(
                    f"{label}: page p={page} from {url} repeats the {len(ids)} papers of page p={page - 1}; "
                    f"the API at {self.base_url} seems to ignore the `p` parameter, so the day cannot be "
                    f"paged. Check base_url, or report the API change."
                )
            previous_ids = ids
            pages.append(RawPage(day=day, page=page, url=url, fetched_at=fetched_at, status=status, body=body))
            if len(items) < self.page_size:
                return pages
        raise DailyPapersError(
            f"{label}: still getting full pages of {self.page_size} after {self.max_pages} pages "
            f"(last: {url_of(self.max_pages - 1)}); either the API ignores `p` or the day "
            f"really has more than {self.max_pages * self.page_size} papers. Raise `max_pages` if so."
        )

    def _now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise TypeError("clock() must return a timezone-aware datetime")
        return now.astimezone(dt.timezone.utc)

    def _check_day(self, day: dt.date) -> None:
        # datetime is a date subclass, but its time and zone would be silently dropped.
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise TypeError(f"day must be a datetime.date, got {type(day).__name__}")
        today = self._now().date()
        if day > today:
            raise DailyPapersError(
                f"{day}: Daily Papers has no papers for a future day (today is {today} UTC); "
                f"pick a day up to today."
            )
        if day < FIRST_DAY:
            raise DailyPapersError(
                f"{day}: Daily Papers has no papers before its first day, {FIRST_DAY}; "
                f"pick a day from {FIRST_DAY} to today."
            )

    def _redact(self, text: str) -> str:
        # The token never goes into a message on purpose; this catches a server echoing it back.
        return text.replace(self._token, "<HF_TOKEN>") if self._token else text

    def _error(self, message: str) -> DailyPapersError:
        return DailyPapersError(self._redact(message))

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff * 2**attempt, self.max_wait)

    def _server_wait(self, response: requests.Response) -> float | None:
        """Seconds the server asked us to wait, or None when it did not say."""
        if response.status_code not in _RETRY_AFTER_STATUSES:
            return None
        wait = _parse_retry_after(response.headers.get("Retry-After"), self._now())
        if wait is None and response.status_code == 429:
            # Hugging Face sends the IETF RateLimit header: `"api";r=0;t=55`, t = seconds to reset.
            wait = _parse_ratelimit_reset(response.headers.get("RateLimit"))
        return None if wait is None else min(wait, self.max_wait)

    def _get(self, day: dt.date | str, url: str) -> tuple[int, str, dt.datetime]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        auth = _BearerAuth(self._token) if self._token else None
        attempts = self.retries + 1
        cause = ""
        last_status: int | None = None
        for attempt in range(attempts):
            try:
                response = self._session.get(url, headers=headers, auth=auth, timeout=self.timeout)
                fetched_at = self._now()
                raw = response.content
            except requests.exceptions.SSLError as exc:
                # A certificate problem does not fix itself in a few seconds.
                raise self._error(f"{day}: TLS error fetching {url}: {exc}. Check base_url and the system clock.") from exc
            except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema) as exc:
                raise self._error(f"{day}: cannot request {url}: {exc}. Check base_url.") from exc
            except requests.exceptions.Timeout as exc:
                cause, last_status, wait = f"timed out after {self.timeout}s ({type(exc).__name__})", None, self._backoff(attempt)
            except requests.exceptions.ChunkedEncodingError as exc:
                cause, last_status, wait = f"truncated response body ({exc})", None, self._backoff(attempt)
            except requests.exceptions.ConnectionError as exc:
                cause, last_status, wait = f"connection error ({exc})", None, self._backoff(attempt)
            except requests.exceptions.RequestException as exc:
                raise self._error(f"{day}: request to {url} failed: {type(exc).__name__}: {exc}") from exc
            else:
                status = response.status_code
                if 200 <= status < 300:
                    try:
                        return status, raw.decode("utf-8"), fetched_at
                    except UnicodeDecodeError as exc:
                        raise self._error(
                            f"{day}: the response from {url} is not UTF-8 text ({exc}); expected JSON"
                        ) from exc
                snippet = raw[:200].decode("utf-8", errors="replace")
                if status not in _RETRY_STATUSES:
                    raise self._error(self._refusal(day, url, status, snippet))
                cause, last_status = f"HTTP {status}", status
                server_wait = self._server_wait(response)
                wait = self._backoff(attempt) if server_wait is None else server_wait
            if attempt + 1 == attempts:
                break
            log.warning(
                "%s: %s from %s; retry %d of %d in %.1fs",
                day, self._redact(cause), url, attempt + 1, self.retries, wait,
            )
            self._sleep(wait)
        if last_status == 429:
            fix = (
                "Hugging Face is rate-limiting these requests: set HF_TOKEN to a Hugging Face access token "
                "for a higher limit, wait a few minutes, or raise `retries`."
            )
        else:
            fix = "The server or the network is having trouble: try again later, or raise `retries`."
        noun = "attempt" if attempts == 1 else "attempts"
        raise self._error(f"{day}: GET {url} failed: {cause} after {attempts} {noun}. {fix}")

    def _refusal(self, day: dt.date | str, url: str, status: int, snippet: str) -> str:
        if status == 400:
            return (
                f"{day}: the Daily Papers API rejected the date (HTTP 400 from {url}): {snippet!r}. "
                f"The date must be a real day, YYYY-MM-DD, from {FIRST_DAY} to today."
            )
        if status in (401, 403):
            fix = (
                "check that HF_TOKEN holds a valid Hugging Face access token, or unset it to fetch anonymously"
                if self._token
                else "the API wants a token: set HF_TOKEN to a Hugging Face access token"
            )
            return f"{day}: HTTP {status} from {url}: access refused; {fix}. Response: {snippet!r}"
        if status == 404:
            return (
                f"{day}: HTTP 404 from {url}: there is no Daily Papers API at this address; "
                f"check base_url ({self.base_url}). Response: {snippet!r}"
            )
        return f"{day}: HTTP {status} from {url}, not retried. Response: {snippet!r}"


def _parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Retry-After as seconds from ``now``: either delay-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" dates come back naive; HTTP-dates are GMT
        when = when.replace(tzinfo=dt.timezone.utc)
    return max((when - now).total_seconds(), 0.0)


def _parse_ratelimit_reset(value: str | None) -> float | None:
    if not value:
        return None
    for part in value.split(";"):
        key, _, number = part.strip().partition("=")
        if key.strip() == "t":
            try:
                seconds = float(number)
            except ValueError:
                return None
            return max(seconds, 0.0) if math.isfinite(seconds) else None
    return None
