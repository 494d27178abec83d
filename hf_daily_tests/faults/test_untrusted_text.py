"""Untrusted text: every title, abstract, name and URL comes from the public.

Normalization must take anything the API could send without crashing (or refuse it with a clear
DailyPapersError), keep the text exactly (modulo whitespace unwrapping) and store it; rendering must
show it as written and never turn it into live markup: no tag, attribute, link or image of the data's
own survives into the Markdown issue (rendered to HTML by CommonMark, raw HTML allowed) or the site.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from hf_daily import warehouse as wh
from hf_daily.sources.page import DailyPapersError, RawPage
from hf_daily.steps.normalize import arxiv_url, hf_url, http_url, normalize_day
from hf_daily.channels import site
from hf_daily.channels.markdown import render_issue
from hf_daily.core.display import _INVISIBLE, safe_url
from hf_daily.steps.issue import Issue, IssuePaper

DAY = dt.date(2025, 12, 26)
FETCHED = dt.datetime(2025, 12, 27, 8, 0, tzinfo=dt.timezone.utc)

NASTY = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<a href='javascript:alert(1)'>x</a>",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "[x](javascript:alert(1))", "![i](https://evil.example/x.png)",
    "[ref]: javascript:alert(1)", "<https://evil.example>", "<javascript:alert(1)>", "<!-- x -->", "<![CDATA[x]]>",
    "&lt;script&gt;", "&#60;script&#62;", "&#x6A;avascript:", "&amp;", "**bold**", "__u__", "*e*", "`code`",
    "```", "~~~", "~~s~~", "# h", "\n# h\n", "\n\n", "\n---\n", "\n===\n", "| a | b |", "> q", "\n1. x", "\n- x",
    "\n    indented", "\\", "\\\n", "  \n", "\t", "\r\n", "\u2028", "\u2029", "\x85", "\x00", "\x1b[31m", "\x7f",
    "\u202e", "\u202d", "\u200f", "\u200e", "\u061c", "\u2066", "\u2069", "\ufeff", "\u200b", "\ud800", "\udfff",
    "'\"", "=", "onload=", " onerror=\"x\"", "$$x$$", "^", "{}", "%", "%3Cscript%3E", "http://a.example/(x)",
    "https://a.example/?q=<b>", "data:text/html,<script>", "vbscript:x", "💥", "中文标题", "مرحبا", "\u0301",
]
fragment = st.one_of(st.sampled_from(NASTY), st.text(max_size=12))
text = st.lists(fragment, max_size=8).map("".join)
# Mostly short strings, sometimes a few thousand characters (test_a_very_long_title goes further).
untrusted = st.one_of(text, text, st.text(max_size=40), st.builds(lambda s, n: s * n, text, st.integers(20, 100)))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), untrusted)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=5)
urls = st.one_of(untrusted, st.builds(lambda scheme, rest: scheme + rest,
                                      st.sampled_from(["http://", "https://", "HTTPS://", "javascript:", "//"]),
                                      untrusted))
zones = st.builds(dt.timezone, st.timedeltas(min_value=-dt.timedelta(hours=23, minutes=59),
                                             max_value=dt.timedelta(hours=23, minutes=59)))
timestamps = st.one_of(untrusted, st.datetimes(timezones=zones).map(dt.datetime.isoformat))
paper_ids = st.one_of(untrusted, st.from_regex(r"\A\d{4}\.\d{5}\Z"))
authors = st.lists(st.fixed_dictionaries(
    {"name": untrusted}, optional={"user": st.one_of(json_values, st.fixed_dictionaries({"user": untrusted}))}),
    max_size=4)
organizations = st.one_of(json_values, st.fixed_dictionaries(
    {"_id": untrusted}, optional={"name": untrusted, "fullname": untrusted, "avatar": urls}))
papers = st.fixed_dictionaries(
    {"id": st.one_of(paper_ids, paper_ids, json_values), "title": st.one_of(untrusted, untrusted, json_values)},
    optional={"summary": st.one_of(untrusted, json_values), "authors": st.one_of(authors, json_values),
              "upvotes": st.one_of(st.integers(), json_values), "githubRepo": urls, "projectPage": urls,
              "githubStars": st.one_of(st.integers(), json_values), "ai_summary": st.one_of(untrusted, json_values),
              "ai_keywords": st.one_of(st.lists(untrusted, max_size=4), json_values), "organization": organizations,
              "publishedAt": timestamps, "submittedOnDailyAt": timestamps, "brandNewField": json_values},
)
items = st.lists(st.fixed_dictionaries(
    {"paper": papers},
    optional={"numComments": st.one_of(st.integers(), json_values), "summary": untrusted,
              "organization": organizations, "thumbnail": urls, "brandNewField": json_values},
), max_size=4)

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def stored(text: str) -> str:
    # Lone surrogates (from JSON escapes such as "\ud800") cannot be stored as UTF-8: they become U+FFFD.
    return re.sub("[\ud800-\udfff]", "\ufffd", text)


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect(":memory:")
    wh.ensure_schema(connection)
    yield connection
    connection.close()


@FUZZ
@given(items=items)
def test_normalization_keeps_any_text_and_stores_it(items, con):
    body = json.dumps(items)  # ensure_ascii: surrogates travel as \ud800 escapes, as a server may send them
    try:
        day = normalize_day(DAY, [[RawPage(DAY, 0, "https://hf.example/api", FETCHED, 200, body)]])
    except DailyPapersError as exc:
        # Only a paper without a usable id or title is refused, and the message says which.
        assert re.match(rf"{DAY}: item \d+ from https://hf.example/api has no paper '(id|title)'", str(exc))
        assert any(not isinstance(i["paper"][f], str) or not i["paper"][f].strip()
                   for i in items for f in ("id", "title"))
        return

    first = {}
    for item in items:
        first.setdefault(stored(item["paper"]["id"]).strip(), item)
    assert list(day.papers.paper_id) == list(first)
    for row in day.papers.itertuples():
        paper = first[row.paper_id]["paper"]
        # Exactly the text sent, with only whitespace (hard wraps) changed.
        assert row.title.split() == stored(paper["title"]).split()
        summary = paper.get("summary") or first[row.paper_id].get("summary")
        assert row.abstract.split() == (stored(summary).split() if isinstance(summary, str) else [])
        assert row.hf_url.startswith("https://huggingface.co/papers/") and row.hf_url == hf_url(row.paper_id)
        assert pd.isna(row.arxiv_url) or row.arxiv_url == arxiv_url(row.paper_id)
        for url in (row.github_repo, row.project_page):
            assert pd.isna(url) or (url == http_url(url) and re.match(r"(?i)https?://", url))

    # And all of it goes into the warehouse and comes back unchanged.
    wh.replace_days(con, [DAY], {"papers": day.papers, "authors": day.authors,
                                 "upvote_snapshots": day.upvote_snapshots},
                    upserts={"organizations": day.organizations})
    back = con.execute("SELECT paper_id, title, abstract FROM papers WHERE day = ? ORDER BY rank", [DAY]).fetchall()
    assert back == list(day.papers[["paper_id", "title", "abstract"]].itertuples(index=False, name=None))
    names = con.execute("SELECT name FROM authors WHERE day = ? ORDER BY paper_id, position", [DAY]).fetchall()
    assert sorted(n for (n,) in names) == sorted(day.authors.name)


def test_a_very_long_title_goes_through_whole():
    title = ("<script>alert(1)</script> [x](javascript:alert(1)) \u202e**" * 2000).strip()  # ~110 000 characters
    item = {"paper": {"id": "2512.00001", "title": title, "summary": title}}
    day = normalize_day(DAY, [[RawPage(DAY, 0, "https://hf.example/api", FETCHED, 200, json.dumps([item]))]])
    [row] = day.papers.itertuples()
    assert row.title == " ".join(title.split())
    paper = IssuePaper(paper_id=row.paper_id, title=row.title, title_zh=row.title, abstract_zh=row.abstract,
                       hf_url=row.hf_url)
    html = COMMONMARK.render(render_issue(Issue(day=DAY, papers=[paper], hot_fields=[])))
    page = Blocks(html)
    assert "<script" not in html and {tag for tag, _ in page.tags} <= {"h1", "h2", "p", "strong", "hr", "a"}
    assert all(a["href"].startswith("https://") for t, a in page.tags if t == "a")
    assert ["p", f"原标题：{shown(title)}"] in page.blocks


# --- rendering --------------------------------------------------------------------------------------

class Blocks(HTMLParser):
    """The HTML as top-level blocks (tag, text), plus every tag with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[list] = []
        self.tags: list[tuple[str, dict]] = []
        self._depth = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("img", "hr", "br"):
            if self._depth == 0:
                self.blocks.append([tag, ""])
            return
        if self._depth == 0:
            self.blocks.append([tag, ""])
        self._depth += 1

    def handle_endtag(self, tag):
        if tag not in ("img", "hr", "br"):
            self._depth -= 1

    def handle_data(self, data):
        if self._depth and self.blocks:
            self.blocks[-1][1] += data


def shown(text: str | None) -> str:
    """What a reader should see of ``text``: itself on one line, without invisible or control characters."""
    return " ".join(_INVISIBLE.sub("", text or "").split())


issue_papers = st.builds(
    lambda pid, title, title_zh, abstract_zh, repo, page, upvotes, organization, names: IssuePaper(
        paper_id=pid, title=title, title_zh=title_zh, abstract_zh=abstract_zh, hf_url=hf_url(pid),
        arxiv_url=arxiv_url(pid), github_repo=http_url(repo), project_page=http_url(page), upvotes=upvotes,
        organization=organization, authors=names),
    paper_ids.map(str.strip).filter(bool), untrusted, untrusted, untrusted, urls, urls,
    st.integers(0, 10**6), st.one_of(st.none(), untrusted), st.lists(untrusted, max_size=7),
)
issues = st.builds(
    lambda papers, fields, charts: Issue(day=DAY, papers=papers, hot_fields=fields,
                                         word_cloud="../charts/2025-12-26/wordcloud.png" if charts else None,
                                         trend_chart="../charts/2025-12-26/trend.png" if charts else None),
    st.lists(issue_papers, max_size=3), st.lists(st.tuples(untrusted, st.integers(0, 50)), max_size=3),
    st.booleans(),
)
COMMONMARK = MarkdownIt("commonmark")  # raw HTML allowed: escaping alone must keep the data inert


@FUZZ
@given(issue=issues)
def test_the_markdown_issue_never_carries_live_markup_from_the_data(issue):
    html = COMMONMARK.render(render_issue(issue))
    page = Blocks(html)

    assert {tag for tag, _ in page.tags} <= {"h1", "h2", "p", "strong", "hr", "a", "img"}, html
    for tag, attrs in page.tags:
        assert set(attrs) <= {"a": {"href"}, "img": {"src", "alt"}}.get(tag, set()), (tag, attrs)
    hrefs = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    expected = [safe_url(u) for p in issue.papers for u in (p.hf_url, p.arxiv_url, p.github_repo, p.project_page)]
    assert len(hrefs) == len([u for u in expected if u])
    assert all(re.match(r"(?i)https?://[^\s/]", href) for href in hrefs), hrefs
    assert [a["src"] for t, a in page.tags if t == "img"] == [p for p in (issue.word_cloud, issue.trend_chart) if p]
    assert sum(tag == "strong" for tag, _ in page.tags) == 1 + 2 * len(issue.papers)
    assert not re.search(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]", html)

    # The reader sees each text exactly as written, in the block it belongs to.
    blocks = page.blocks
    assert blocks[0] == ["h1", f"Hugging Face 每日论文速递 · {DAY}"]
    if issue.hot_fields:
        assert blocks[1][1].endswith("热门领域：" + "、".join(f"{shown(n)}（{c}）" for n, c in issue.hot_fields))
    position = next(i for i, block in enumerate(blocks) if block[0] == "hr")
    for number, paper in enumerate(issue.papers, start=1):
        hr, heading, original, meta, abstract, links = blocks[position:position + 6]
        assert hr[0] == "hr"
        assert heading == ["h2", f"{number}. {shown(paper.title_zh) or shown(paper.title)}".strip()]
        assert original == ["p", f"原标题：{shown(paper.title)}"]
        assert meta[0] == "p" and meta[1].startswith(f"👍 {paper.upvotes}")
        if paper.organization and shown(paper.organization):
            assert f"机构：{shown(paper.organization)}" in meta[1]
        assert abstract == ["p", f"摘要：{shown(paper.abstract_zh)}"]
        assert links[0] == "p" and links[1].startswith("HuggingFace")
        position += 6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(issue=issues)
def test_the_site_page_never_carries_live_markup_from_the_data(issue):
    html = site.render_issue_page(issue)
    page = Blocks(html)
    benign = Blocks(site.render_issue_page(Issue(day=DAY, papers=[], hot_fields=[])))
    assert [a for t, a in page.tags if t == "script"] == [a for t, a in benign.tags if t == "script"]
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("href", "src", "action", "formaction", "srcset", "poster"):
            value = attrs.get(name)
            if value is not None:
                assert not re.match(r"(?i)\s*(javascript|data|vbscript):", value), (tag, attrs)
                assert re.match(r"(?i)https?://", value) or not re.match(r"[a-z][a-z0-9+.-]*:|//", value, re.I), value
    external = {a["href"] for t, a in page.tags if t == "a" and re.match(r"(?i)https?://", a.get("href", ""))}
    allowed = {site.http_href(u) for p in issue.papers for u in (p.hf_url, p.arxiv_url, p.github_repo, p.project_page)}
    assert external <= allowed | {a["href"] for t, a in benign.tags if t == "a"}
    text = "".join(block[1] for block in page.blocks)
    for paper in issue.papers:
        assert site.plain_text(paper.title) in text
    assert not re.search(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f]", html)


def test_the_site_drops_every_bidirectional_control():
    paper = IssuePaper(paper_id="2512.00001", title="abc\u061cdef", title_zh="标题\u061c", abstract_zh="",
                       hf_url=hf_url("2512.00001"))
    assert "\u061c" not in site.render_issue_page(Issue(day=DAY, papers=[paper], hot_fields=[]))
