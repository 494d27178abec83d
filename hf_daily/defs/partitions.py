import datetime as dt

import dagster as dg

# The first day of Hugging Face Daily Papers. Days are UTC, like the API's `date` parameter.
FIRST_DAY = "2023-05-04"

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")

# A backfill of many days runs as one run: a run's start-up costs far more than a day's work.
single_run = dg.BackfillPolicy.single_run()


def partition_days(context: dg.AssetExecutionContext) -> list[dt.date]:
    """The days this run covers: one for a daily run, many for a single-run backfill."""
    return [dt.date.fromisoformat(key) for key in context.partition_keys]
