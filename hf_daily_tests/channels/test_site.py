import base64
import datetime as dt
import hashlib
import re
from html.parser import HTMLParser

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_daily.channels import site
from hf_daily_tests.factories import issue_paper, make_issue

DAY = dt.date(2025, 12, 26)
EVIL_TITLE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


class Page(HTMLParser):
    """Every tag with its attributes, the text, and the contents of <style>."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)

    def all(self, tag):
        return [attrs for t, attrs in self.tags if t == tag]

    @property
    def body_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def evil_paper():
    return issue_paper(9, title=EVIL_TITLE, title_zh='<b>粗体</b>"引号"\u202e反转\x00',
                 abstract_zh="摘要 <iframe src=https://evil.example></iframe> &amp; <a href=javascript:alert(1)>x</a>",
                 hf_url="javascript:alert(1)", arxiv_url="data:text/html,<script>alert(1)</script>",
                 github_repo=" JavaScript:alert(2)", project_page='https://ok.example/p?a=1&b="><script>',
                 organization='Evil "Org" <x>', authors=["<i>Mallory</i>", "Bob\u200b"],
                 previously_featured=[dt.date(2025, 12, 1)])


def render(issue=None, **links):
    links = {"audio": "../audio/2025-12-26.mp3", "transcript": "../audio/2025-12-26.txt",
             "poster": "../posters/2025-12-26.png", "markdown": "../issues/2025-12-26.md"} | links
    return site.render_issue_page(issue or make_issue(), **links)


def test_the_page_has_the_papers_charts_and_audio_player():
    page = Page(render())
    text = page.body_text
    assert "第1篇论文的中文标题" in text and "Paper number 2" in text and "这是第2篇论文的摘要。" in text
    assert "今日共 2 篇论文" in text and "多模态 2" in text and "2025 年 12 月 26 日 · 星期五" in text
    assert [a["src"] for a in page.all("img")] == [
        "../charts/2025-12-26/wordcloud.png", "../charts/2025-12-26/trend.png"]
    assert all(a.get("alt") for a in page.all("img"))
    [audio] = page.all("audio")
    assert audio["src"] == "../audio/2025-12-26.mp3" and "controls" in audio
    hrefs = [a["href"] for a in page.all("a")]
    for target in ("index.html", "feed.xml", "../audio/2025-12-26.txt", "../posters/2025-12-26.png",
                   "../issues/2025-12-26.md", "https://arxiv.org/abs/2512.00001"):
        assert target in hrefs
    assert len(page.all("li")) >= 2 and [t for t, a in page.tags if a.get("class") == "paper"] == ["li", "li"]


def test_the_page_is_readable_on_a_phone_in_chinese():
    html = render()
    page = Page(html)
    assert html.startswith("<!doctype html>") and '<html lang="zh-CN">' in html
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.all("meta")
    assert {"charset": "utf-8"} == page.all("meta")[0]
    style = "".join(page.styles)
    assert '"PingFang SC"' in style and '"Noto Sans SC"' in style and '"Microsoft YaHei"' in style
    assert "max-width:100%" in style  # images shrink to the screen


def test_the_csp_forbids_scripts_and_matches_the_style():
    page = Page(render())
    [csp] = [m["content"] for m in page.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert "script-src 'none'" in csp and "default-src 'none'" in csp and "object-src 'none'" in csp
    [style] = page.styles
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    # The policy comes before anything that loads.
    assert [t for t, _ in page.tags].index("meta") < [t for t, _ in page.tags].index("style")


def test_untrusted_text_is_escaped_and_only_http_links_survive():
    html = render(make_issue(issue_paper(1), evil_paper()))
    page = Page(html)
    assert not page.all("script") and not page.all("iframe") and not page.all("b") and not page.all("i")
    assert all(not k.startswith("on") for _, attrs in page.tags for k in attrs)
    assert EVIL_TITLE in page.body_text  # shown as written
    assert '<b>粗体</b>"引号"反转' in page.body_text  # bidi override and NUL dropped
    assert "Evil \"Org\" <x>" in page.body_text and "<i>Mallory</i>, Bob" in page.body_text
    assert "曾于 2025-12-01 上榜" in page.body_text
    for attrs in page.all("a") + page.all("img") + page.all("audio"):
        target = attrs.get("href") or attrs.get("src")
        assert re.match(r"^(https?://|\.\./|[\w.-]+\.(html|xml)$)", target), target
        assert "javascript" not in target.lower() and "data:" not in target
    [project] = [a["href"] for a in page.all("a") if "ok.example" in a["href"]]
    assert project == "https://ok.example/p?a=1&b=%22%3E%3Cscript%3E"
    # The evil paper keeps only its (escaped) project page: its javascript:/data: links are gone.
    assert html.count("rel=\"noopener noreferrer nofollow ugc\"") == 2 + 1


@given(st.text(max_size=40))
@settings(max_examples=60, deadline=None)
def test_no_title_changes_the_page_structure(title):
    base = [t for t, _ in Page(render(make_issue(issue_paper(1, title_zh="x", title="y")))).tags]
    page = Page(render(make_issue(issue_paper(1, title_zh="x" + title, title="y" + title))))
    assert [t for t, _ in page.tags] == base
    assert site.plain_text("x" + title) in page.body_text


def test_relative_paths_are_percent_encoded():
    assert site.local_href("../audio/2025-12-26.mp3") == "../audio/2025-12-26.mp3"
    assert site.local_href('a b"<.png') == "a%20b%22%3C.png"
    with pytest.raises(ValueError):
        site.local_href("javascript:alert(1)")
    with pytest.raises(ValueError):
        site.local_href("//evil.example/x.png")


def test_a_page_without_media_and_papers():
    page = Page(site.render_issue_page(make_issue(issue_paper(1), papers=[], word_cloud=None, trend_chart=None)))
    assert not page.all("audio") and not page.all("img")
    assert "今天没有新论文" in page.body_text


SUMMARIES = [
    site.IssueSummary(dt.date(2025, 12, 24), 3, ["多模态"], ["旧的一期"], None),
    site.IssueSummary(dt.date(2025, 12, 26), 2, ["智能体", "<b>x</b>"], [EVIL_TITLE, "第二篇\x01"], 12345),
    site.IssueSummary(dt.date(2026, 1, 2), 0, [], [], None),
]


def test_the_index_lists_issues_newest_first_by_month():
    page = Page(site.render_index(SUMMARIES))
    assert [a["href"] for a in page.all("a") if a["href"].endswith(".html") and a["href"] != "index.html"] == [
        "2026-01-02.html", "2025-12-26.html", "2025-12-24.html"]
    text = page.body_text
    assert text.index("2026 年 1 月") < text.index("2025 年 12 月")
    assert "共 3 期" in text and "热门：智能体、<b>x</b>" in text and EVIL_TITLE in text
    assert not page.all("script") and not page.all("img") and not page.all("b")


def test_the_feed_is_valid_atom_with_an_entry_per_issue():
    xml = site.render_feed(SUMMARIES)
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == site.SITE_TITLE and feed.feed.updated == "2026-01-02T00:00:00Z"
    assert [e.link for e in feed.entries] == ["2026-01-02.html", "2025-12-26.html", "2025-12-24.html"]
    assert len({e.id for e in feed.entries}) == 3 and all(e.id.startswith("urn:uuid:") for e in feed.entries)
    entry = feed.entries[1]
    assert "2 篇论文" in entry.title and entry.summary == "今日共 2 篇论文 · 热门领域：智能体、<b>x</b>"
    [enclosure] = entry.enclosures
    assert (enclosure.href, enclosure.type, enclosure.length) == ("../audio/2025-12-26.mp3", "audio/mpeg", "12345")
    # The HTML content shows the hostile title as text: feedparser's sanitizer has nothing left to strip.
    content = entry.content[0].value
    assert "&lt;img src=x onerror=" in content and "<script" not in content and "\x01" not in xml
    assert [t.term for t in entry.tags] == ["智能体", "<b>x</b>"]


def test_feed_ids_are_stable_and_links_absolute_with_a_site_url():
    first = feedparser.parse(site.render_feed(SUMMARIES, site_url="https://example.org/hf/site"))
    again = feedparser.parse(site.render_feed(list(reversed(SUMMARIES)), site_url="https://example.org/hf/site/"))
    assert [e.id for e in first.entries] == [e.id for e in again.entries]
    assert first.entries[0].link == "https://example.org/hf/site/2026-01-02.html"
    assert first.entries[1].enclosures[0].href == "https://example.org/hf/audio/2025-12-26.mp3"
    assert first.feed.id == "https://example.org/hf/site/feed.xml"
    assert any(link.rel == "self" for link in first.feed.links)


def test_the_feed_keeps_the_newest_issues():
    many = [site.IssueSummary(dt.date(2025, 1, 1) + dt.timedelta(days=i), 1) for i in range(100)]
    feed = feedparser.parse(site.render_feed(many, limit=10))
    assert len(feed.entries) == 10 and feed.entries[0].link == "2025-04-10.html"


def test_an_empty_feed_is_still_valid():
    feed = feedparser.parse(site.render_feed([]))
    assert not feed.bozo and feed.entries == []
