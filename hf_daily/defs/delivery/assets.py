import os

import dagster as dg
from pydantic import Field

from hf_daily.channels import feed, narration, site, speech, topic_feeds
from hf_daily.channels import poster as posters
from hf_daily.defs.metadata import days_label, inline_png
from hf_daily.defs.partitions import daily_asset, partition_days
from hf_daily.defs.resources import StorageResource


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


@daily_asset(
    group_name="delivery",
    deps=["newsletter_issue"], kinds={"text"},
    description="The spoken briefing's script in Chinese, numbers written as words: data/audio/YYYY-MM-DD.txt.",
)
def narration_script(context: dg.AssetExecutionContext, storage: StorageResource) -> dg.MaterializeResult:
    days = partition_days(context)
    scripts = narration.narration_days(storage.warehouse(), days, storage.layout)
    path, script = scripts[days[-1]]
    return dg.MaterializeResult(metadata={
        "days": days_label(days),
        "path": dg.MetadataValue.path(str(path)),
        "characters": len(script),
        "paragraphs": len(script.splitlines()),
        "script": dg.MetadataValue.md(script.replace("\n", "\n\n")),
    })


@daily_asset(
    warehouse=False, group_name="delivery",
    deps=[narration_script], kinds={"mp3"},
    description="The narration spoken in Mandarin by eSpeak NG, offline: data/audio/YYYY-MM-DD.mp3.",
)
def spoken_briefing(context: dg.AssetExecutionContext, storage: StorageResource) -> dg.MaterializeResult:
    days = partition_days(context)
    briefings = speech.speech_days(days, storage.layout)
    last = briefings[days[-1]]
    return dg.MaterializeResult(metadata={
        "days": days_label(days),
        "path": dg.MetadataValue.path(str(last.path)),
        "duration_s": dg.MetadataValue.float(last.seconds),
        "duration": _minutes(last.seconds),
        "total_duration_s": dg.MetadataValue.float(round(sum(b.seconds for b in briefings.values()), 2)),
        "bytes": last.bytes,
        "sample_rate": last.sample_rate,
        "engine": last.engine,
    })


@daily_asset(
    group_name="delivery",
    deps=["newsletter_issue"], kinds={"pillow"},
    description="A tall PNG for sharing: date, count and hot fields, a card per paper. data/posters/YYYY-MM-DD.png.",
)
def poster(context: dg.AssetExecutionContext, storage: StorageResource) -> dg.MaterializeResult:
    days = partition_days(context)
    paths = posters.poster_days(storage.warehouse(), days, storage.layout)
    last = paths[days[-1]]
    return dg.MaterializeResult(metadata={
        "days": days_label(days),
        "path": dg.MetadataValue.path(str(last)),
        "bytes": last.stat().st_size,
        "poster": inline_png(posters.thumbnail(last), last.name),
    })


class FeedFilterConfig(dg.Config):
    name: str = Field(description="The feed's name, data/site/feeds/NAME.xml: lower-case ASCII letters, digits and '-'.")
    include: list[str] = Field(default=[], description="Papers with any of these fields or keywords (agent* is a "
                                                       "prefix); none: every paper.")
    exclude: list[str] = Field(default=[], description="Never papers with any of these fields or keywords.")


class SiteConfig(dg.Config):
    site_url: str = Field(
        default="",
        description="Public address of data/site/ (e.g. https://example.org/hf-daily/site/), for absolute links in "
                    "feed.xml and the topic feeds. Empty: HF_DAILY_SITE_URL, else links relative to the feed.",
    )
    feed_filters: list[FeedFilterConfig] | None = Field(
        default=None,
        description="Keyword-filter feeds, data/site/feeds/NAME.xml, each linked from the index. Unset: "
                    "HF_DAILY_FEED_FILTERS (the same list as JSON); an empty list: none.",
    )


@daily_asset(
    group_name="delivery",
    # The page embeds the audio player and links the poster and transcript, so they are made first.
    deps=["newsletter_issue", narration_script, spoken_briefing, poster], kinds={"html"},
    description="The issue as a web page, data/site/YYYY-MM-DD.html, with the index of all issues, feed.xml and the "
                "topic feeds under data/site/feeds/ (one per field, one per keyword filter).",
)
def html_issue(context: dg.AssetExecutionContext, config: SiteConfig, storage: StorageResource) -> dg.MaterializeResult:
    days = partition_days(context)
    site_url = config.site_url or os.environ.get("HF_DAILY_SITE_URL", "")
    filters = topic_feeds.configured_filters(
        None if config.feed_filters is None else [f.model_dump() for f in config.feed_filters])
    report = site.publish_days(storage.warehouse(), days, storage.layout, site_url=site_url, filters=filters)
    feeds = report.topic_feeds
    if feeds.removed:
        context.log.info(f"removed the feeds of filters no longer configured: {', '.join(p.name for p in feeds.removed)}")
    return dg.MaterializeResult(metadata={
        "days": days_label(days),
        "path": dg.MetadataValue.path(str(report.pages[days[-1]])),
        "index_path": dg.MetadataValue.path(str(report.index)),
        "feed_path": dg.MetadataValue.path(str(report.feed)),
        "issues_on_index": report.issues,
        "feed_entries": min(report.issues, feed.FEED_ENTRIES),
        "topic_feeds": dg.MetadataValue.json({storage.layout.link(t.path, storage.layout.site): t.entries
                                              for t in feeds.feeds}),
        "topic_feeds_removed": len(feeds.removed),
    })
