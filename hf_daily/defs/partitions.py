"""The daily partitions, and the arguments every daily asset shares."""

import datetime as dt
import os

import dagster as dg

from hf_daily.core.constants import FIRST_DAY

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY.isoformat(), timezone="UTC")

# A backfill runs as runs of at most this many days each, which the run queue runs several at once; a
# shorter range is one run. A run's start-up (its process, the model) costs far more than a day's work
# for the steps that do not translate, so a run covers days, not one.
DEFAULT_DAYS_PER_BACKFILL_RUN = 7
DAYS_PER_BACKFILL_RUN_ENV = "HF_DAILY_BACKFILL_DAYS_PER_RUN"


def days_per_backfill_run() -> int:
    """DEFAULT_DAYS_PER_BACKFILL_RUN, or HF_DAILY_BACKFILL_DAYS_PER_RUN (more for fast translation servers)."""
    text = os.environ.get(DAYS_PER_BACKFILL_RUN_ENV, "").strip()
    if not text:
        return DEFAULT_DAYS_PER_BACKFILL_RUN
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{DAYS_PER_BACKFILL_RUN_ENV}={text!r}: write how many days one run of a backfill covers, "
                         f"a whole number of 1 or more (default {DEFAULT_DAYS_PER_BACKFILL_RUN})")
    return int(text)


DAYS_PER_BACKFILL_RUN = days_per_backfill_run()
backfill_policy = dg.BackfillPolicy.multi_run(max_partitions_per_run=DAYS_PER_BACKFILL_RUN)

# DuckDB has one writer: the steps that hold the warehouse queue in this pool, whose limit the
# instance sets to 1, per step (runner.instance_yaml).
DUCKDB_POOL = "duckdb"


def daily_asset(*, warehouse: bool = True, pool: str | None = DUCKDB_POOL, **kwargs):
    """``dg.asset`` on the daily partitions, a long range backfilled in runs of a few days; in the DuckDB
    pool unless ``warehouse=False`` (an asset that never opens the warehouse need not wait for it) or
    ``pool=None`` (one that opens it only for short writes between long stretches of other work, and
    waits for its lock instead: holding the pool's one slot would stop every other run's writes)."""
    return dg.asset(partitions_def=daily_partitions, backfill_policy=backfill_policy,
                    **({"pool": pool} if warehouse and pool else {}), **kwargs)


def daily_multi_asset(**kwargs):
    """``dg.multi_asset`` on the daily partitions, a long range backfilled in runs of a few days, in the DuckDB pool."""
    return dg.multi_asset(partitions_def=daily_partitions, backfill_policy=backfill_policy, pool=DUCKDB_POOL,
                          **kwargs)


def partition_days(context: dg.AssetExecutionContext) -> list[dt.date]:
    """The days this run covers: one for a daily run, many for a run of a backfill (weekly assets: their Mondays)."""
    return [dt.date.fromisoformat(key) for key in context.partition_keys]
