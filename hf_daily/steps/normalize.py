"""Turn raw Daily Papers responses into typed rows.

The output is one :class:`NormalizedDay` of DataFrames whose columns match the
warehouse tables exactly (see ``hf_daily.warehouse``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import pandas as pd

from hf_daily import warehouse as wh
from hf_daily.sources.page import RawPage, parse_page

log = logging.getLogger(__name__)

# New-style (2501.01234, 2501.01234v2) and old-style (hep-th/9901001, math.GT/0309136) arXiv ids.
_ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}(v\d+)?|[a-z-]+(\.[A-Z]{2})?/\d{7}(v\d+)?)$")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_WHITESPACE = re.compile(r"\s+")
# JSON may carry "\ud800"-style escapes that decode to lone surrogates; no UTF-8 store or URL accepts them.
_SURROGATE = re.compile("[\ud800-\udfff]")
# The warehouse's INTEGER columns are 32-bit: a larger count is garbage, and inserting it would fail the day.
_INT32 = range(-(2**31), 2**31)


@dataclass
class NormalizedDay:
    day: dt.date
    papers: pd.DataFrame
    authors: pd.DataFrame
    organizations: pd.DataFrame
    upvote_snapshots: pd.DataFrame
    duplicate_ids: list[str]
    raw_paper_ids: int = 0  # distinct ids in the fetch the rows come from, for the counts check


def _str(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def unwrap(text: str | None) -> str:
    """Join hard-wrapped lines, keeping paragraph breaks.

    Older API responses carry arXiv's 80-column line breaks inside titles and abstracts.
    """
    if not isinstance(text, str) or not text:
        return ""
    text = _str(text)
    paragraphs = (_WHITESPACE.sub(" ", p).strip() for p in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def hf_url(paper_id: str) -> str:
    return f"https://huggingface.co/papers/{quote(_str(paper_id), safe='.')}"


def arxiv_url(paper_id: str) -> str | None:
    """The arXiv abstract page, or None for ids that are not arXiv ids (HF also lists non-arXiv papers)."""
    return f"https://arxiv.org/abs/{paper_id}" if _ARXIV_ID.match(paper_id) else None


def http_url(value: object) -> str | None:
    """Keep a link from the data only if it is an absolute http(s) URL; anything else could run script."""
    if not isinstance(value, str):
        return None
    url = _str(value).strip()
    if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE) or any(c in url for c in "\n\r\t <>\"'`"):
        return None
    return url


def _timestamp(value: object) -> dt.datetime | None:
    """ISO-8601 from the API as naive UTC (the warehouse stores UTC throughout)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):  # OverflowError: an offset that moves year 1 or 9999 out of range
        return None
    return parsed


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value in _INT32 else None


def _text(value: object) -> str | None:
    return _str(value).strip() or None if isinstance(value, str) else None


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _keywords(value: object) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [_str(k).strip() for k in value if isinstance(k, str) and k.strip()]


def normalize_day(day: dt.date, fetches: list[list[RawPage]]) -> NormalizedDay:
    """Normalize one day from all of its stored fetches, oldest first.

    Paper rows come from the latest fetch that lists any paper; upvote snapshots come
    from every fetch, so re-fetching a day later never loses the earlier counts.
    A day does not lose all of its papers: an empty response after a full one is an
    API glitch, so it is kept in raw_responses but does not wipe the day's rows.
    """
    parsed = [[item for page in fetch for item in parse_page(page.body, day=day, url=page.url)] for fetch in fetches]
    chosen = next((i for i in reversed(range(len(fetches))) if parsed[i]), len(fetches) - 1)
    latest, items = (fetches[chosen], parsed[chosen]) if fetches else ([], [])
    if fetches and chosen != len(fetches) - 1:
        log.warning("%s: the latest fetch lists no papers but fetch %d of %d listed %d; keeping those rows",
                    day, chosen + 1, len(fetches), len(items))
    fetched_at = _naive_utc(latest[0].fetched_at) if latest else None

    papers, authors, organizations = [], [], {}
    seen: set[str] = set()
    duplicates: list[str] = []
    for item in items:
        paper = item["paper"]
        paper_id = _str(paper["id"]).strip()
        if paper_id in seen:
            # The API has been seen to repeat a paper across pages; the first (higher-ranked) one wins.
            duplicates.append(paper_id)
            continue
        seen.add(paper_id)
        org = paper.get("organization") or item.get("organization")
        org_id = None
        if isinstance(org, dict) and isinstance(org.get("_id"), str):
            org_id = _str(org["_id"])
            organizations[org_id] = {
                "organization_id": org_id,
                "name": _text(org.get("name")),
                "fullname": _text(org.get("fullname")),
                "avatar_url": http_url(org.get("avatar")),
            }
        papers.append({
            "day": day,
            "paper_id": paper_id,
            "rank": len(papers) + 1,
            "title": unwrap(paper.get("title")),
            "abstract": unwrap(paper.get("summary") or item.get("summary")),
            "hf_url": hf_url(paper_id),
            "arxiv_url": arxiv_url(paper_id),
            "published_at": _timestamp(paper.get("publishedAt")),
            "submitted_on_daily_at": _timestamp(paper.get("submittedOnDailyAt")),
            "upvotes": _int(paper.get("upvotes")) or 0,
            "num_comments": _int(item.get("numComments")) or 0,
            "github_repo": http_url(paper.get("githubRepo")),
            "github_stars": _int(paper.get("githubStars")),
            "project_page": http_url(paper.get("projectPage")),
            "ai_summary": unwrap(paper.get("ai_summary")) or None,
            "ai_keywords": _keywords(paper.get("ai_keywords")),
            "organization_id": org_id,
            "fetched_at": fetched_at,
        })
        listed = paper.get("authors")
        for position, author in enumerate(listed if isinstance(listed, list) else [], start=1):
            if not isinstance(author, dict) or not _text(author.get("name")):
                continue
            user = author.get("user") if isinstance(author.get("user"), dict) else {}
            authors.append({
                "day": day,
                "paper_id": paper_id,
                "position": position,
                "name": _WHITESPACE.sub(" ", _str(author["name"])).strip(),
                "hf_username": _text(user.get("user")),
            })
    if duplicates:
        log.warning("%s: %d duplicate paper ids dropped: %s", day, len(duplicates), ", ".join(duplicates))

    snapshots = {}
    for fetch, fetch_items in zip(fetches, parsed):
        if not fetch:
            continue
        at = _naive_utc(fetch[0].fetched_at)
        for item in fetch_items:
            paper = item["paper"]
            key = (_str(paper["id"]).strip(), at)
            snapshots.setdefault(key, {
                "day": day,
                "paper_id": key[0],
                "fetched_at": at,
                "upvotes": _int(paper.get("upvotes")) or 0,
                "num_comments": _int(item.get("numComments")) or 0,
            })

    return NormalizedDay(
        day=day,
        papers=pd.DataFrame(papers, columns=wh.TABLES["papers"].column_names),
        authors=pd.DataFrame(authors, columns=wh.TABLES["authors"].column_names),
        organizations=pd.DataFrame(list(organizations.values()), columns=wh.TABLES["organizations"].column_names),
        upvote_snapshots=pd.DataFrame(list(snapshots.values()), columns=wh.TABLES["upvote_snapshots"].column_names),
        duplicate_ids=duplicates,
        raw_paper_ids=len(seen),
    )


@dataclass
class NormalizeReport:
    rows: dict[str, int]
    papers_per_day: dict[dt.date, int]
    raw_papers_per_day: dict[dt.date, int]  # distinct ids in the fetch the rows come from
    duplicate_ids: dict[dt.date, list[str]]


def normalize_days(warehouse: wh.Warehouse, days: Sequence[dt.date]) -> NormalizeReport:
    with warehouse.connect() as con:
        normalized = [normalize_day(day, wh.stored_fetches(con, day)) for day in days]
        frames = {
            name: pd.concat([getattr(n, name) for n in normalized], ignore_index=True)
            for name in ("papers", "authors", "upvote_snapshots")
        }
        organizations = pd.concat([n.organizations for n in normalized], ignore_index=True)
        organizations = organizations.drop_duplicates("organization_id", keep="last")
        wh.replace_days(con, list(days), frames, upserts={"organizations": organizations})
        # Counted back from the table, so the check proves what was written, not what was meant to be.
        stored = dict(con.execute("SELECT day, count(*) FROM papers WHERE day IN (SELECT unnest(?)) GROUP BY day",
                                  [list(days)]).fetchall())
    return NormalizeReport(
        rows={name: len(frame) for name, frame in frames.items()} | {"organizations": len(organizations)},
        papers_per_day={day: stored.get(day, 0) for day in days},
        raw_papers_per_day={n.day: n.raw_paper_ids for n in normalized},
        duplicate_ids={n.day: n.duplicate_ids for n in normalized if n.duplicate_ids},
    )
