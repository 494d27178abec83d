"""The newsletter as a static site: one HTML page per issue, an index of all issues, the Atom feed, and
the topic feeds (hf_daily.channels.topic_feeds), which the index lists.

Everything that comes from the data (titles, abstracts, names, URLs) is untrusted. Jinja2 escapes
every value, links are kept only when they are http(s), and each page carries a Content-Security-Policy
that forbids all scripts, so even a mistake in escaping could not run one.

Pages live in data/site/ and reach the charts, audio and posters through relative links
(../charts/..., ../audio/..., ../posters/...): publish data/ without warehouse.duckdb and models/,
or open the pages from disk.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from hf_daily.channels.feed import render_feed
from hf_daily.channels.topic_feeds import FeedFilter, TopicFeedsReport, publish_topic_feeds
from hf_daily.core.display import (
    MACHINE_TRANSLATED,
    NO_PAPERS,
    SITE_TITLE,
    TREND_ALT,
    TREND_HEADING,
    NO_PAPERS_THIS_WEEK,
    WEEKLY_TITLE,
    featured_days,
    http_href,
    long_date,
    plain_text,
    short_date,
    week_span,
)
from hf_daily.core.files import write_atomically
from hf_daily.core.layout import FIELD_FEED_PREFIX, DataLayout
from hf_daily.steps.fields import FIELDS
from hf_daily.steps.issue import Issue, IssueSummary, build_issues, read_issue_summaries
from hf_daily.steps.weekly import WeeklyDigest, WeeklySummary, read_weekly_summaries


CSS = """
:root{color-scheme:light dark;--bg:#f5f6fa;--card:#fff;--text:#1c202a;--muted:#6e7687;--accent:#1f3a93;--edge:#e0e5f0}
@media (prefers-color-scheme:dark){:root{--bg:#12141a;--card:#1c1f27;--text:#e6e8ee;--muted:#9aa3b5;--accent:#8fa8ff;--edge:#2a2f3a}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);line-height:1.7;font-size:17px;
font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Noto Sans SC","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;
overflow-wrap:anywhere}
a{color:var(--accent)}
.wrap{max-width:46rem;margin:0 auto;padding:0 1rem}
header.masthead{background:#1f3a93;color:#fff;padding:1.25rem 0 1rem;border-bottom:6px solid #ff9900}
header.masthead a{color:#dfe6ff}
header.masthead h1{font-size:1.6rem;line-height:1.3;margin:.4rem 0}
header.masthead p{margin:.2rem 0}
nav{font-size:.9rem}
.fields{list-style:none;padding:0;margin:.6rem 0 0;display:flex;flex-wrap:wrap;gap:.4rem}
.fields li{background:#3e5cbe;border-radius:999px;padding:.1rem .8rem;font-size:.9rem}
main.wrap{padding:1rem 1rem 2rem}
section,.paper,.issue{background:var(--card);border:1px solid var(--edge);border-radius:14px;padding:1rem 1.1rem;margin:0 0 1rem}
h2{font-size:1.2rem;line-height:1.45;margin:0 0 .4rem}
ol.papers,ol.issues{list-style:none;padding:0;margin:0}
.rank{display:inline-block;min-width:1.8rem;height:1.8rem;line-height:1.8rem;text-align:center;border-radius:50%;background:#1f3a93;color:#fff;font-size:.95rem;margin-right:.4rem}
.original,.meta,.issue .count{color:var(--muted);font-size:.9rem;margin:.2rem 0}
.abstract{margin:.5rem 0}
.links a{margin-right:.8rem;white-space:nowrap}
audio{width:100%;margin:.4rem 0}
img{max-width:100%;height:auto;display:block;margin:.5rem auto;border-radius:8px}
.month{font-size:1.05rem;color:var(--muted);margin:1.2rem 0 .5rem}
.issue ul{margin:.3rem 0 0;padding-left:1.2rem}
footer{color:var(--muted);font-size:.85rem;text-align:center;padding:0 0 2rem}
""".strip()

_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self'; media-src 'self'; "
    f"style-src 'sha256-{_CSS_HASH}'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
)

_LAYOUT = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{% block title %}{% endblock %}</title>
<link rel="alternate" type="application/atom+xml" title="{{ site_title }}" href="{{ feed_href }}">
{% block feeds %}{% endblock %}
<style>{{ css }}</style>
</head>
<body>
<header class="masthead"><div class="wrap">
<nav><a href="{{ index_href }}">全部期数</a> · <a href="{{ feed_href }}">Atom 订阅</a></nav>
{% block header %}{% endblock %}
</div></header>
<main class="wrap">
{% block main %}{% endblock %}
</main>
<footer class="wrap">{{ machine_translated }}，以原文为准</footer>
</body>
</html>
"""

# One paper's card, on the issue's page and the weekly digest's; ``featured`` replaces "曾于 … 上榜".
_PAPER_CARD = """{% macro paper_card(paper, number, featured="") %}
<li class="paper" id="paper-{{ number }}">
<h2><span class="rank">{{ number }}</span>{{ (paper.title_zh or paper.title)|clean }}</h2>
{% if paper.title_zh %}<p class="original" lang="en">{{ paper.title|clean }}</p>{% endif %}
<p class="meta">赞 {{ paper.upvotes|int }}
{%- if paper.organization %} · 机构：{{ paper.organization|clean }}{% endif %}
{%- if paper.authors %} · 作者：{{ paper.authors[:6]|map("clean")|join(", ") }}{% if paper.authors|length > 6 %} 等 {{ paper.authors|length }} 人{% endif %}{% endif %}
{%- if featured %} · {{ featured }}{% elif paper.previously_featured %} · 曾于 {{ paper.previously_featured|map("iso")|join("、") }} 上榜{% endif %}</p>
{% if paper.abstract_zh %}<p class="abstract">{{ paper.abstract_zh|clean }}</p>{% endif %}
<p class="links">
{%- for label, url in [("HuggingFace", paper.hf_url), ("arXiv", paper.arxiv_url), ("代码", paper.github_repo), ("项目主页", paper.project_page)] %}
{%- set href = url|http_href %}{% if href %}<a href="{{ href }}" rel="noopener noreferrer nofollow ugc">{{ label }}</a> {% endif %}
{%- endfor %}</p>
</li>
{% endmacro %}"""

_ISSUE_PAGE = """{% extends "layout.html" %}
{% from "paper.html" import paper_card %}
{% block title %}{{ site_title }} · {{ issue.day.isoformat() }}{% endblock %}
{% block header %}
<h1>{{ site_title }}</h1>
<p><time datetime="{{ issue.day.isoformat() }}">{{ issue.day|long_date }}</time></p>
<p>今日共 <strong>{{ issue.papers|length }}</strong> 篇论文</p>
{% if issue.hot_fields %}
<ul class="fields" aria-label="热门领域">
{% for name, n in issue.hot_fields %}<li>{{ name|clean }} {{ n }}</li>{% endfor %}
</ul>
{% endif %}
{% endblock %}
{% block main %}
{% if audio or poster or transcript or markdown %}
<section class="briefing">
<h2>语音播报</h2>
{% if audio %}<audio controls preload="metadata" src="{{ audio }}">你的浏览器无法播放音频，请<a href="{{ audio }}">下载 MP3</a>。</audio>{% endif %}
<p class="links">
{% if audio %}<a href="{{ audio }}">下载 MP3</a>{% endif %}
{% if transcript %}<a href="{{ transcript }}">文字稿</a>{% endif %}
{% if poster %}<a href="{{ poster }}">分享海报</a>{% endif %}
{% if markdown %}<a href="{{ markdown }}">Markdown 版</a>{% endif %}
</p>
</section>
{% endif %}
{% if not issue.papers %}
<section><p>{{ no_papers }}</p></section>
{% endif %}
<ol class="papers">
{% for paper in issue.papers %}
{{ paper_card(paper, loop.index) }}
{% endfor %}
</ol>
{% if issue.word_cloud %}
<section><h2>关键词词云</h2><img src="{{ issue.word_cloud|local_href }}" alt="{{ issue.day.isoformat() }} 关键词词云"></section>
{% endif %}
{% if issue.trend_chart %}
<section><h2>{{ trend_heading }}</h2><img src="{{ issue.trend_chart|local_href }}" alt="{{ issue.day.isoformat() }} {{ trend_alt }}"></section>
{% endif %}
{% endblock %}
"""

_INDEX_PAGE = """{% extends "layout.html" %}
{% block title %}{{ site_title }} · 全部期数{% endblock %}
{% block feeds %}
{% if weeks %}<link rel="alternate" type="application/atom+xml" title="{{ weekly_title }}" href="{{ weekly_feed_href }}">
{% endif %}
{% for label, href in field_feeds + filter_feeds %}
<link rel="alternate" type="application/atom+xml" title="{{ site_title }} · {{ label|clean }}" href="{{ href|local_href }}">
{% endfor %}
{% endblock %}
{% block header %}
<h1>{{ site_title }}</h1>
<p>共 {{ issues|length }} 期 · 每天一期，最新的在最前</p>
{% endblock %}
{% block main %}
{% if weeks %}
<section class="weeks">
<h2>每周精选</h2>
<p class="links">{% for week in weeks[:8] %}<a href="{{ week.week|weekly_page_name }}">{{ week.name }}（{{ week.paper_count }} 篇）</a> {% endfor %}</p>
<p class="links"><a href="{{ weekly_feed_href }}" type="application/atom+xml">每周精选 Atom 订阅</a></p>
</section>
{% endif %}
{% if field_feeds or filter_feeds %}
<section class="feeds">
<h2>主题订阅（Atom）</h2>
{% if field_feeds %}
<p class="links">按领域：{% for label, href in field_feeds %}<a href="{{ href|local_href }}" type="application/atom+xml">{{ label|clean }}</a> {% endfor %}</p>
{% endif %}
{% if filter_feeds %}
<p class="links">按关键词：{% for label, href in filter_feeds %}<a href="{{ href|local_href }}" type="application/atom+xml">{{ label|clean }}</a> {% endfor %}</p>
{% endif %}
</section>
{% endif %}
{% if not issues %}<section><p>还没有任何一期。</p></section>{% endif %}
{% for month, items in issues|groupby_month %}
<h2 class="month">{{ month }}</h2>
<ol class="issues">
{% for item in items %}
<li class="issue">
<h2><a href="{{ item.day|page_name }}">{{ item.day|long_date }}</a></h2>
<p class="count">{{ item.paper_count }} 篇论文{% if item.hot_fields %} · 热门：{{ item.hot_fields|map("clean")|join("、") }}{% endif %}</p>
{% if item.titles %}<ul>{% for title in item.titles[:3] %}<li>{{ title|clean }}</li>{% endfor %}</ul>{% endif %}
</li>
{% endfor %}
</ol>
{% endfor %}
{% endblock %}
"""


_WEEKLY_PAGE = """{% extends "layout.html" %}
{% from "paper.html" import paper_card %}
{% block title %}{{ weekly_title }} · {{ digest.name }}{% endblock %}
{% block header %}
<h1>{{ weekly_title }} · {{ digest.name }}</h1>
<p>{{ digest.week|week_span }}</p>
<p>本周 {{ digest.days|length }} 天共 <strong>{{ digest.paper_count }}</strong> 篇论文</p>
{% if digest.hot_fields %}
<ul class="fields" aria-label="热门领域">
{% for name, n in digest.hot_fields %}<li>{{ name|clean }} {{ n }}</li>{% endfor %}
</ul>
{% endif %}
{% endblock %}
{% block main %}
<section>
{% if digest.keywords_zh %}<p>热门关键词：{% for word, n in digest.keywords_zh %}{{ word|clean }}（{{ n }}）{% if not loop.last %}、{% endif %}{% endfor %}</p>{% endif %}
{% if digest.keywords_en %}<p lang="en">英文关键词：{% for word, n in digest.keywords_en %}{{ word|clean }} ({{ n }}){% if not loop.last %}, {% endif %}{% endfor %}</p>{% endif %}
<p class="links">每日一期：{% for day, n in digest.days %}{% if day in pages %}<a href="{{ pages[day] }}">{{ day|short_date }}（{{ n }} 篇）</a>{% else %}{{ day|short_date }}（{{ n }} 篇）{% endif %} {% endfor %}</p>
<p class="meta">{{ upvotes_note }}</p>
</section>
{% if not digest.papers %}<section><p>{{ no_papers_this_week }}</p></section>{% endif %}
<ol class="papers">
{% for paper in digest.papers %}
{{ paper_card(paper, loop.index, featured[paper.paper_id]) }}
{% endfor %}
</ol>
{% endblock %}
"""


def local_href(path: str) -> str:
    """A relative link we built ourselves, percent-encoded so no character of it can break out."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", path, re.IGNORECASE) or path.startswith("//"):
        raise ValueError(f"not a relative path: {path!r}")
    return quote(path, safe="/._-~")


def page_name(day: dt.date) -> str:
    """A page's link from the index: pages lie side by side in the site folder."""
    return DataLayout().page(day).name


def _groupby_month(issues: Sequence[IssueSummary]):
    groups: list[tuple[str, list[IssueSummary]]] = []
    for item in issues:
        label = f"{item.day.year} 年 {item.day.month} 月"
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(item)
    return groups


_ENV = jinja2.Environment(
    loader=jinja2.DictLoader({"layout.html": _LAYOUT, "paper.html": _PAPER_CARD, "issue.html": _ISSUE_PAGE,
                              "index.html": _INDEX_PAGE, "weekly.html": _WEEKLY_PAGE}),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)
_ENV.filters.update(clean=plain_text, http_href=http_href, local_href=local_href, long_date=long_date,
                    page_name=page_name, weekly_page_name=lambda week: DataLayout().weekly_page(week).name,
                    groupby_month=_groupby_month, iso=lambda day: day.isoformat(),
                    short_date=short_date, week_span=week_span)
# The style element must match the policy's hash byte for byte: it goes in as it is.
_ENV.globals.update(site_title=SITE_TITLE, weekly_title=WEEKLY_TITLE, no_papers=NO_PAPERS,
                    no_papers_this_week=NO_PAPERS_THIS_WEEK, machine_translated=MACHINE_TRANSLATED,
                    trend_heading=TREND_HEADING, trend_alt=TREND_ALT, csp=CONTENT_SECURITY_POLICY, css=Markup(CSS),
                    # The index and the feed lie beside the pages (DataLayout.site).
                    index_href=DataLayout().index.name, feed_href=DataLayout().feed.name,
                    weekly_feed_href=DataLayout().weekly_feed.name)


def render_issue_page(issue: Issue, *, audio: str | None = None, transcript: str | None = None,
                      poster: str | None = None, markdown: str | None = None) -> str:
    """An issue's page. The chart paths in `issue` and the other paths are relative to the page."""
    links = {name: local_href(p) if p else None
             for name, p in (("audio", audio), ("transcript", transcript), ("poster", poster), ("markdown", markdown))}
    return _ENV.get_template("issue.html").render(issue=issue, **links)


def render_weekly_page(digest: WeeklyDigest, pages: dict[dt.date, str], upvotes_note: str) -> str:
    """A weekly digest's page; ``pages``: the week's daily pages that exist, relative to this one."""
    featured = {pid: featured_days(days) for pid, days in digest.featured_on.items()}
    return _ENV.get_template("weekly.html").render(
        digest=digest, pages={day: local_href(href) for day, href in pages.items()}, featured=featured,
        upvotes_note=upvotes_note)


def render_index(issues: Sequence[IssueSummary], field_feeds: Sequence[tuple[str, str]] = (),
                 filter_feeds: Sequence[tuple[str, str]] = (), weeks: Sequence[WeeklySummary] = ()) -> str:
    """The list of all issues, newest first, after the newest weekly digests and the topic feeds: (label,
    path relative to the index)."""
    return _ENV.get_template("index.html").render(issues=sorted(issues, key=lambda i: i.day, reverse=True),
                                                  field_feeds=list(field_feeds), filter_feeds=list(filter_feeds),
                                                  weeks=sorted(weeks, key=lambda w: w.week, reverse=True))


def write_index(warehouse, layout: DataLayout, summaries: Sequence[IssueSummary] | None = None) -> Path:
    """The index from the warehouse's issues and digests and the topic feeds on disk: the daily step and the
    weekly one both write it, so it lists what either made last."""
    feeds = sorted(layout.site_feeds.glob("*.xml")) if layout.site_feeds.is_dir() else []
    fields = [(f.name, layout.link(layout.field_feed(f.slug), layout.site)) for f in FIELDS
              if layout.field_feed(f.slug) in feeds]
    filters = [(p.stem, layout.link(p, layout.site)) for p in feeds if not p.name.startswith(FIELD_FEED_PREFIX)]
    if summaries is None:
        summaries = read_issue_summaries(warehouse, layout)
    return write_atomically(layout.index, render_index(summaries, fields, filters, read_weekly_summaries(warehouse)))


# --- the daily step ------------------------------------------------------------------------------

@dataclass
class SiteReport:
    pages: dict[dt.date, Path]
    index: Path
    feed: Path
    issues: int
    topic_feeds: TopicFeedsReport


def publish_days(warehouse, days: Sequence[dt.date], layout: DataLayout, site_url: str = "",
                 filters: Sequence[FeedFilter] = ()) -> SiteReport:
    """Write the days' pages, then from every issue in the warehouse the feed, the topic feeds (for each
    field and each of ``filters``) and the index that lists them."""
    def from_page(path: Path) -> str:
        return layout.link(path, layout.site)

    def existing(path: Path) -> str | None:
        return from_page(path) if path.is_file() else None

    pages = {}
    for day, issue in build_issues(warehouse, days, layout).items():
        # The issue's chart paths are relative to the Markdown file: make them relative to the page.
        issues = layout.issues
        issue = dataclasses.replace(
            issue,
            word_cloud=from_page(issues / issue.word_cloud) if issue.word_cloud else None,
            trend_chart=from_page(issues / issue.trend_chart) if issue.trend_chart else None,
        )
        html = render_issue_page(
            issue,
            audio=existing(layout.audio(day)),
            transcript=existing(layout.transcript(day)),
            poster=existing(layout.poster(day)),
            markdown=existing(layout.issue(day)),
        )
        pages[day] = write_atomically(layout.page(day), html)
    summaries = read_issue_summaries(warehouse, layout)
    feed = write_atomically(layout.feed, render_feed(summaries, site_url))
    topics = publish_topic_feeds(warehouse, [s.day for s in summaries], layout, filters, site_url)
    index = write_index(warehouse, layout, summaries)
    return SiteReport(pages, index, feed, len(summaries), topics)
