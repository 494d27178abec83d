"""Run the daily job from Python or the command line, against the same Dagster instance as the UI."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from hf_daily.core.constants import FIRST_DAY
from hf_daily.core.layout import DEFAULT_DATA_DIR, DataLayout
from hf_daily.definitions import defs
from hf_daily.defs.resources import resource_config

# DuckDB has one writer: runs that write it queue for the "duckdb" pool one at a time instead of
# meeting its lock. Run granularity, because a slot claimed per step by a run that is then killed
# stays claimed and blocks every later run; a whole run is reaped by run monitoring. Telemetry would
# try the network.
INSTANCE_YAML = """\
concurrency:
  pools:
    granularity: run
    default_limit: 1
run_monitoring:
  enabled: true
telemetry:
  enabled: false
"""


def dagster_home(data_dir: str | os.PathLike) -> Path:
    """DAGSTER_HOME if set, else data/dagster_home, created with hf-daily's instance settings."""
    home = Path(os.environ.get("DAGSTER_HOME") or DataLayout(Path(data_dir).resolve()).dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML)
    return home


def parse_day(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2025-12-26") from None
    first = FIRST_DAY
    today = dt.datetime.now(dt.timezone.utc).date()
    if not first <= day < today:
        raise ValueError(
            f"{day} has no Daily Papers partition: days run from {first} (the first day of Daily Papers) "
            f"to yesterday ({today - dt.timedelta(days=1)}, UTC)"
        )
    return day


def materialize(start: dt.date, end: dt.date | None = None, *, data_dir: str = DEFAULT_DATA_DIR, archive_dir: str | None = None,
                refresh: bool = False, per_day: bool = False, translator: dict | None = None,
                raise_on_error: bool = True, instance: dg.DagsterInstance | None = None,
                base_url: str | None = None, daily_papers: dict | None = None,
                ) -> list[dg.ExecuteInProcessResult]:
    """Materialize every asset for a day or a range of days: one run for the range, or one run per day.

    ``base_url`` points the API client elsewhere; ``daily_papers`` is any further
    DailyPapersResource config (retries, backoff_s, timeout_s).
    """
    end = end or start
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    # Run config replaces a resource's configuration whole: each is given in full, the environment's
    # settings under the caller's, so that a flag never drops a setting it does not name.
    resources = {
        "storage": {"config": resource_config("storage", {"data_dir": data_dir})},
        "daily_papers": {"config": resource_config("daily_papers", {
            **(daily_papers or {}), "archive_dir": archive_dir, "base_url": base_url})},
        "translator": {"config": resource_config("translator", translator)},
        "publish": {"config": resource_config("publish")},
        "mail": {"config": resource_config("mail")},
    }
    run_config = {
        "resources": resources,
        "ops": {"raw_responses": {"config": {"refresh": refresh}}},
        # Step-level DEBUG events drown the progress lines people watch during a long run.
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
    }
    job = defs.resolve_job_def("daily_issue_job")
    if instance is None:
        with dg.DagsterInstance.from_config(str(dagster_home(data_dir))) as owned:
            return materialize(start, end, data_dir=data_dir, archive_dir=archive_dir, refresh=refresh,
                               per_day=per_day, translator=translator, raise_on_error=raise_on_error, instance=owned,
                               base_url=base_url, daily_papers=daily_papers)
    if per_day or start == end:
        days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        return [job.execute_in_process(run_config=run_config, instance=instance, partition_key=d.isoformat(),
                                       raise_on_error=raise_on_error) for d in days]
    tags = {"dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat()}
    return [job.execute_in_process(run_config=run_config, instance=instance, tags=tags,
                                   raise_on_error=raise_on_error)]
