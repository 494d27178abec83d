import dagster as dg

from hf_daily import pipeline
from hf_daily.defs.metadata import days_label, table_metadata
from hf_daily.defs.partitions import daily_partitions, partition_days, single_run
from hf_daily.defs.resources import StorageResource, TranslatorResource


@dg.asset(
    partitions_def=daily_partitions, backfill_policy=single_run, pool="duckdb", group_name="translation",
    deps=["papers"], kinds={"duckdb", "transformers"}, metadata=table_metadata("paper_translations"),
    check_specs=[dg.AssetCheckSpec("every_paper_translated", asset="paper_translations",
                                   description="Every paper of the day has a Chinese title and abstract.")],
    description="Chinese titles and abstracts, translated once per (paper, source text, model) and cached.",
)
def paper_translations(
    context: dg.AssetExecutionContext, storage: StorageResource, translator: TranslatorResource
):
    days = partition_days(context)
    model = translator.translator(storage.data_dir)
    report = pipeline.translate_days(storage.warehouse(), model, days, progress=context.log.info,
                                     batch_size=translator.batch_size)
    yield dg.MaterializeResult(metadata={
        "days": days_label(days),
        "model_id": report.model_id,
        "dagster/row_count": report.papers - len(report.untranslated),
        "cache_hits": report.cache_hits,
        "texts_translated": report.translated,
        "translation_seconds": round(report.seconds, 1),
    })
    yield dg.AssetCheckResult(
        check_name="every_paper_translated", asset_key="paper_translations", passed=not report.untranslated,
        metadata={"untranslated": [f"{day} {pid}" for day, pid in report.untranslated]},
    )
