import os

import dagster as dg
from pydantic import Field

from hf_daily.channels import feed, narration, site, speech
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


class SiteConfig(dg.Config):
    site_url: str = Field(
        default="",
        description="Public address of data/site/ (e.g. https://example.org/hf-daily/site/), for absolute links in "
                    "feed.xml. Empty: HF_DAILY_SITE_URL, else links relative to the feed.",
    )


@daily_asset(
    group_name="delivery",
    # The page embeds the audio player and links the poster and transcript, so they are made first.
    deps=["newsletter_issue", narration_script, spoken_briefing, poster], kinds={"html"},
    description="The issue as a web page, data/site/YYYY-MM-DD.html, with the index of all issues and feed.xml.",
)
def html_issue(context: dg.AssetExecutionContext, config: SiteConfig, storage: StorageResource) -> dg.MaterializeResult:
    days = partition_days(context)
    site_url = config.site_url or os.environ.get("HF_DAILY_SITE_URL", "")
    report = site.publish_days(storage.warehouse(), days, storage.layout, site_url=site_url)
    return dg.MaterializeResult(metadata={
        "days": days_label(days),
        "path": dg.MetadataValue.path(str(report.pages[days[-1]])),
        "index_path": dg.MetadataValue.path(str(report.index)),
        "feed_path": dg.MetadataValue.path(str(report.feed)),
        "issues_on_index": report.issues,
        "feed_entries": min(report.issues, feed.FEED_ENTRIES),
    })
