"""One response page of the Daily Papers API, and how to read it.

Every source returns a list of :class:`RawPage` holding each response body verbatim, so that the
warehouse can keep exactly what was received and later steps never need to fetch again.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass


class DailyPapersError(RuntimeError):
    """A day's papers could not be fetched or read. The message names the day, the URL and the cause."""


@dataclass(frozen=True)
class RawPage:
    day: dt.date
    page: int
    url: str
    fetched_at: dt.datetime  # timezone-aware UTC
    status: int
    body: str


def parse_page(body: str, *, day: dt.date | str, url: str) -> list[dict]:
    """Parse one response body into its list of items, or explain why it cannot be read.

    An item must be an object holding a ``paper`` object with an ``id`` and a ``title``;
    anything else means the API changed shape, and guessing would write wrong rows.
    """
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        snippet = body[:80].replace("\n", " ")
        raise DailyPapersError(
            f"{day}: the response from {url} is not JSON ({exc.msg} at char {exc.pos}; it starts {snippet!r})"
        ) from exc
    if not isinstance(data, list):
        # Hugging Face explains failures as {"error": "..."}; that text is the useful part.
        detail = f" ({str(data['error'])[:200]!r})" if isinstance(data, dict) and "error" in data else ""
        raise DailyPapersError(
            f"{day}: the response from {url} is a JSON {type(data).__name__}{detail}, expected a list of papers"
        )
    for index, item in enumerate(data):
        paper = item.get("paper") if isinstance(item, dict) else None
        if not isinstance(paper, dict):
            raise DailyPapersError(f"{day}: item {index} from {url} has no 'paper' object")
        for field in ("id", "title"):
            value = paper.get(field)
            if not isinstance(value, str) or not value.strip():
                raise DailyPapersError(f"{day}: item {index} from {url} has no paper {field!r} (got {value!r})")
    return data
