"""Run the daily job from Python or the command line, against the same Dagster instance as the UI."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from hf_daily.core.constants import FIRST_DAY
from hf_daily.core.files import write_atomically
from hf_daily.core.layout import DEFAULT_DATA_DIR, DataLayout
from hf_daily.core.weeks import week_name, weeks_between
from hf_daily.definitions import defs
from hf_daily.defs.resources import resource_config

# Settings of the Dagster instance, read from the environment when hf-daily writes dagster.yaml.
POSTGRES_URL_ENV = "HF_DAILY_DAGSTER_POSTGRES_URL"
MAX_CONCURRENT_RUNS_ENV = "HF_DAILY_MAX_CONCURRENT_RUNS"
POSTGRES_SCHEME = "postgresql+psycopg2://"
# Runs the daemon starts at once: each loads its own translation model, so a handful on one machine.
DEFAULT_MAX_CONCURRENT_RUNS = 4
# A dagster.yaml that starts with this line is hf-daily's and is rewritten when the settings change.
GENERATED_MARKER = (f"# Written by hf-daily from {POSTGRES_URL_ENV} and {MAX_CONCURRENT_RUNS_ENV}; "
                    "rewritten when they change. Delete this line to keep your own edits.\n")
# What hf-daily wrote before it marked its file: still hf-daily's to rewrite.
_UNMARKED_EARLIER_YAML = """\
concurrency:
  pools:
    granularity: run
    default_limit: 1
run_monitoring:
  enabled: true
telemetry:
  enabled: false
"""
# The instance file for runs executed in this process (the CLI): see instance_yaml(in_process=True).
IN_PROCESS_YAML = "dagster-in-process.yaml"


def instance_yaml(*, postgres: bool = False, max_concurrent_runs: int = DEFAULT_MAX_CONCURRENT_RUNS,
                  in_process: bool = False) -> str:
    """hf-daily's dagster.yaml: the run queue, the "duckdb" pool of one, and PostgreSQL storage if asked.

    DuckDB has one writer: steps that hold the warehouse queue for the "duckdb" pool one at a time, per
    step (op granularity), so that concurrent runs translate at once and wait only for each other's
    writes. A slot held by a run that ends without freeing it (terminated, its worker killed) is freed
    by the daemon's run monitoring after free_slots_after_run_end_seconds. A run executed in-process
    (``in_process``: the CLI) has no daemon to free its slot should it be killed, so it claims none (run
    granularity, which only the run queue enforces) and relies on the warehouse's own lock wait. The
    run queue starts runs without waiting for the pool, so a run loads its model while another writes.
    The PostgreSQL URL is read from the environment by Dagster itself, so no password is written here.
    Telemetry would try the network.
    """
    storage = f"""\
storage:
  postgres:
    postgres_url:
      env: {POSTGRES_URL_ENV}
""" if postgres else ""
    return GENERATED_MARKER + f"""\
concurrency:
  pools:
    granularity: {"run" if in_process else "op"}
    default_limit: 1
  runs:
    max_concurrent_runs: {max_concurrent_runs}
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    block_op_concurrency_limited_runs:
      enabled: false
run_monitoring:
  enabled: true
  free_slots_after_run_end_seconds: 60
telemetry:
  enabled: false
""" + storage


def instance_settings() -> dict:
    """instance_yaml's arguments from the environment, with a clear error for a bad value."""
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if url and not url.startswith(POSTGRES_SCHEME):
        # SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3; dagster-postgres brings psycopg2. The URL
        # holds a password: the message never repeats it.
        hint = f" (it names no driver: begin it with {POSTGRES_SCHEME} in place of {url.split('://', 1)[0]}://)" \
            if url.startswith(("postgresql://", "postgres://")) else ""
        raise ValueError(f"{POSTGRES_URL_ENV} must be a PostgreSQL URL for the psycopg2 driver, "
                         f"{POSTGRES_SCHEME}USER:PASSWORD@HOST:PORT/DATABASE{hint}; "
                         "or unset it to keep Dagster's runs in SQLite under DAGSTER_HOME")
    text = os.environ.get(MAX_CONCURRENT_RUNS_ENV, "").strip()
    try:
        runs = int(text) if text else DEFAULT_MAX_CONCURRENT_RUNS
    except ValueError:
        runs = 0
    if runs < 1:
        raise ValueError(f"{MAX_CONCURRENT_RUNS_ENV}={text!r}: write how many runs may run at once, a whole number "
                         f"of 1 or more (default {DEFAULT_MAX_CONCURRENT_RUNS})")
    return {"postgres": bool(url), "max_concurrent_runs": runs}


# One machine, SQLite: what dagster_home writes when neither setting is made.
INSTANCE_YAML = instance_yaml()


def _write_if_ours(path: Path, text: str) -> bool:
    """Write hf-daily's instance file unless the user has replaced it with their own; whether it is hf-daily's."""
    if path.exists():
        current = path.read_text()
        if current == text:
            return True
        if not (current.startswith(GENERATED_MARKER) or current == _UNMARKED_EARLIER_YAML):
            return False
    write_atomically(path, text)
    return True


def dagster_home(data_dir: str | os.PathLike) -> Path:
    """DAGSTER_HOME if set, else data/dagster_home, with hf-daily's instance settings from the environment.

    dagster.yaml is written when missing, and rewritten when the settings changed if it is still
    hf-daily's (its first line says so); a dagster.yaml of your own is left as it is.
    """
    home = Path(os.environ.get("DAGSTER_HOME") or DataLayout(Path(data_dir).resolve()).dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    settings = instance_settings()
    if _write_if_ours(home / "dagster.yaml", instance_yaml(**settings)):
        _write_if_ours(home / IN_PROCESS_YAML, instance_yaml(**settings, in_process=True))
    else:
        (home / IN_PROCESS_YAML).unlink(missing_ok=True)
    return home


def open_instance(data_dir: str | os.PathLike) -> dg.DagsterInstance:
    """The instance for runs executed in this process: the UI's storage, and no pool slot to leave behind
    (your own dagster.yaml, as it is, if you wrote one)."""
    home = dagster_home(data_dir)
    config = IN_PROCESS_YAML if (home / IN_PROCESS_YAML).exists() else "dagster.yaml"
    return dg.DagsterInstance.from_config(str(home), config_filename=config)


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


# Step-level DEBUG events drown the progress lines people watch during a long run.
_QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def _resources(data_dir: str, archive_dir: str | None, base_url: str | None, daily_papers: dict | None,
               translator: dict | None = None,
               names: tuple[str, ...] = ("storage", "daily_papers", "translator", "publish", "mail")) -> dict:
    """The run config of the resources ``names`` (those a job uses: a setting of another is not read, so it
    cannot fail the run). Run config replaces a resource's configuration whole: each is given in full, the
    environment's settings under the caller's, so that a flag never drops a setting it does not name."""
    flags = {"storage": {"data_dir": data_dir}, "translator": translator,
             "daily_papers": {**(daily_papers or {}), "archive_dir": archive_dir, "base_url": base_url}}
    return {name: {"config": resource_config(name, flags.get(name))} for name in names}


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
    run_config = {
        "resources": _resources(data_dir, archive_dir, base_url, daily_papers, translator),
        "ops": {"raw_responses": {"config": {"refresh": refresh}}},
        **_QUIET,
    }
    job = defs.resolve_job_def("daily_issue_job")
    if instance is None:
        with open_instance(data_dir) as owned:
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


def materialize_weeks(start: dt.date, end: dt.date | None = None, *, data_dir: str = DEFAULT_DATA_DIR,
                      archive_dir: str | None = None, base_url: str | None = None, daily_papers: dict | None = None,
                      raise_on_error: bool = True, instance: dg.DagsterInstance | None = None,
                      ) -> dg.ExecuteInProcessResult:
    """Make the weekly digests of every week (Monday to Sunday) holding a day of start..end, in one run, from
    the days already in the warehouse (``materialize`` them first)."""
    end = end or start
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    weeks = weeks_between(start, end)
    today = dt.datetime.now(dt.timezone.utc).date()
    if weeks[-1] + dt.timedelta(days=7) > today:
        raise ValueError(f"the week {week_name(weeks[-1])} ({weeks[-1]} .. {weeks[-1] + dt.timedelta(days=6)}) has not "
                         "ended yet (UTC): its digest can be made from the Monday after it; end the range a week earlier")
    if instance is None:
        with open_instance(data_dir) as owned:
            return materialize_weeks(start, end, data_dir=data_dir, archive_dir=archive_dir, base_url=base_url,
                                     daily_papers=daily_papers, raise_on_error=raise_on_error, instance=owned)
    run_config = {"resources": _resources(data_dir, archive_dir, base_url, daily_papers,
                                          names=("storage", "daily_papers", "publish")), **_QUIET}
    job = defs.resolve_job_def("weekly_digest_job")
    if len(weeks) == 1:
        return job.execute_in_process(run_config=run_config, instance=instance, partition_key=weeks[0].isoformat(),
                                      raise_on_error=raise_on_error)
    tags = {"dagster/asset_partition_range_start": weeks[0].isoformat(),
            "dagster/asset_partition_range_end": weeks[-1].isoformat()}
    return job.execute_in_process(run_config=run_config, instance=instance, tags=tags, raise_on_error=raise_on_error)
