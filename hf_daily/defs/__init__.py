"""The Dagster wiring, thin: one folder of assets per stage over the plain functions of hf_daily; resources,
partitions (and the daily-asset helper), jobs and schedules. hf_daily/definitions.py loads it all."""
