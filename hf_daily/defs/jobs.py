import dagster as dg

from hf_daily.defs.weekly.assets import GROUP as WEEKLY_GROUP

daily_issue_job = dg.define_asset_job(
    "daily_issue_job",
    # The weekly digest is on weekly partitions: weekly_digest_job (defs/weekly) makes it.
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(WEEKLY_GROUP),
    description="Fetch, normalize, translate and publish one day (or a range of days in one run).",
)

# Daily Papers fills up during the (UTC) day; the previous day is complete by morning.
daily_issue_schedule = dg.build_schedule_from_partitioned_job(
    daily_issue_job, hour_of_day=6, minute_of_hour=30, name="daily_issue_schedule"
)

# The one executor, for daily_issue_job and for the UI's "Materialize all…" (Dagster's implicit asset job)
# alike: in-process, a day's run takes about 4.5 s instead of about 20 s with one process per step, and the
# steps share DuckDB's single writer anyway.
defs = dg.Definitions(jobs=[daily_issue_job], schedules=[daily_issue_schedule], executor=dg.in_process_executor)
