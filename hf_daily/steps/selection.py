"""Which papers a reader's topic filter lets through: by research field and keyword, included or excluded.

A filter has include and exclude lists of fields and keywords. A paper passes when it matches any
entry of the include lists (both empty: every paper) and no entry of the exclude lists. Fields are
the names of paper_fields (多模态, 智能体, ...), compared exactly. A keyword entry matches a paper
keyword of paper_keywords (English or Chinese) case-insensitively as a whole word or phrase inside
it, so "agents" matches "LLM agents" but not "reagents", and 智能体 matches 多智能体 (Chinese has no
word boundaries). An entry ending in ``*`` matches as a prefix: "agent*" matches "agents" and
"agentic" (still not "reagents": the word must start there).

The mail channel's subscribers and the site's keyword-filter feeds both filter with this.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import duckdb

PREFIX = "*"


@dataclass(frozen=True)
class PaperTopics:
    """A paper's fields and keywords (both languages), as the filters see them."""
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


def keyword_pattern(word: str) -> re.Pattern[str]:
    """The pattern of a keyword entry: the whole word or phrase, or with a trailing * any word it begins."""
    prefix = word.endswith(PREFIX) and len(word) > len(PREFIX)
    stem = re.escape((word[:-len(PREFIX)] if prefix else word).casefold())
    return re.compile(rf"(?<![0-9a-z]){stem}" + ("" if prefix else "(?![0-9a-z])"))


def word_problem(word: str) -> str | None:
    """Why an entry cannot be used as typed (a * anywhere but at the end of a word), or None."""
    if word.strip(PREFIX) == "":
        return f"{word!r} matches everything: leave the list out instead"
    if PREFIX in word[:-1]:
        return f"{word!r} has a {PREFIX} before its end: {PREFIX} may only end a word (agent* for agents, agentic)"
    return None


P = TypeVar("P")  # anything with a paper_id: an IssuePaper


@dataclass(frozen=True)
class TopicFilter:
    """Include and exclude lists of fields (exact names) and keyword entries (see the module's doc)."""
    include_fields: tuple[str, ...] = ()
    include_keywords: tuple[str, ...] = ()
    exclude_fields: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    _include: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _exclude: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_include", tuple(keyword_pattern(w) for w in self.include_keywords))
        object.__setattr__(self, "_exclude", tuple(keyword_pattern(w) for w in self.exclude_keywords))

    @property
    def wants_all(self) -> bool:
        """No include list: every paper not excluded."""
        return not self.include_fields and not self.include_keywords

    def admits(self, topics: PaperTopics) -> bool:
        if not self.wants_all and not _matches(topics, self.include_fields, self._include):
            return False
        return not _matches(topics, self.exclude_fields, self._exclude)

    def select(self, papers: Sequence[P], topics: Mapping[str, PaperTopics]) -> list[P]:
        """The papers (kept in their order) the filter lets through; ``topics`` by paper id."""
        return [paper for paper in papers if self.admits(topics.get(paper.paper_id, PaperTopics()))]


def _matches(topics: PaperTopics, fields: Sequence[str], keywords: Sequence[re.Pattern[str]]) -> bool:
    return bool(topics.fields.intersection(fields)) or any(p.search(k) for p in keywords for k in topics.keywords)
