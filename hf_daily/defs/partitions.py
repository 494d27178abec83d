"""The daily partitions, and the arguments every daily asset shares."""

import datetime as dt

import dagster as dg

from hf_daily.core.constants import FIRST_DAY

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY.isoformat(), timezone="UTC")

# A backfill of many days runs as one run: a run's start-up costs far more than a day's work.
single_run = dg.BackfillPolicy.single_run()

# DuckDB has one writer: the assets that open the warehouse queue in this pool, whose limit the
# instance sets to 1 (runner.INSTANCE_YAML).
DUCKDB_POOL = "duckdb"


def daily_asset(*, warehouse: bool = True, **kwargs):
    """``dg.asset`` on the daily partitions, a range backfilled in one run; in the DuckDB pool unless
    ``warehouse=False`` (an asset that never opens the warehouse need not wait for it)."""
    return dg.asset(partitions_def=daily_partitions, backfill_policy=single_run,
                    **({"pool": DUCKDB_POOL} if warehouse else {}), **kwargs)


def daily_multi_asset(**kwargs):
    """``dg.multi_asset`` on the daily partitions, a range backfilled in one run, in the DuckDB pool."""
    return dg.multi_asset(partitions_def=daily_partitions, backfill_policy=single_run, pool=DUCKDB_POOL, **kwargs)


def partition_days(context: dg.AssetExecutionContext) -> list[dt.date]:
    """The days this run covers: one for a daily run, many for a single-run backfill."""
    return [dt.date.fromisoformat(key) for key in context.partition_keys]
