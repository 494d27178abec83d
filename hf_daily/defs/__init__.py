"""Dagster wiring: one folder per pipeline stage; the work itself lives in plain modules of hf_daily."""
