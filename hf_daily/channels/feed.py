"""The Atom feeds: the newest daily issues (feed.xml) and the weekly digests (weekly.xml)."""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urljoin

from markupsafe import escape

from hf_daily.core.display import SITE_TITLE, WEEKLY_TITLE, plain_text, week_span
from hf_daily.core.layout import DataLayout
from hf_daily.steps.issue import IssueSummary
from hf_daily.steps.weekly import WeeklySummary

FEED_ENTRIES = 60  # two months: feed readers fetch the feed often, and older issues stay on the index page
WEEKLY_FEED_ENTRIES = 26  # half a year of weeks

# Links are relative to the site folder, so only the layout's shape counts, not where data/ lies.
_SHAPE = DataLayout()
_FEED_NAMESPACE = uuid.UUID("6f1e9d0c-3b4a-5c8e-9f2d-7a1b0c4d5e6f")
_ATOM = "http://www.w3.org/2005/Atom"
# A feed's id without a site URL: stable across hosts and runs (the main feed's was its name, 'feed').
_FEED_IDS = {_SHAPE.feed.name: "feed", _SHAPE.weekly_feed.name: "weekly"}



def _atom_time(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _entry_id(day: dt.date) -> str:
    # Stable across hosts and runs, so readers never see an issue twice when the site moves.
    return f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, 'issue/' + day.isoformat())}"


class _Feed:
    """An Atom 1.0 document being built: the feed's own elements, then its entries.

    Links are relative to the feed unless `site_url` (the address of the site folder, e.g.
    https://example.org/hf-daily/site/) is set."""

    def __init__(self, path: Path, title: str, subtitle: str, updated: dt.date | None, site_url: str = "") -> None:
        self.base = site_url if not site_url or site_url.endswith("/") else site_url + "/"
        self.root = ET.Element("feed", {"xmlns": _ATOM, "{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
        self.add(self.root, "id", self.absolute(path.name) if self.base
                 else f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, _FEED_IDS[path.name])}")
        self.add(self.root, "title", title)
        self.add(self.root, "subtitle", subtitle)
        self.add(self.root, "updated", _atom_time(updated) if updated else "1970-01-01T00:00:00Z")
        self.add(self.add(self.root, "author"), "name", "hf-daily")
        self.add(self.root, "generator", "hf-daily")
        if self.base:
            self.add(self.root, "link", rel="self", type="application/atom+xml", href=self.absolute(path.name))
        self.add(self.root, "link", rel="alternate", type="text/html", href=self.absolute(_SHAPE.index.name))

    def absolute(self, href: str) -> str:
        return urljoin(self.base, href) if self.base else href

    def add(self, parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
        if text is not None:
            element.text = plain_text(text) if tag != "content" else text
        return element

    def entry(self, entry_id: str, title: str, page: Path, day: dt.date, summary: str, lead: str,
              titles: Sequence[str], categories: Sequence[str]):
        """An entry linking a page: ``summary`` as text, then as HTML content ``lead`` over the list of titles."""
        entry = self.add(self.root, "entry")
        self.add(entry, "id", entry_id)
        self.add(entry, "title", title)
        self.add(entry, "link", rel="alternate", type="text/html", href=self.absolute(page.name))
        self.add(entry, "published", _atom_time(day))
        self.add(entry, "updated", _atom_time(day))
        self.add(entry, "summary", summary, type="text")
        # type="html": the markup is escaped once more as XML text, as Atom asks; titles are escaped inside it.
        items = "".join(f"<li>{escape(plain_text(t))}</li>" for t in titles)
        self.add(entry, "content", f"<p>{escape(lead)}</p><ol>{items}</ol>", type="html")
        for category in categories:
            self.add(entry, "category", term=plain_text(category))
        return entry

    def text(self) -> str:
        ET.indent(self.root)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(self.root, encoding="unicode") + "\n"


def render_feed(issues: Sequence[IssueSummary], site_url: str = "", limit: int = FEED_ENTRIES) -> str:
    """An Atom 1.0 feed, one entry per issue (the newest `limit`). Links are relative to the feed
    unless `site_url` (the address of the site folder, e.g. https://example.org/hf-daily/site/) is set."""
    newest = sorted(issues, key=lambda i: i.day, reverse=True)[:limit]
    feed = _Feed(_SHAPE.feed, SITE_TITLE, "每天的 Hugging Face Daily Papers，中文标题、摘要、语音播报与海报。",
                 newest[0].day if newest else None, site_url)
    for item in newest:
        fields = "、".join(plain_text(f) for f in item.hot_fields)
        entry = feed.entry(_entry_id(item.day), f"{SITE_TITLE} · {item.day.isoformat()} · {item.paper_count} 篇论文",
                           _SHAPE.page(item.day), item.day,
                           f"今日共 {item.paper_count} 篇论文" + (f" · 热门领域：{fields}" if fields else ""),
                           f"今日共 {item.paper_count} 篇论文", item.titles, item.hot_fields)
        if item.audio_bytes:
            feed.add(entry, "link", rel="enclosure", type="audio/mpeg", length=item.audio_bytes,
                     href=feed.absolute(_SHAPE.link(_SHAPE.audio(item.day), _SHAPE.site)))
    return feed.text()


def render_weekly_feed(digests: Sequence[WeeklySummary], site_url: str = "", limit: int = WEEKLY_FEED_ENTRIES) -> str:
    """An Atom 1.0 feed of the weekly digests, one entry per week (the newest `limit`), dated its Sunday."""
    newest = sorted(digests, key=lambda d: d.week, reverse=True)[:limit]
    feed = _Feed(_SHAPE.weekly_feed, WEEKLY_TITLE, "每周一期：本周赞数最高的论文、热门领域与关键词。",
                 newest[0].sunday if newest else None, site_url)
    for digest in newest:
        fields = "、".join(plain_text(name) for name in digest.hot_fields)
        lead = f"{week_span(digest.week)} · 本周共 {digest.paper_count} 篇论文"
        feed.entry(f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, 'week/' + digest.week.isoformat())}",
                   f"{WEEKLY_TITLE} · {digest.name} · {digest.paper_count} 篇论文", _SHAPE.weekly_page(digest.week),
                   digest.sunday, lead + (f" · 热门领域：{fields}" if fields else ""), lead, digest.titles,
                   digest.hot_fields)
    return feed.text()
