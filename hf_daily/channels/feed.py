"""The Atom feed of the newest issues."""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from urllib.parse import urljoin

from markupsafe import escape

from hf_daily.core.display import SITE_TITLE, plain_text
from hf_daily.core.layout import DataLayout
from hf_daily.steps.issue import IssueSummary

FEED_ENTRIES = 60  # two months: feed readers fetch the feed often, and older issues stay on the index page

# Links are relative to the site folder, so only the layout's shape counts, not where data/ lies.
_SHAPE = DataLayout()
_FEED_NAMESPACE = uuid.UUID("6f1e9d0c-3b4a-5c8e-9f2d-7a1b0c4d5e6f")



def _atom_time(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _entry_id(day: dt.date) -> str:
    # Stable across hosts and runs, so readers never see an issue twice when the site moves.
    return f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, 'issue/' + day.isoformat())}"


def render_feed(issues: Sequence[IssueSummary], site_url: str = "", limit: int = FEED_ENTRIES) -> str:
    """An Atom 1.0 feed, one entry per issue (the newest `limit`). Links are relative to the feed
    unless `site_url` (the address of the site folder, e.g. https://example.org/hf-daily/site/) is set."""
    base = site_url if not site_url or site_url.endswith("/") else site_url + "/"
    absolute = lambda href: urljoin(base, href) if base else href  # noqa: E731
    newest = sorted(issues, key=lambda i: i.day, reverse=True)[:limit]
    ns = "http://www.w3.org/2005/Atom"
    feed = ET.Element("feed", {"xmlns": ns, "{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})

    def add(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
        if text is not None:
            element.text = plain_text(text) if tag != "content" else text
        return element

    add(feed, "id", absolute(_SHAPE.feed.name) if base else f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, 'feed')}")
    add(feed, "title", SITE_TITLE)
    add(feed, "subtitle", "每天的 Hugging Face Daily Papers，中文标题、摘要、语音播报与海报。")
    add(feed, "updated", _atom_time(newest[0].day) if newest else "1970-01-01T00:00:00Z")
    add(add(feed, "author"), "name", "hf-daily")
    add(feed, "generator", "hf-daily")
    if base:
        add(feed, "link", rel="self", type="application/atom+xml", href=absolute(_SHAPE.feed.name))
    add(feed, "link", rel="alternate", type="text/html", href=absolute(_SHAPE.index.name))
    for item in newest:
        entry = add(feed, "entry")
        add(entry, "id", _entry_id(item.day))
        add(entry, "title", f"{SITE_TITLE} · {item.day.isoformat()} · {item.paper_count} 篇论文")
        add(entry, "link", rel="alternate", type="text/html", href=absolute(_SHAPE.page(item.day).name))
        if item.audio_bytes:
            add(entry, "link", rel="enclosure", type="audio/mpeg", length=item.audio_bytes,
                href=absolute(_SHAPE.link(_SHAPE.audio(item.day), _SHAPE.site)))
        add(entry, "published", _atom_time(item.day))
        add(entry, "updated", _atom_time(item.day))
        fields = "、".join(plain_text(f) for f in item.hot_fields)
        add(entry, "summary", f"今日共 {item.paper_count} 篇论文" + (f" · 热门领域：{fields}" if fields else ""),
            type="text")
        # type="html": the markup is escaped once more as XML text, as Atom asks; titles are escaped inside it.
        titles = "".join(f"<li>{escape(plain_text(t))}</li>" for t in item.titles)
        add(entry, "content", f"<p>今日共 {item.paper_count} 篇论文</p><ol>{titles}</ol>", type="html")
        for field in item.hot_fields:
            add(entry, "category", term=plain_text(field))
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"
