"""Which of a day's papers a subscriber receives: their field and keyword filters over the day's topics.

The filters work as hf_daily.steps.selection says (any include entry, no exclude entry; keywords as
whole words, ``agent*`` as a prefix); this module applies a subscriber's lists.
"""

from __future__ import annotations

from collections.abc import Sequence

from hf_daily.steps.issue import IssuePaper
from hf_daily.steps.selection import PaperTopics, TopicFilter
from hf_daily.warehouse.subscribers import Subscriber


def subscriber_filter(subscriber: Subscriber) -> TopicFilter:
    return TopicFilter(include_fields=subscriber.include_fields, include_keywords=subscriber.include_keywords,
                       exclude_fields=subscriber.exclude_fields, exclude_keywords=subscriber.exclude_keywords)


def papers_for(subscriber: Subscriber, papers: Sequence[IssuePaper], topics: dict[str, PaperTopics],
               ) -> list[IssuePaper]:
    """The papers of ``papers`` (kept in their order) that the subscriber's filters let through."""
    return subscriber_filter(subscriber).select(papers, topics)
