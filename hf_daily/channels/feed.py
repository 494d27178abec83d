"""Atom feeds, written one way: the feed of the newest issues (feed.xml), the weekly digests' (weekly.xml)
and the feeds of papers (the topic feeds under feeds/, see hf_daily.channels.topic_feeds).

Every text from the data goes through plain_text (no invisible or bidi characters, which XML may not
even hold) and ElementTree escapes it; HTML content is escaped once by markupsafe and once more as XML
text, as Atom's type="html" asks. Only http(s) links from the data are kept. Links to the site's own
files are relative to the feed unless a site_url is given, then absolute.
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from markupsafe import escape

from hf_daily.core.display import SITE_TITLE, WEEKLY_TITLE, http_href, long_date, plain_text, week_span
from hf_daily.core.layout import DataLayout
from hf_daily.steps.issue import IssuePaper, IssueSummary
from hf_daily.steps.weekly import WeeklySummary

FEED_ENTRIES = 60  # two months: feed readers fetch the feed often, and older issues stay on the index page
PAPER_FEED_ENTRIES = 60  # the newest papers of a topic feed
WEEKLY_FEED_ENTRIES = 26  # half a year of weeks
AUTHORS_SHOWN = 6

# Links are relative to the feed's folder, so only the layout's shape counts, not where data/ lies.
_SHAPE = DataLayout()
_FEED_NAMESPACE = uuid.UUID("6f1e9d0c-3b4a-5c8e-9f2d-7a1b0c4d5e6f")
_ATOM = "http://www.w3.org/2005/Atom"


def _atom_time(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _uuid(key: str) -> str:
    # Stable across hosts and runs, so readers never see an entry twice when the site moves.
    return f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, key)}"


def _entry_id(day: dt.date) -> str:
    return _uuid("issue/" + day.isoformat())


def _paper_entry_id(day: dt.date, paper_id: str) -> str:
    """A paper on a day: the same id in every feed that carries it."""
    return _uuid(f"paper/{day.isoformat()}/{paper_id}")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    """A child element; its text and attributes cleaned (ElementTree escapes them), but HTML content, which
    the caller escapes."""
    element = ET.SubElement(parent, tag, {k: plain_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = plain_text(text) if tag != "content" else text
    return element


class _Atom:
    """One Atom document at ``path`` (a path of DataLayout's shape) and how it links the site's files."""

    def __init__(self, path: Path, site_url: str) -> None:
        self.path = path
        self.base = site_url if not site_url or site_url.endswith("/") else site_url + "/"

    def href(self, path: Path) -> str:
        """A file of the data folder as the feed links it: under site_url (the address of the site folder), or
        relative to the feed's own folder."""
        if self.base:
            return urljoin(self.base, _SHAPE.link(path, _SHAPE.site))
        return _SHAPE.link(path, self.path.parent)

    def feed(self, key: str, title: str, subtitle: str, updated: dt.date | None) -> ET.Element:
        """The feed element and its head: id, titles, time, author, links to itself and to the index."""
        feed = ET.Element("feed", {"xmlns": _ATOM, "{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
        _add(feed, "id", self.href(self.path) if self.base else _uuid(key))
        _add(feed, "title", title)
        _add(feed, "subtitle", subtitle)
        _add(feed, "updated", _atom_time(updated) if updated else "1970-01-01T00:00:00Z")
        _add(_add(feed, "author"), "name", "hf-daily")
        _add(feed, "generator", "hf-daily")
        if self.base:
            _add(feed, "link", rel="self", type="application/atom+xml", href=self.href(self.path))
        _add(feed, "link", rel="alternate", type="text/html", href=self.href(_SHAPE.index))
        return feed

    @staticmethod
    def text(feed: ET.Element) -> str:
        ET.indent(feed)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _summary_entry(atom: _Atom, feed: ET.Element, entry_id: str, title: str, page: Path, day: dt.date,
                   lead: str, hot_fields: Sequence[str], titles: Sequence[str],
                   audio: tuple[Path, int] | None = None) -> ET.Element:
    """An entry for an issue or a digest: its page (and ``audio``, an MP3 and its size, as an enclosure),
    ``lead`` and the hot fields as the summary, and as HTML content ``lead`` over its papers' titles."""
    entry = _add(feed, "entry")
    _add(entry, "id", entry_id)
    _add(entry, "title", title)
    _add(entry, "link", rel="alternate", type="text/html", href=atom.href(page))
    if audio:
        _add(entry, "link", rel="enclosure", type="audio/mpeg", length=audio[1], href=atom.href(audio[0]))
    _add(entry, "published", _atom_time(day))
    _add(entry, "updated", _atom_time(day))
    fields = "、".join(plain_text(f) for f in hot_fields)
    _add(entry, "summary", lead + (f" · 热门领域：{fields}" if fields else ""), type="text")
    # type="html": the markup is escaped once more as XML text, as Atom asks; titles are escaped inside it.
    items = "".join(f"<li>{escape(plain_text(t))}</li>" for t in titles)
    _add(entry, "content", f"<p>{escape(lead)}</p><ol>{items}</ol>", type="html")
    for field in hot_fields:
        _add(entry, "category", term=field)
    return entry


def render_feed(issues: Sequence[IssueSummary], site_url: str = "", limit: int = FEED_ENTRIES) -> str:
    """An Atom 1.0 feed, one entry per issue (the newest `limit`). Links are relative to the feed
    unless `site_url` (the address of the site folder, e.g. https://example.org/hf-daily/site/) is set."""
    atom = _Atom(_SHAPE.feed, site_url)
    newest = sorted(issues, key=lambda i: i.day, reverse=True)[:limit]
    feed = atom.feed("feed", SITE_TITLE, "每天的 Hugging Face Daily Papers，中文标题、摘要、语音播报与海报。",
                     newest[0].day if newest else None)
    for item in newest:
        _summary_entry(atom, feed, _entry_id(item.day), f"{SITE_TITLE} · {item.day.isoformat()} · {item.paper_count} 篇论文",
                       _SHAPE.page(item.day), item.day, f"今日共 {item.paper_count} 篇论文", item.hot_fields, item.titles,
                       audio=(_SHAPE.audio(item.day), item.audio_bytes) if item.audio_bytes else None)
    return atom.text(feed)


def render_weekly_feed(digests: Sequence[WeeklySummary], site_url: str = "", limit: int = WEEKLY_FEED_ENTRIES) -> str:
    """An Atom 1.0 feed of the weekly digests, one entry per week (the newest `limit`), dated its Sunday."""
    atom = _Atom(_SHAPE.weekly_feed, site_url)
    newest = sorted(digests, key=lambda d: d.week, reverse=True)[:limit]
    feed = atom.feed("weekly", WEEKLY_TITLE, "每周一期：本周赞数最高的论文、热门领域与关键词。",
                     newest[0].sunday if newest else None)
    for digest in newest:
        _summary_entry(atom, feed, _uuid("week/" + digest.week.isoformat()),
                       f"{WEEKLY_TITLE} · {digest.name} · {digest.paper_count} 篇论文", _SHAPE.weekly_page(digest.week),
                       digest.sunday, f"{week_span(digest.week)} · 本周共 {digest.paper_count} 篇论文",
                       digest.hot_fields, digest.titles)
    return atom.text(feed)


# --- feeds of papers -----------------------------------------------------------------------------

@dataclass(frozen=True)
class PaperEntry:
    """A paper of a day's issue, as a topic feed carries it."""
    day: dt.date
    paper: IssuePaper
    position: int  # its place in the day's issue, from 1: the page's #paper-N
    fields: Sequence[str] = ()  # its research fields, in the taxonomy's order


def _paper_links(paper: IssuePaper) -> list[tuple[str, str]]:
    """(label, http(s) URL) of the paper's pages elsewhere, those that are safe to link."""
    found = [(label, http_href(url)) for label, url in (
        ("HuggingFace", paper.hf_url), ("arXiv", paper.arxiv_url), ("代码", paper.github_repo),
        ("项目主页", paper.project_page))]
    return [(label, href) for label, href in found if href]


def _paper_html(item: PaperEntry, links: Sequence[tuple[str, str]], page: str) -> str:
    """The entry's content: original title, Chinese abstract, the day and authors, the links; all escaped."""
    paper = item.paper
    meta = [long_date(item.day), f"赞 {int(paper.upvotes)}"]
    if paper.organization:
        meta.append(f"机构：{plain_text(paper.organization)}")
    if paper.authors:
        shown = ", ".join(plain_text(a) for a in paper.authors[:AUTHORS_SHOWN])
        meta.append(f"作者：{shown}" + (f" 等 {len(paper.authors)} 人" if len(paper.authors) > AUTHORS_SHOWN else ""))
    anchors = [f'<a href="{escape(href)}">{escape(label)}</a>' for label, href in [*links, ("本期页面", page)]]
    parts = [f'<p lang="en">{escape(plain_text(paper.title))}</p>' if paper.title_zh else "",
             f"<p>{escape(plain_text(paper.abstract_zh))}</p>" if paper.abstract_zh else "",
             f"<p>{escape(' · '.join(meta))}</p>", f"<p>{' · '.join(anchors)}</p>"]
    return "".join(parts)


def render_paper_feed(entries: Sequence[PaperEntry], *, path: Path, title: str, subtitle: str, site_url: str = "",
                      limit: int = PAPER_FEED_ENTRIES) -> str:
    """An Atom 1.0 feed, one entry per paper: the first `limit` of `entries`, in their order (newest days
    first). `path` is where the feed lies in DataLayout's shape (e.g. site/feeds/field-llm.xml): its id and
    the relative links come from it. Each entry's alternate link is the paper's Hugging Face page."""
    atom = _Atom(path, site_url)
    entries = list(entries)[:limit]
    feed = atom.feed("feed/" + _SHAPE.link(path, _SHAPE.site), title, subtitle,
                     max((e.day for e in entries), default=None))
    for item in entries:
        paper = item.paper
        links = _paper_links(paper)
        page = atom.href(_SHAPE.page(item.day)) + f"#paper-{item.position}"
        entry = _add(feed, "entry")
        _add(entry, "id", _paper_entry_id(item.day, paper.paper_id))
        _add(entry, "title", paper.title_zh or paper.title)
        hf = dict(links).get("HuggingFace")
        _add(entry, "link", rel="alternate", type="text/html", href=hf or page)
        for label, href in links:
            if href != hf:
                _add(entry, "link", rel="related", type="text/html", title=label, href=href)
        if hf:
            _add(entry, "link", rel="related", type="text/html", title="本期页面", href=page)
        _add(entry, "published", _atom_time(item.day))
        _add(entry, "updated", _atom_time(item.day))
        for name in paper.authors[:AUTHORS_SHOWN]:
            if plain_text(name):
                _add(_add(entry, "author"), "name", name)
        if paper.abstract_zh:
            _add(entry, "summary", paper.abstract_zh, type="text")
        _add(entry, "content", _paper_html(item, links, page), type="html")
        for field in item.fields:
            _add(entry, "category", term=field)
    return atom.text(feed)
