import dagster as dg

from hf_daily.steps import translation
from hf_daily.defs.metadata import days_label, table_metadata
from hf_daily.defs.partitions import daily_asset, partition_days
from hf_daily.defs.resources import StorageResource, TranslatorResource


# Outside the DuckDB pool: translating takes hours where writing takes seconds, and the step opens the
# warehouse only to read the day and to keep each batch (waiting for DuckDB's lock, StorageResource.lock_timeout_s),
# so concurrent runs translate at once.
@daily_asset(
    pool=None, group_name="translation",
    deps=["papers"], kinds={"duckdb", "transformers"}, metadata=table_metadata("paper_translations"),
    check_specs=[
        dg.AssetCheckSpec("every_paper_translated", asset="paper_translations",
                          description="Every paper of the day has a Chinese title and abstract."),
        dg.AssetCheckSpec("translations_pass_quality_checks", asset="paper_translations",
                          description="No title or abstract fails the heuristics: too little Chinese, English "
                                      "sentences left, a lost number, URL or name, a generation loop."),
    ],
    description="Chinese titles and abstracts, translated once per (paper, source text, model) and cached.",
)
def paper_translations(
    context: dg.AssetExecutionContext, storage: StorageResource, translator: TranslatorResource
):
    days = partition_days(context)
    model = translator.translator(storage.data_dir)
    retranslator = translator.retranslator(storage.data_dir)
    report = translation.translate_days(storage.warehouse(), model, days, progress=context.log.info,
                                     retranslator=retranslator)
    yield dg.MaterializeResult(metadata={
        "days": days_label(days),
        "model_id": report.model_id,
        "dagster/row_count": report.papers - len(report.untranslated),
        "cache_hits": report.cache_hits,
        "texts_translated": report.translated,
        "translation_seconds": round(report.seconds, 1),
        **({"retranslated_papers": report.retranslated, "improved_papers": report.improved} if retranslator else {}),
    })
    yield dg.AssetCheckResult(
        check_name="every_paper_translated", asset_key="paper_translations", passed=not report.untranslated,
        metadata={"untranslated": [f"{day} {pid}" for day, pid in report.untranslated]},
    )
    flagged = translation.flagged_translations(storage.warehouse(), days)
    yield dg.AssetCheckResult(
        check_name="translations_pass_quality_checks", asset_key="paper_translations", passed=not flagged,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"flagged": [f"{day} {pid}: {'; '.join(problems)}" for day, pid, problems in flagged]},
    )
