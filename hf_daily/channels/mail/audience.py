"""Which of a day's papers a subscriber receives: their field and keyword filters over the day's topics.

A paper is in a subscriber's mail when it matches any entry of their include lists (fields or
keywords; both empty: every paper) and no entry of their exclude lists. Fields are the names of
paper_fields (多模态, 智能体, ...), compared exactly. A keyword entry matches a paper keyword of
paper_keywords (English or Chinese) case-insensitively as a whole word or phrase inside it, so
"agents" matches "LLM agents" but not "reagents", and 智能体 matches 多智能体 (Chinese has no
word boundaries).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from hf_daily.steps.issue import IssuePaper
from hf_daily.warehouse.subscribers import Subscriber


@dataclass(frozen=True)
class PaperTopics:
    fields: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()  # casefolded


def read_topics(con: duckdb.DuckDBPyConnection, days: Sequence[dt.date]) -> dict[dt.date, dict[str, PaperTopics]]:
    """Each day's papers' fields and keywords (both languages), by paper id."""
    fields = con.execute("SELECT day, paper_id, list(DISTINCT field) FROM paper_fields "
                         "WHERE day IN (SELECT unnest(?)) GROUP BY day, paper_id", [list(days)]).fetchall()
    keywords = con.execute("SELECT day, paper_id, list(DISTINCT lower(keyword)) FROM paper_keywords "
                           "WHERE day IN (SELECT unnest(?)) GROUP BY day, paper_id", [list(days)]).fetchall()
    found: dict[dt.date, dict[str, dict]] = {day: {} for day in days}
    for day, pid, names in fields:
        found[day].setdefault(pid, {})["fields"] = frozenset(names)
    for day, pid, words in keywords:
        found[day].setdefault(pid, {})["keywords"] = tuple(w.casefold() for w in words)
    return {day: {pid: PaperTopics(**parts) for pid, parts in papers.items()} for day, papers in found.items()}


def _keyword_pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![0-9a-z]){re.escape(word.casefold())}(?![0-9a-z])")


def _matches(topics: PaperTopics, fields: Sequence[str], keywords: Sequence[re.Pattern[str]]) -> bool:
    return bool(topics.fields.intersection(fields)) or any(p.search(k) for p in keywords for k in topics.keywords)


def papers_for(subscriber: Subscriber, papers: Sequence[IssuePaper], topics: dict[str, PaperTopics],
               ) -> list[IssuePaper]:
    """The papers of ``papers`` (kept in their order) that the subscriber's filters let through."""
    include = [_keyword_pattern(w) for w in subscriber.include_keywords]
    exclude = [_keyword_pattern(w) for w in subscriber.exclude_keywords]
    wants_all = not subscriber.include_fields and not subscriber.include_keywords
    chosen = []
    for paper in papers:
        about = topics.get(paper.paper_id, PaperTopics())
        if not wants_all and not _matches(about, subscriber.include_fields, include):
            continue
        if _matches(about, subscriber.exclude_fields, exclude):
            continue
        chosen.append(paper)
    return chosen
