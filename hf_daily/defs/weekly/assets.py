"""The weekly digest: assets on weekly partitions over the week's daily partitions, a check of the week's
paper set against the API's own ?week= answer, the job and its Monday schedule."""

import datetime as dt
import os

import dagster as dg

from hf_daily.channels import git_repo, weekly
from hf_daily.core.constants import FIRST_DAY, SETTLED_AFTER_DAYS
from hf_daily.core.weeks import monday_of, week_name
from hf_daily.defs.metadata import table_metadata
from hf_daily.defs.partitions import DUCKDB_POOL, partition_days
from hf_daily.defs.publish.assets import published
from hf_daily.defs.resources import DailyPapersResource, GitPublishResource, StorageResource
from hf_daily.sources.page import parse_page
from hf_daily.steps.weekly import week_paper_ids

GROUP = "weekly"
# Weeks run Monday to Sunday, named by their Monday; the first holds Daily Papers' first day.
weekly_partitions = dg.WeeklyPartitionsDefinition(start_date=monday_of(FIRST_DAY).isoformat(), day_offset=1,
                                                  timezone="UTC")
# A week depends on its seven daily partitions; the first week's days before FIRST_DAY do not exist.
_WEEK_OF_DAYS = dg.TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True)


def _days_of_week(*assets: str) -> list[dg.AssetDep]:
    return [dg.AssetDep(name, partition_mapping=_WEEK_OF_DAYS) for name in assets]


@dg.asset(
    partitions_def=weekly_partitions, backfill_policy=dg.BackfillPolicy.single_run(), pool=DUCKDB_POOL,
    group_name=GROUP, kinds={"markdown", "duckdb"}, metadata=table_metadata("weekly_digests"),
    deps=_days_of_week("newsletter_issue", "paper_translations", "hot_fields", "paper_keywords"),
    check_specs=[dg.AssetCheckSpec(
        "weekly_papers_match_api", asset="weekly_digest",
        description="The week's papers in the warehouse are the ones the Daily Papers API lists for ?week=YYYY-Www.")],
    description="The week's top papers by their latest upvotes, its hot fields and keywords: "
                "data/weekly/YYYY-Www.md and weekly_digests.",
)
def weekly_digest(context: dg.AssetExecutionContext, storage: StorageResource, daily_papers: DailyPapersResource):
    weeks = partition_days(context)  # each week by its Monday
    digests = weekly.weekly_digest_weeks(storage.warehouse(), weeks, storage.layout)
    path, markdown, digest = digests[weeks[-1]]
    yield dg.MaterializeResult(metadata={
        "weeks": ", ".join(d.name for _, _, d in digests.values()),
        "dagster/row_count": len(digests),
        "path": dg.MetadataValue.path(str(path)),
        "days": len(digest.days),
        "paper_count": digest.paper_count,
        "settled": digest.settled,
        "hot_fields": "、".join(name for name, _ in digest.hot_fields) or "none",
        "preview": dg.MetadataValue.md(markdown),
    })
    # One check result per run: a run of several weeks reports each week's differences.
    yield _check_against_api(storage, daily_papers, weeks)


def _check_against_api(storage: StorageResource, daily_papers: DailyPapersResource, weeks: list[dt.date]):
    """The warehouse's papers of each week against the API's ?week= answer (or an archive's saved week file)."""
    checked, unchecked, differences = [], [], {}
    for week in weeks:
        pages = daily_papers.fetch_week(week)
        if pages is None:
            unchecked.append(week_name(week))
            continue
        listed = {item["paper"]["id"] for page in pages for item in parse_page(page.body, day=week, url=page.url)}
        held = week_paper_ids(storage.warehouse(), week)
        checked.append(week_name(week))
        if listed != held:
            # Missing: a day not fetched since the paper came; not listed: a paper HF has since moved or hidden.
            differences[week_name(week)] = {"missing_from_warehouse": sorted(listed - held),
                                            "not_listed_by_api": sorted(held - listed)}
    metadata = {"source": daily_papers.describe(), "weeks_checked": checked,
                "differences": dg.MetadataValue.json(differences)}
    if unchecked:
        metadata["weeks_not_checked"] = unchecked
        metadata["why_not_checked"] = "the archive holds no YYYY-Www.json for them"
    return dg.AssetCheckResult(check_name="weekly_papers_match_api", asset_key="weekly_digest",
                               passed=not differences, severity=dg.AssetCheckSeverity.WARN, metadata=metadata)


@dg.asset(
    partitions_def=weekly_partitions, backfill_policy=dg.BackfillPolicy.single_run(), pool=DUCKDB_POOL,
    group_name=GROUP, kinds={"html"}, deps=[weekly_digest, *_days_of_week("html_issue")],
    description="The weekly digest as a page of the site, data/site/YYYY-Www.html, and the weekly Atom feed, "
                "data/site/weekly.xml.",
)
def weekly_page(context: dg.AssetExecutionContext, storage: StorageResource) -> dg.MaterializeResult:
    weeks = partition_days(context)  # each week by its Monday
    report = weekly.publish_weekly_pages(storage.warehouse(), weeks, storage.layout,
                                         site_url=os.environ.get("HF_DAILY_SITE_URL", ""))
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(report.pages[weeks[-1]])),
        "feed_path": dg.MetadataValue.path(str(report.feed)),
        "digests_in_feed": report.weeks,
    })


@dg.asset(
    partitions_def=weekly_partitions, backfill_policy=dg.BackfillPolicy.single_run(), pool=DUCKDB_POOL,
    group_name=GROUP, kinds={"git"}, deps=[weekly_page],
    description="The week's digest and page committed to the git channel's repository (one commit a week, "
                "'weekly 2025-W52: 64 papers') and pushed, when a remote is set.",
)
def weekly_git_publish(context: dg.AssetExecutionContext, storage: StorageResource,
                       publish: GitPublishResource) -> dg.MaterializeResult:
    weeks = partition_days(context)  # each week by its Monday
    return dg.MaterializeResult(metadata=published(
        publish, lambda target: git_repo.publish_weekly_digests(storage.warehouse(), weeks, storage.layout, target)))


weekly_digest_job = dg.define_asset_job(
    "weekly_digest_job", selection=dg.AssetSelection.groups(GROUP), partitions_def=weekly_partitions,
    description="Make a week's digest (Markdown, page, feed) from the days already in the warehouse.",
)

# A week is digested once its last day has been fetched again SETTLED_AFTER_DAYS later (the refresh schedule's
# day+7, at 22:00 UTC): on the Monday after that, the week that began 14 days before.
WEEKLY_CRON = "0 7 * * 1"
DIGEST_AFTER_DAYS = 7 + SETTLED_AFTER_DAYS


def weekly_request(today: dt.date) -> dg.RunRequest:
    week = monday_of(today) - dt.timedelta(days=DIGEST_AFTER_DAYS)
    return dg.RunRequest(run_key=f"weekly-{week.isoformat()}", partition_key=week.isoformat())


@dg.schedule(
    name="weekly_digest_schedule", cron_schedule=WEEKLY_CRON, execution_timezone="UTC", job=weekly_digest_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Each Monday, the digest of the week that ended 8 days before (its upvotes settled by the "
                "day+7 refresh).",
)
def weekly_digest_schedule(context: dg.ScheduleEvaluationContext):
    when = context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc)
    return weekly_request(when.astimezone(dt.timezone.utc).date())
