"""The topic feeds: an Atom feed per research field and per keyword filter, listed on the index."""

import datetime as dt
import json
import os
import re
import stat
from html import unescape
from html.parser import HTMLParser

import feedparser
import pytest

from hf_daily.channels import site, topic_feeds
from hf_daily.channels.feed import PaperEntry, render_paper_feed
from hf_daily.core.layout import DataLayout
from hf_daily.steps.fields import FIELDS
from hf_daily_tests.factories import issue_paper, mail_warehouse

D1, D2 = dt.date(2025, 12, 22), dt.date(2025, 12, 23)
HOSTILE = 'Agents <script>alert(1)</script> & "friends"\u202e'
HOSTILE_ZH = '智能体 <b>粗体</b> & 引号"\x00'
# (paper, upvotes, title, title_zh, fields, en keywords, zh keywords), each day in the issue's order (by upvotes).
DAY1 = [
    ("2512.00012", 9, HOSTILE, HOSTILE_ZH, ["智能体"], ["LLM agents"], ["智能体"]),
    ("2512.00011", 5, "Reagents for chemistry", "化学试剂", ["数据与评测"], ["reagents"], ["试剂"]),
]
DAY2 = [
    ("2512.00021", 30, "Robot agents", "机器人智能体", ["智能体", "机器人"], ["robot manipulation", "agentic control"],
     ["机器人"]),
    ("2512.00022", 20, "Agentic search", "智能体搜索", ["大语言模型", "智能体"], ["agentic search"], ["搜索"]),
    ("2512.00012", 10, HOSTILE, HOSTILE_ZH, ["智能体"], ["LLM agents"], ["智能体"]),  # featured again
]
FILTERS = json.dumps([
    {"name": "agents-no-robots", "include": ["agent*", "智能体"], "exclude": ["robot*", "机器人"]},
    {"name": "agents", "include": ["agents"]},
    {"name": "no-reagents", "exclude": ["Reagents"]},
])


def feed_warehouse(data):
    """Two days of issues: the papers above, their fields and keywords, and newsletter_issues' rows."""
    for day, papers in ((D1, DAY1), (D2, DAY2)):
        warehouse = mail_warehouse(data, day, papers, hot=[("智能体", len(papers))])
        with warehouse.connect() as con:
            con.execute("INSERT INTO newsletter_issues VALUES (?, ?, ['智能体'], 'x.md', '# x')", [day, len(papers)])
    return warehouse


def parse(path):
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def ids(feed) -> list[str]:
    return [e.link.rsplit("/", 1)[-1] for e in feed.entries]


@pytest.fixture
def published(tmp_path):
    layout = DataLayout(tmp_path / "data")
    warehouse = feed_warehouse(layout.root)
    filters = topic_feeds.configured_filters(environ={"HF_DAILY_FEED_FILTERS": FILTERS})
    report = site.publish_days(warehouse, [D1, D2], layout, filters=filters)
    return layout, warehouse, filters, report


def test_a_feed_per_field_with_its_papers_newest_day_first(published):
    layout, *_ = published
    names = sorted(p.name for p in layout.site_feeds.iterdir())
    assert names == sorted([f"field-{f.slug}.xml" for f in FIELDS] + ["agents-no-robots.xml", "agents.xml",
                                                                      "no-reagents.xml"])
    agents = parse(layout.field_feed("agents"))
    # The day's order (by upvotes), newest day first; the paper featured twice comes once, on its latest day.
    assert ids(agents) == ["2512.00021", "2512.00022", "2512.00012"]
    assert [e.published for e in agents.entries] == ["2025-12-23T00:00:00Z"] * 3
    assert ids(parse(layout.field_feed("llm"))) == ["2512.00022"]
    assert ids(parse(layout.field_feed("data-eval"))) == ["2512.00011"]
    empty = parse(layout.field_feed("multimodal"))
    assert empty.entries == [] and empty.feed.title == "Hugging Face 每日论文速递 · 多模态"
    assert agents.feed.title == "Hugging Face 每日论文速递 · 智能体" and agents.feed.updated == "2025-12-23T00:00:00Z"


def test_an_entry_carries_the_paper_in_chinese_with_its_links(published):
    layout, *_ = published
    [entry] = [e for e in parse(layout.field_feed("llm")).entries]
    assert entry.title == "智能体搜索" and entry.summary == "智能体搜索的摘要。"
    assert entry.link == "https://huggingface.co/papers/2512.00022"
    related = {link.title: link.href for link in entry.links if link.rel == "related"}
    assert related == {"arXiv": "https://arxiv.org/abs/2512.00022", "本期页面": "../2025-12-23.html#paper-2"}
    assert (layout.site_feeds / related["本期页面"].split("#")[0]).resolve() == layout.page(D2).resolve()
    assert [t.term for t in entry.tags] == ["大语言模型", "智能体"]  # the taxonomy's order
    assert [a.name for a in entry.authors] == ["Ada <b>Lovelace</b>"]
    content = entry.content[0].value
    assert '<p lang="en">Agentic search</p>' in content and "2025 年 12 月 23 日 · 星期二 · 赞 20" in content
    assert entry.id.startswith("urn:uuid:")


def test_untrusted_text_comes_out_as_text(published):
    layout, *_ = published
    xml = layout.field_feed("agents").read_text()
    assert "<script>" not in xml and "<b>" not in xml and "\u202e" not in xml and "\x00" not in xml
    entry = parse(layout.field_feed("agents")).entries[2]
    assert entry.title == '智能体 <b>粗体</b> & 引号"'
    assert [a.name for a in entry.authors] == ["Ada <b>Lovelace</b>"]
    content = entry.content[0].value  # the HTML, as a reader shows it: the markup of the data escaped
    assert "Agents &lt;script&gt;alert(1)&lt;/script&gt; &amp; " in content and "<script" not in content


def test_filter_feeds_keep_any_include_and_no_exclude(published):
    layout, *_ = published
    # agent* and 智能体, but no robot* and no 机器人: the robot paper goes, and "reagents" never matched.
    assert ids(parse(layout.filter_feed("agents-no-robots"))) == ["2512.00022", "2512.00012"]
    assert ids(parse(layout.filter_feed("agents"))) == ["2512.00012"]  # a whole word: not agentic, not reagents
    assert ids(parse(layout.filter_feed("no-reagents"))) == ["2512.00021", "2512.00022", "2512.00012"]
    feed = parse(layout.filter_feed("agents-no-robots"))
    assert feed.feed.title == "Hugging Face 每日论文速递 · agents-no-robots"
    assert "包含：agent*、智能体；排除：robot*、机器人" in feed.feed.subtitle


def test_entry_ids_are_shared_and_stable_and_links_absolute_with_a_site_url(published, tmp_path):
    layout, warehouse, filters, report = published
    first = {e.id for e in parse(layout.field_feed("agents")).entries}
    assert {e.id for e in parse(layout.filter_feed("no-reagents")).entries} == first
    site.publish_days(warehouse, [D2], layout, site_url="https://example.org/hf/site", filters=filters)
    feed = parse(layout.field_feed("llm"))
    assert {e.id for e in parse(layout.field_feed("agents")).entries} == first
    assert feed.feed.id == "https://example.org/hf/site/feeds/field-llm.xml"
    assert [link.href for link in feed.feed.links] == ["https://example.org/hf/site/feeds/field-llm.xml",
                                                        "https://example.org/hf/site/index.html"]
    related = {link.title: link.href for link in feed.entries[0].links if link.rel == "related"}
    assert related["本期页面"] == "https://example.org/hf/site/2025-12-23.html#paper-2"


def test_a_rerun_writes_the_same_bytes(published):
    layout, warehouse, filters, report = published
    before = {p.name: p.read_bytes() for p in layout.site_feeds.iterdir()} | {"index": layout.index.read_bytes()}
    again = site.publish_days(warehouse, [D1], layout, filters=filters)
    after = {p.name: p.read_bytes() for p in layout.site_feeds.iterdir()} | {"index": layout.index.read_bytes()}
    assert after == before and again.topic_feeds.removed == []
    modes = {stat.filemode(os.stat(p).st_mode) for p in layout.site_feeds.iterdir()}
    assert modes == {stat.filemode(stat.S_IFREG | (0o644 & ~current_umask()))}
    assert {t.path.name: t.entries for t in report.topic_feeds.feeds if not t.is_field} == {
        "agents-no-robots.xml": 2, "agents.xml": 1, "no-reagents.xml": 3}


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_the_feed_of_a_filter_no_longer_configured_is_removed(published):
    layout, warehouse, filters, _ = published
    kept = [f for f in filters if f.name != "agents"]
    report = site.publish_days(warehouse, [D2], layout, filters=kept)
    assert report.topic_feeds.removed == [layout.filter_feed("agents")]
    assert not layout.filter_feed("agents").exists() and layout.filter_feed("no-reagents").exists()
    assert '"feeds/agents.xml"' not in layout.index.read_text()


class Links(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.links: list[dict] = []
        self.anchors: list[tuple[dict, str]] = []
        self._open: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "link":
            self.links.append(dict(attrs))
        elif tag == "a":
            self._open = dict(attrs)

    def handle_data(self, data):
        if self._open is not None:
            self.anchors.append((self._open, data))
            self._open = None


def test_the_index_lists_every_topic_feed_and_its_links_resolve(published):
    layout, *_ = published
    page = Links(layout.index.read_text())
    feeds = [(a["href"], text) for a, text in page.anchors if a.get("type") == "application/atom+xml"]
    assert feeds == [(f"feeds/field-{f.slug}.xml", f.name) for f in FIELDS] + [
        ("feeds/agents-no-robots.xml", "agents-no-robots"), ("feeds/agents.xml", "agents"),
        ("feeds/no-reagents.xml", "no-reagents")]
    heads = [link["href"] for link in page.links if link.get("rel") == "alternate"]
    assert heads == ["feed.xml"] + [href for href, _ in feeds]
    for href in heads:
        assert (layout.site / href).is_file(), href
    # The policy is the issue pages' own: nothing loosened for the new section.
    html = layout.index.read_text()
    assert unescape(html).count(site.CONTENT_SECURITY_POLICY) == 1 and "<script" not in html


def test_an_index_without_topic_feeds_has_no_such_section():
    html = site.render_index([])
    assert "主题订阅" not in html and 'type="application/atom+xml"' in html  # the main feed's link only
    assert html.count("application/atom+xml") == 1


def test_render_paper_feed_limits_and_keeps_only_http_links():
    evil = issue_paper(1, hf_url="javascript:alert(1)", arxiv_url="data:text/html,x", github_repo="https://g.example/r",
                       project_page='https://ok.example/p?a=1&b="><script>')
    entries = [PaperEntry(D2, evil, 1, ("智能体",))] + [PaperEntry(D1, issue_paper(n), n) for n in range(2, 80)]
    xml = render_paper_feed(entries, path=DataLayout().filter_feed("x"), title="t", subtitle="s", limit=10)
    feed = feedparser.parse(xml)
    assert not feed.bozo and len(feed.entries) == 10
    first = feed.entries[0]
    assert first.link == "../2025-12-23.html#paper-1"  # no safe Hugging Face link: the issue's page instead
    assert [(l.title, l.href) for l in first.links if l.rel == "related"] == [
        ("代码", "https://g.example/r"), ("项目主页", "https://ok.example/p?a=1&b=%22%3E%3Cscript%3E")]
    assert "javascript" not in xml.lower() and "data:text" not in xml


@pytest.mark.parametrize("value, wrong", [
    ("[{", "is not valid JSON"),
    ('{"name": "x", "include": ["a"]}', "expected a JSON list of filters, got dict"),
    ('["agents"]', "filter 1 is str, not an object"),
    ('[{"include": ["agent*"]}]', "filter 1 has no name"),
    ('[{"name": "Agents!", "include": ["a"]}]', "filter 1's name 'Agents!' cannot name a file"),
    ('[{"name": "../x", "include": ["a"]}]', "cannot name a file"),
    ('[{"name": "field-llm", "include": ["a"]}]', "belong to the field feeds"),
    ('[{"name": "a", "include": ["x"]}, {"name": "a", "include": ["y"]}]', "two filters are named 'a'"),
    ('[{"name": "a", "include": ["x"], "exlude": ["y"]}]', "unknown keys 'exlude'"),
    ('[{"name": "a"}]', "filter 'a' is empty"),
    ('[{"name": "a", "include": [], "exclude": []}]', "filter 'a' is empty"),
    ('[{"name": "a", "include": "agents"}]', "'include' must be a list of words"),
    ('[{"name": "a", "include": ["*"]}]', "matches everything"),
    ('[{"name": "a", "exclude": ["ro*bot"]}]', "may only end a word"),
    ('[{"name": "a", "include": [" "]}]', "an empty word"),
])
def test_bad_filter_settings_are_named_with_the_fix(value, wrong):
    with pytest.raises(topic_feeds.FeedFilterError) as error:
        topic_feeds.configured_filters(environ={"HF_DAILY_FEED_FILTERS": value})
    message = str(error.value)
    assert message.startswith("HF_DAILY_FEED_FILTERS") and wrong in message
    assert '"name": "agents-no-robots"' in message  # an example of the right shape


def test_the_config_wins_over_the_environment():
    environ = {"HF_DAILY_FEED_FILTERS": FILTERS}
    assert [f.name for f in topic_feeds.configured_filters(environ=environ)] == [
        "agents-no-robots", "agents", "no-reagents"]
    assert topic_feeds.configured_filters([{"name": "x", "include": ["a"], "exclude": []}], environ) == (
        topic_feeds.FeedFilter("x", ("a",)),)
    assert topic_feeds.configured_filters([], environ) == ()
    assert topic_feeds.configured_filters(environ={}) == () == topic_feeds.configured_filters(
        environ={"HF_DAILY_FEED_FILTERS": "  "})
    with pytest.raises(topic_feeds.FeedFilterError, match=r"^the html_issue config's feed_filters: filter 'x' is empty"):
        topic_feeds.configured_filters([{"name": "x", "include": [], "exclude": []}], environ)


def test_field_slugs_are_unique_ascii_file_names():
    slugs = [f.slug for f in FIELDS]
    assert len(set(slugs)) == len(slugs) and all(re.fullmatch(r"[a-z0-9-]+", s) for s in slugs)
    assert DataLayout("d").field_feed("llm").as_posix() == "d/site/feeds/field-llm.xml"
    with pytest.raises(ValueError):
        DataLayout("d").filter_feed("../index")
