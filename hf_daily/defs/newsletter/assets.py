import dagster as dg

from hf_daily.channels import charts as chart_channel
from hf_daily.channels import markdown as markdown_channel
from hf_daily.defs.metadata import days_label, inline_png, table_metadata
from hf_daily.defs.partitions import daily_asset, partition_days
from hf_daily.defs.resources import StorageResource


@daily_asset(
    group_name="newsletter",
    deps=["papers", "daily_keyword_counts"], kinds={"matplotlib"},
    description="The day's charts, kept per day: papers over the trailing 30 days, and a Chinese keyword word cloud.",
)
def charts(context: dg.AssetExecutionContext, storage: StorageResource) -> dg.MaterializeResult:
    days = partition_days(context)
    paths = chart_channel.chart_days(storage.warehouse(), days, storage.layout)
    last = paths[days[-1]]
    return dg.MaterializeResult(metadata={
        "days": days_label(days),
        "trend_chart_path": dg.MetadataValue.path(str(last["trend_chart"])),
        "word_cloud_path": dg.MetadataValue.path(str(last["word_cloud"])),
        "trend_chart": inline_png(last["trend_chart"].read_bytes(), last["trend_chart"].name),
        "word_cloud": inline_png(last["word_cloud"].read_bytes(), last["word_cloud"].name),
    })


@daily_asset(
    group_name="newsletter",
    deps=["paper_translations", "hot_fields", "authors", "organizations", charts], kinds={"markdown", "duckdb"},
    metadata=table_metadata("newsletter_issues"),
    description="The day's Chinese newsletter issue, written to data/issues/YYYY-MM-DD.md.",
)
def newsletter_issue(context: dg.AssetExecutionContext, storage: StorageResource) -> dg.MaterializeResult:
    days = partition_days(context)
    issues = markdown_channel.issue_days(storage.warehouse(), days, storage.layout)
    path, markdown, issue = issues[days[-1]]
    return dg.MaterializeResult(metadata={
        "days": days_label(days),
        "dagster/row_count": len(issues),  # one issue per day
        "path": dg.MetadataValue.path(str(path)),
        "paper_count": len(issue.papers),
        "hot_fields": "、".join(name for name, _ in issue.hot_fields) or "none",
        "preview": dg.MetadataValue.md(markdown),
    })
