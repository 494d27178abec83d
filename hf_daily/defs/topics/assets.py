import dagster as dg

from hf_daily.steps import topics
from hf_daily.defs.metadata import days_label, table_spec
from hf_daily.defs.partitions import daily_multi_asset, partition_days
from hf_daily.defs.resources import StorageResource


@daily_multi_asset(
    specs=[table_spec("paper_keywords", "topics", ["papers", "paper_translations"]),
           table_spec("daily_keyword_counts", "topics", ["paper_keywords"])],
)
def keywords(context: dg.AssetExecutionContext, storage: StorageResource):
    """English keywords (Hugging Face's, else extracted) and Chinese keywords (jieba) per paper, counted per day."""
    days = partition_days(context)
    rows = topics.keyword_days(storage.warehouse(), days)
    for name, count in rows.items():
        yield dg.MaterializeResult(asset_key=name, metadata={"days": days_label(days), "dagster/row_count": count})


@daily_multi_asset(
    specs=[table_spec("paper_fields", "topics", ["papers", "paper_translations", "paper_keywords"]),
           table_spec("hot_fields", "topics", ["paper_fields"])],
)
def fields(context: dg.AssetExecutionContext, storage: StorageResource):
    """Each paper's research fields in a small taxonomy, and the day's leading ('hot') fields."""
    days = partition_days(context)
    hot = topics.field_days(storage.warehouse(), days)
    leading = "、".join(f"{name}（{n}）" for name, n in hot[days[-1]]) or "none"
    yield dg.MaterializeResult(asset_key="paper_fields", metadata={"days": days_label(days)})
    yield dg.MaterializeResult(asset_key="hot_fields", metadata={
        "days": days_label(days), "hot_fields": leading, "dagster/row_count": sum(map(len, hot.values())),
    })
