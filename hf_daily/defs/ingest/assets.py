import dagster as dg

from hf_daily.core.constants import PAGE_SIZE

from hf_daily.steps import ingest, normalize
from hf_daily.defs.metadata import days_label, table_metadata, table_spec
from hf_daily.defs.partitions import daily_asset, daily_multi_asset, partition_days
from hf_daily.defs.resources import DailyPapersResource, StorageResource


class FetchConfig(dg.Config):
    refresh: bool = False
    """Fetch again even when the day is stored; the new fetch is kept beside the old ones."""


@daily_asset(
    group_name="ingest",
    kinds={"duckdb"}, metadata=table_metadata("raw_responses"),
    description="Daily Papers API responses for the day, stored verbatim so that nothing downstream fetches again.",
)
def raw_responses(
    context: dg.AssetExecutionContext, config: FetchConfig, storage: StorageResource, daily_papers: DailyPapersResource
) -> dg.MaterializeResult:
    days = partition_days(context)
    report = ingest.fetch_days(
        storage.warehouse(), daily_papers.fetch_day, days, refresh=config.refresh, progress=context.log.info,
    )
    if report.possibly_truncated:
        context.log.warning(
            f"{len(report.possibly_truncated)} day(s) hold exactly {PAGE_SIZE} papers in their archive file, one full API "
            f"page, and may be missing the rest: {', '.join(map(str, report.possibly_truncated))}. "
            "Fetch them again from the API with refresh: true (hf-daily materialize DAY --refresh) to be sure."
        )
    return dg.MaterializeResult(metadata={
        "days": days_label(days),
        "source": daily_papers.describe(),
        "fetched_days": len(report.fetched),
        "unchanged_days": len(report.unchanged),
        "already_stored_days": len(report.skipped),
        "pages": report.pages,
        "papers_fetched": report.papers,
        "possibly_truncated_days": [str(d) for d in report.possibly_truncated],
    })


NORMALIZED = ["papers", "authors", "organizations", "upvote_snapshots"]


@daily_multi_asset(
    specs=[table_spec(name, "ingest", [raw_responses]) for name in NORMALIZED],
    check_specs=[
        dg.AssetCheckSpec("unique_paper_ids", asset="papers",
                          description="The API listed no paper twice on one day."),
        dg.AssetCheckSpec("counts_match_raw_responses", asset="papers",
                          description="Each day has one row per distinct paper in its latest raw response."),
    ],
)
def normalized_papers(context: dg.AssetExecutionContext, storage: StorageResource):
    """Papers, authors, organizations and upvote snapshots, typed, from the stored raw responses."""
    days = partition_days(context)
    report = normalize.normalize_days(storage.warehouse(), days)
    for name in NORMALIZED:
        yield dg.MaterializeResult(asset_key=name, metadata={"days": days_label(days), "dagster/row_count": report.rows[name]})
    yield dg.AssetCheckResult(
        check_name="unique_paper_ids", asset_key="papers", passed=not report.duplicate_ids,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"duplicates_dropped": {str(d): ids for d, ids in report.duplicate_ids.items()}},
    )
    mismatched = {str(d): [n, report.raw_papers_per_day[d]] for d, n in report.papers_per_day.items()
                  if n != report.raw_papers_per_day[d]}
    yield dg.AssetCheckResult(
        check_name="counts_match_raw_responses", asset_key="papers", passed=not mismatched,
        metadata={"mismatched_days (rows, raw)": mismatched},
    )
