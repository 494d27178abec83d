"""Topic feeds: beside feed.xml, an Atom feed of papers for each research field and each keyword filter.

- ``data/site/feeds/field-SLUG.xml``: one per field of the taxonomy (hf_daily.steps.fields.FIELDS), its
  papers by paper_fields.
- ``data/site/feeds/NAME.xml``: one per filter the user configures (HF_DAILY_FEED_FILTERS, or the
  html_issue asset's config), its papers those that match any include word and no exclude word (no
  include word: every paper). A word matches a field's name exactly, or a keyword as
  hf_daily.steps.selection says (whole words, any case, English or Chinese; ``agent*`` a prefix).

Each feed holds the newest PAPER_FEED_ENTRIES papers of the issues, newest day first and in the issue's
order within a day; a paper featured on several days appears once, on its latest. The feeds are made
again from the whole warehouse on every run, so the folder always holds exactly the feeds of the
taxonomy and of the filters configured now: the feed of a filter taken out of the settings is deleted
(its readers get "not found" instead of a feed that silently stops).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hf_daily.channels.feed import PAPER_FEED_ENTRIES, PaperEntry, render_paper_feed
from hf_daily.core.display import SITE_TITLE, plain_text
from hf_daily.core.files import write_atomically
from hf_daily.core.layout import FIELD_FEED_PREFIX, SLUG, DataLayout
from hf_daily.steps.fields import FIELDS, taxonomy_order
from hf_daily.steps.issue import Issue, build_issues
from hf_daily.steps.selection import PaperTopics, TopicFilter, read_topics, word_problem
from hf_daily.warehouse import Warehouse

FILTERS_ENV = "HF_DAILY_FEED_FILTERS"
EXAMPLE = '[{"name": "agents-no-robots", "include": ["agent*", "智能体"], "exclude": ["robot*", "机器人"]}]'
_KEYS = ("name", "include", "exclude")
_MAX_NAME = 64
# Links are relative to the feed's folder, so only the layout's shape counts (see hf_daily.channels.feed).
_SHAPE = DataLayout()


class FeedFilterError(ValueError):
    """The configured filters cannot be used: the message names the setting, what is wrong and the fix."""


@dataclass(frozen=True)
class FeedFilter:
    """A named keyword filter: its words are fields (exact names) or keywords (whole words, ``word*``)."""
    name: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def topics(self) -> TopicFilter:
        return TopicFilter(include_fields=self.include, include_keywords=self.include,
                           exclude_fields=self.exclude, exclude_keywords=self.exclude)

    def describe(self) -> str:
        parts = [f"{label}：{'、'.join(words)}" for label, words in (("包含", self.include), ("排除", self.exclude))
                 if words]
        return "；".join(parts)


def parse_filters(items: object, source: str = FILTERS_ENV) -> tuple[FeedFilter, ...]:
    """Filters from their decoded settings: a list of {"name", "include", "exclude"} objects."""
    def wrong(what: str) -> FeedFilterError:
        return FeedFilterError(f"{source}: {what}. For example: {EXAMPLE}")

    if not isinstance(items, list):
        raise wrong(f"expected a JSON list of filters, got {type(items).__name__}; put the filters in [ ]")
    filters: list[FeedFilter] = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, Mapping):
            raise wrong(f"filter {number} is {type(item).__name__}, not an object; write each filter as "
                        '{"name": ..., "include": [...], "exclude": [...]}')
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise wrong(f"filter {number} has no name; give it a \"name\" (it names data/site/feeds/NAME.xml)")
        if not SLUG.fullmatch(name) or len(name) > _MAX_NAME:
            raise wrong(f"filter {number}'s name {name!r} cannot name a file; use at most {_MAX_NAME} lower-case "
                        "ASCII letters and digits, words joined by '-', e.g. agents-no-robots")
        if name.startswith(FIELD_FEED_PREFIX):
            raise wrong(f"filter {name!r}: names starting with {FIELD_FEED_PREFIX!r} belong to the field feeds; "
                        "choose another name")
        if any(f.name == name for f in filters):
            raise wrong(f"two filters are named {name!r}; give each filter its own name")
        unknown = sorted(set(item) - set(_KEYS))
        if unknown:
            raise wrong(f"filter {name!r} has unknown keys {', '.join(map(repr, unknown))}; the keys are "
                        f"{', '.join(_KEYS)}")
        lists = {key: _words(item.get(key), key, name, wrong) for key in ("include", "exclude")}
        if not lists["include"] and not lists["exclude"]:
            raise wrong(f"filter {name!r} is empty; give it \"include\" or \"exclude\" words "
                        "(fields such as 智能体, or keywords such as agent*)")
        filters.append(FeedFilter(name, lists["include"], lists["exclude"]))
    return tuple(filters)


def _words(value: object, key: str, name: str, wrong: Callable[[str], FeedFilterError]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise wrong(f"filter {name!r}: {key!r} must be a list of words, e.g. [\"agent*\", \"智能体\"]")
    words: list[str] = []
    for raw in value:
        word = plain_text(raw)
        problem = "an empty word" if not word else word_problem(word)
        if problem:
            raise wrong(f"filter {name!r}: {key!r} has {problem}")
        if word not in words:
            words.append(word)
    return tuple(words)


def configured_filters(configured: Sequence[Mapping] | None = None,
                       environ: Mapping[str, str] | None = None) -> tuple[FeedFilter, ...]:
    """The filters of the asset's config when it sets them (None: unset), else HF_DAILY_FEED_FILTERS (JSON),
    else none."""
    if configured is not None:
        return parse_filters([dict(item) for item in configured], "the html_issue config's feed_filters")
    text = (os.environ if environ is None else environ).get(FILTERS_ENV, "").strip()
    if not text:
        return ()
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise FeedFilterError(f"{FILTERS_ENV} is not valid JSON ({error}); set it to a JSON list of filters, "
                              f"e.g. {EXAMPLE}") from None
    return parse_filters(items)


# --- the daily step ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TopicFeed:
    label: str  # how the index names it: the field's Chinese name, or the filter's name
    path: Path
    entries: int
    is_field: bool


@dataclass
class TopicFeedsReport:
    feeds: list[TopicFeed] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)  # feeds of filters no longer configured


@dataclass(frozen=True)
class _Plan:
    label: str
    title: str
    subtitle: str
    wanted: TopicFilter
    where: Callable[[DataLayout], Path]
    is_field: bool


def _plans(filters: Sequence[FeedFilter]) -> list[_Plan]:
    plans = [_Plan(f.name, f"{SITE_TITLE} · {f.name}", f"「{f.name}」领域的最新论文，每篇一条：中文标题与摘要。",
                   TopicFilter(include_fields=(f.name,)), lambda layout, slug=f.slug: layout.field_feed(slug), True)
             for f in FIELDS]
    plans += [_Plan(f.name, f"{SITE_TITLE} · {f.name}", f"按关键词筛选的最新论文，每篇一条。{f.describe()}",
                    f.topics, lambda layout, name=f.name: layout.filter_feed(name), False)
              for f in filters]
    return plans


def select_entries(issues: Sequence[Issue], topics: Mapping[dt.date, Mapping[str, PaperTopics]],
                   wanted: TopicFilter, limit: int = PAPER_FEED_ENTRIES) -> list[PaperEntry]:
    """The first ``limit`` papers of ``issues`` (newest first) that ``wanted`` lets through, each paper once."""
    chosen: list[PaperEntry] = []
    seen: set[str] = set()
    for issue in issues:
        about = topics.get(issue.day, {})
        for position, paper in enumerate(issue.papers, 1):
            if paper.paper_id in seen or not wanted.admits(about.get(paper.paper_id, PaperTopics())):
                continue
            seen.add(paper.paper_id)
            fields = sorted(about.get(paper.paper_id, PaperTopics()).fields, key=taxonomy_order)
            chosen.append(PaperEntry(issue.day, paper, position, tuple(fields)))
            if len(chosen) >= limit:
                return chosen
    return chosen


def publish_topic_feeds(warehouse: Warehouse, days: Sequence[dt.date], layout: DataLayout,
                        filters: Sequence[FeedFilter] = (), site_url: str = "") -> TopicFeedsReport:
    """Write every topic feed from the issues of ``days`` (every issue's day), then delete the feeds of filters
    no longer configured."""
    newest = sorted(set(days), reverse=True)
    built = build_issues(warehouse, newest, layout)
    issues = [built[day] for day in newest]
    with warehouse.connect() as con:
        topics = read_topics(con, newest)
    report = TopicFeedsReport()
    for plan in _plans(filters):
        entries = select_entries(issues, topics, plan.wanted)
        xml = render_paper_feed(entries, path=plan.where(_SHAPE), title=plan.title, subtitle=plan.subtitle,
                                site_url=site_url)
        path = write_atomically(plan.where(layout), xml)
        report.feeds.append(TopicFeed(plan.label, path, len(entries), plan.is_field))
    written = {feed.path for feed in report.feeds}
    for path in sorted(layout.site_feeds.glob("*.xml")):
        if path not in written and not path.name.startswith("."):
            path.unlink(missing_ok=True)
            report.removed.append(path)
    return report
