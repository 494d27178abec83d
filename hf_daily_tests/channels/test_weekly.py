"""The weekly digest's Markdown, page and feed, from the handwritten analytics warehouse."""

import datetime as dt
import os
import stat

import feedparser
import pytest
from markdown_it import MarkdownIt

from hf_daily import warehouse as wh
from hf_daily.channels import site
from hf_daily.channels.weekly import publish_weekly_pages, render_weekly, weekly_digest_weeks
from hf_daily.core.layout import DataLayout
from hf_daily.steps.weekly import build_digests, read_weekly_summaries
from hf_daily_tests.factories import HOSTILE_TITLE, HOSTILE_TITLE_ZH, W48, W52, analytics_warehouse, table_snapshot

EVIL_NAME = "Mallory <img src=x onerror=alert(1)>"


@pytest.fixture
def layout(tmp_path):
    layout = DataLayout(tmp_path / "data")
    warehouse = analytics_warehouse(layout.warehouse)
    with warehouse.connect() as con:
        # F, the week's top paper, has a hostile title, a hostile translation and a hostile author.
        con.execute("UPDATE papers SET title = ? WHERE paper_id = 'F'", [HOSTILE_TITLE])
        con.execute("INSERT INTO paper_translations VALUES (DATE '2025-12-22', 'F', ?, '摘要 **粗体** [链接](javascript:x)', 'm')",
                    [HOSTILE_TITLE_ZH])
        con.execute("INSERT INTO paper_translations VALUES (DATE '2025-12-23', 'G', '规划智能体', 'G 的摘要。', 'm')")
        con.execute("INSERT INTO authors VALUES (DATE '2025-12-22', 'F', 1, ?, NULL)", [EVIL_NAME])
    return layout


def _warehouse(layout):
    return wh.Warehouse(layout.warehouse)


def test_the_markdown_digest_shows_the_week_and_escapes_untrusted_text(layout):
    digest = build_digests(_warehouse(layout), [W52])[W52]
    text = render_weekly(digest, {dt.date(2025, 12, 22): "../issues/2025-12-22.md"})
    lines = text.splitlines()
    assert lines[0] == "# Hugging Face 每周论文精选 · 2025-W52"
    assert lines[2] == "2025 年 12 月 22 日至 28 日 · 本周 3 天共 **3** 篇论文"
    assert "热门领域：多模态（2）、智能体（2）" in lines
    assert "英文关键词：agents（3）、diffusion（1）、robots（1）" in lines
    assert ("每日一期：[12 月 22 日 · 星期一（2 篇）](../issues/2025-12-22.md) · 12 月 23 日 · 星期二（2 篇） · "
            "12 月 27 日 · 星期六（0 篇）") in lines
    assert "赞数截至 2025-12-23 08:00 UTC（部分论文上榜未满 7 天，赞数和排名仍会变化）" in lines
    assert "## 本周赞数最高的 3 篇" in lines
    assert [line for line in lines if line.startswith("## ")][1:] == [
        "## 1. 恶意\\<script\\>alert\\(1\\)\\</script\\>标题 \\& 换行 Bcc: victim@example.org",
        "## 2. 规划智能体",
        "## 3. Paper E",
    ]
    # Rendered as CommonMark: no HTML, no link but ours, the hostile text shown as written.
    html = MarkdownIt("commonmark").render(text)
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "Mallory &lt;img src=x onerror=alert(1)&gt;" in html
    assert "**粗体** [链接](javascript:x)" in html  # the translation's Markdown, shown as text
    assert "上榜：12 月 22 日、12 月 23 日" in text  # E, featured twice


def test_the_page_escapes_untrusted_text_and_links_the_days(layout):
    digest = build_digests(_warehouse(layout), [W52])[W52]
    html = site.render_weekly_page(digest, {dt.date(2025, 12, 23): "2025-12-23.html"}, "赞数截至某时")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "恶意&lt;script&gt;alert(1)&lt;/script&gt;标题 &amp; 换行 Bcc: victim@example.org" in html
    assert "Mallory &lt;img src=x onerror=alert(1)&gt;" in html
    assert '<a href="2025-12-23.html">12 月 23 日（2 篇）</a>' in html
    assert "12 月 22 日（2 篇）" in html and '<a href="2025-12-22.html">' not in html
    assert html.index("恶意") < html.index("规划智能体") < html.index("Paper E")
    assert f"Content-Security-Policy\" content=\"{site.CONTENT_SECURITY_POLICY}\"".replace("'", "&#39;") in html


def test_the_step_writes_files_and_rows_and_a_rerun_changes_nothing(layout):
    warehouse = _warehouse(layout)
    (layout.issues).mkdir(parents=True)
    layout.issue(dt.date(2025, 12, 22)).write_text("# issue\n")
    umask = os.umask(0o022)
    try:
        out = weekly_digest_weeks(warehouse, [W48, W52], layout)
        report = publish_weekly_pages(warehouse, [W48, W52], layout)
    finally:
        os.umask(umask)
    path, markdown, _ = out[W52]
    assert path == layout.root / "weekly" / "2025-W52.md" and path.read_text() == markdown
    assert "[12 月 22 日 · 星期一（2 篇）](../issues/2025-12-22.md)" in markdown
    assert report.pages[W52] == layout.root / "site" / "2025-W52.html"
    for published in (path, report.pages[W52], report.feed):
        assert stat.filemode(published.stat().st_mode) == "-rw-r--r--"
    with warehouse.connect() as con:
        rows = con.execute("SELECT week, iso_week, days, paper_count, top_papers, hot_fields, keywords, settled "
                           "FROM weekly_digests ORDER BY week").fetchall()
    assert rows == [(W48, "2025-W48", 1, 1, ["A"], ["多模态"], [], False),
                    (W52, "2025-W52", 3, 3, ["F", "G", "E"], ["多模态", "智能体"], ["智能体"], False)]
    before = table_snapshot(layout.warehouse), {p: p.read_bytes() for p in layout.root.rglob("*") if p.is_file()
                                                 and p.suffix != ".duckdb" and not p.name.endswith(".wal")}
    weekly_digest_weeks(warehouse, [W52], layout)
    publish_weekly_pages(warehouse, [W52], layout)
    after = table_snapshot(layout.warehouse), {p: p.read_bytes() for p in layout.root.rglob("*") if p.is_file()
                                                and p.suffix != ".duckdb" and not p.name.endswith(".wal")}
    assert after == before


def test_the_weekly_feed_has_an_entry_per_digest_newest_first(layout):
    warehouse = _warehouse(layout)
    weekly_digest_weeks(warehouse, [W48, W52], layout)
    report = publish_weekly_pages(warehouse, [W52], layout, site_url="https://example.org/news/site")
    parsed = feedparser.parse(report.feed.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Hugging Face 每周论文精选"
    assert [e.title for e in parsed.entries] == ["Hugging Face 每周论文精选 · 2025-W52 · 3 篇论文",
                                                 "Hugging Face 每周论文精选 · 2025-W48 · 1 篇论文"]
    newest = parsed.entries[0]
    assert newest.link == "https://example.org/news/site/2025-W52.html"
    assert newest.updated == "2025-12-28T00:00:00Z"
    assert [t.term for t in newest.tags] == ["多模态", "智能体"]
    assert newest.summary == "2025 年 12 月 22 日至 28 日 · 本周共 3 篇论文 · 热门领域：多模态、智能体"
    # The content is HTML whose titles were escaped: the hostile title is text, in the digest's order.
    content = newest.content[0].value
    assert "<script>" not in content
    assert content.index("恶意&lt;script&gt;") < content.index("规划智能体") < content.index("Paper E")
    assert [s.week for s in read_weekly_summaries(warehouse)] == [W52, W48]
    # Ids stay the same wherever the site moves.
    relative = feedparser.parse(publish_weekly_pages(warehouse, [W52], layout).feed.read_bytes())
    assert [e.id for e in relative.entries] == [e.id for e in parsed.entries]
    assert relative.entries[0].link == "2025-W52.html"


def test_the_index_lists_the_newest_digests_and_the_weekly_feed(layout):
    warehouse = _warehouse(layout)
    weekly_digest_weeks(warehouse, [W48, W52], layout)
    publish_weekly_pages(warehouse, [W52], layout)
    index = layout.index.read_text()
    section = index[index.index('<section class="weeks">'):index.index("</section>", index.index('class="weeks"'))]
    assert section.index('<a href="2025-W52.html">2025-W52（3 篇）</a>') < section.index(
        '<a href="2025-W48.html">2025-W48（1 篇）</a>')
    assert '<a href="weekly.xml" type="application/atom+xml">每周精选 Atom 订阅</a>' in section
    assert '<link rel="alternate" type="application/atom+xml" title="Hugging Face 每周论文精选" href="weekly.xml">' in index
