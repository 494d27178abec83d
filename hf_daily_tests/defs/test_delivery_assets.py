"""The delivery assets materialized with the rest of the graph, for two days in one run, and their real outputs."""

import datetime as dt
import os
import re
import stat

import dagster as dg
import feedparser
import miniaudio
import pytest
from PIL import Image

from hf_daily.defs.delivery import assets as delivery
from hf_daily.defs.ingest import assets as ingest
from hf_daily.defs.newsletter import assets as newsletter
from hf_daily.defs.resources import DailyPapersResource, StorageResource, TranslatorResource
from hf_daily.defs.topics import assets as topics
from hf_daily.defs.translation import assets as translation
from hf_daily_tests.factories import api_item, metadata, write_archive

DAYS = [dt.date(2025, 12, 22), dt.date(2025, 12, 23)]
EVIL = '<img src=x onerror="window.__pwned=1">'
# A keyword-filter feed set in the asset's config, as the UI's launchpad would.
FEED_FILTERS = [{"name": "agents", "include": ["agent*", "智能体"], "exclude": ["speech"]}]


@pytest.fixture(scope="module")
def materialized(tmp_path_factory, tiny_causal_lm):
    root = tmp_path_factory.mktemp("delivery")
    archive = root / "archive"
    write_archive(archive, DAYS[0], [api_item("2512.00001", "Agents that plan", 3), api_item("2512.00002", EVIL, 5)])
    write_archive(archive, DAYS[1], [api_item("2512.00003", "Speech models at scale", 2)])
    data = root / "data"
    # The usual umask, whatever the test runner's: published files must come out rw-r--r--.
    umask = os.umask(0o022)
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            dg.load_assets_from_modules([ingest, translation, topics, newsletter, delivery]),
            instance=instance,
            resources={
                "storage": StorageResource(data_dir=str(data)),
                "daily_papers": DailyPapersResource(archive_dir=str(archive)),
                "translator": TranslatorResource(backend="causal", model=str(tiny_causal_lm), max_new_tokens=8),
            },
            run_config={"ops": {"html_issue": {"config": {"feed_filters": FEED_FILTERS}}}},
            tags={"dagster/asset_partition_range_start": DAYS[0].isoformat(),
                  "dagster/asset_partition_range_end": DAYS[1].isoformat()},
        )
    os.umask(umask)
    assert result.success
    return data, result


def test_published_files_can_be_read_by_a_web_server_and_other_users(materialized):
    data, _ = materialized
    published = [f"issues/{DAYS[0]}.md", f"site/{DAYS[0]}.html", "site/index.html", "site/feed.xml",
                 "site/feeds/field-agents.xml", "site/feeds/agents.xml",
                 f"audio/{DAYS[0]}.mp3", f"audio/{DAYS[0]}.txt", f"posters/{DAYS[0]}.png",
                 f"charts/{DAYS[0]}/trend.png", f"charts/{DAYS[0]}/wordcloud.png"]
    modes = {name: stat.filemode(os.stat(data / name).st_mode) for name in published}
    assert modes == {name: "-rw-r--r--" for name in published}


def test_every_day_has_its_page_audio_script_and_poster(materialized):
    data, _ = materialized
    for day in DAYS:
        html = (data / "site" / f"{day}.html").read_text()
        assert f'src="../audio/{day}.mp3"' in html and f'href="../posters/{day}.png"' in html
        assert f'src="../charts/{day}/wordcloud.png"' in html
        script = (data / "audio" / f"{day}.txt").read_text()
        assert script.splitlines()[0].startswith("大家好") and not re.search(r"\d", script)
        with Image.open(data / "posters" / f"{day}.png") as poster:
            assert poster.width == 1080 and poster.height > 600
        for image in re.findall(r'src="(\.\./[^"]+)"', html):
            assert (data / "site" / image).resolve().is_file(), image
    first = (data / "site" / f"{DAYS[0]}.html").read_text()
    assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in first and EVIL not in first


def test_the_briefing_decodes_and_lasts_as_reported(materialized):
    data, result = materialized
    meta = metadata(result, "spoken_briefing", DAYS)
    decoded = miniaudio.decode((data / "audio" / f"{DAYS[-1]}.mp3").read_bytes(), nchannels=1)
    seconds = decoded.num_frames / decoded.sample_rate
    assert seconds == pytest.approx(meta["duration_s"], abs=0.2)
    script = (data / "audio" / f"{DAYS[-1]}.txt").read_text()
    assert 0.12 < meta["duration_s"] / len(re.findall(r"[\u4e00-\u9fff]", script)) < 0.5
    assert meta["total_duration_s"] > meta["duration_s"]  # both days were spoken
    assert meta["engine"].startswith("eSpeak NG")


def test_the_index_and_feed_cover_every_issue(materialized):
    data, result = materialized
    index = (data / "site" / "index.html").read_text()
    assert index.index(f'href="{DAYS[1]}.html"') < index.index(f'href="{DAYS[0]}.html"')
    feed = feedparser.parse((data / "site" / "feed.xml").read_text())
    assert not feed.bozo and [e.link for e in feed.entries] == [f"{d}.html" for d in reversed(DAYS)]
    for entry, day in zip(feed.entries, reversed(DAYS), strict=True):
        [enclosure] = entry.enclosures
        assert int(enclosure.length) == (data / "audio" / f"{day}.mp3").stat().st_size
    # Each entry lists its issue's titles: two papers on the first day, one on the second.
    assert [e.content[0].value.count("<li>") for e in feed.entries] == [1, 2]
    meta = metadata(result, "html_issue", DAYS)
    assert meta["path"] == str(data / "site" / f"{DAYS[-1]}.html") and meta["issues_on_index"] == 2


def test_the_topic_feeds_hold_each_fields_papers_and_the_configured_filters(materialized):
    data, result = materialized
    feeds = {path.name: feedparser.parse(path.read_bytes()) for path in (data / "site" / "feeds").glob("*.xml")}
    assert all(not feed.bozo for feed in feeds.values())
    papers = {name: [e.link.rsplit("/", 1)[-1] for e in feed.entries] for name, feed in feeds.items()}
    assert papers["field-agents.xml"] == papers["agents.xml"] == ["2512.00001"]
    assert papers["field-speech.xml"] == ["2512.00003"]
    index = (data / "site" / "index.html").read_text()
    for name in feeds:
        assert f'href="feeds/{name}"' in index
    meta = metadata(result, "html_issue", DAYS)
    assert meta["topic_feeds"] == {f"feeds/{name}": len(entries) for name, entries in papers.items()}
    assert meta["topic_feeds_removed"] == 0


def test_the_poster_shows_in_the_metadata(materialized):
    _, result = materialized
    meta = metadata(result, "poster", DAYS)
    assert meta["poster"].startswith("![2025-12-23.png](data:image/png;base64,")
    assert len(meta["poster"]) < 400_000


def test_the_markdown_issue_links_every_output(materialized):
    data, _ = materialized
    for day in DAYS:
        issue = (data / "issues" / f"{day}.md").read_text()
        targets = set(re.findall(r"\]\((\.\./[^)]+)\)", issue))
        for wanted in (f"../site/{day}.html", f"../audio/{day}.mp3", f"../posters/{day}.png", "../site/feed.xml"):
            assert wanted in targets, f"the issue does not link {wanted}"
        for target in targets:
            assert (data / "issues" / target).resolve().is_file(), target
