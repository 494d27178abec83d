"""hf-daily: Hugging Face Daily Papers as a Chinese newsletter and a DuckDB warehouse.

The modules in this package are plain Python and know nothing of Dagster;
the Dagster wiring lives in ``hf_daily.defs``.
"""
