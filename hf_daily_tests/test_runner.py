"""The Dagster instance hf-daily writes: SQLite by default, PostgreSQL and the run queue from the environment."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from hf_daily import runner

REPO = Path(__file__).resolve().parents[1]
URL = "postgresql+psycopg2://dagster:s3cret@db.example:5432/dagster"


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in (runner.POSTGRES_URL_ENV, runner.MAX_CONCURRENT_RUNS_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_one_machine_gets_sqlite_the_run_queue_and_the_duckdb_pool_per_step(home, tmp_path):
    runner.dagster_home(tmp_path)
    text = (home / "dagster.yaml").read_text()
    assert text == runner.INSTANCE_YAML and "storage:" not in text
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 4
        pools = instance.get_concurrency_config().pool_config
        assert (pools.pool_granularity.value, pools.default_pool_limit) == ("op", 1)
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 60
    # In-process runs (the CLI) claim no op slot: a killed one has no daemon to give it back.
    with runner.open_instance(tmp_path) as instance:
        assert instance.get_concurrency_config().pool_config.pool_granularity.value == "run"


def test_the_postgres_url_is_referenced_never_written(home, tmp_path, monkeypatch):
    monkeypatch.setenv(runner.POSTGRES_URL_ENV, URL)
    monkeypatch.setenv(runner.MAX_CONCURRENT_RUNS_ENV, "8")
    runner.dagster_home(tmp_path)
    for name in ("dagster.yaml", runner.IN_PROCESS_YAML):
        text = (home / name).read_text()
        assert "s3cret" not in text and "db.example" not in text
        assert "postgres_url:\n      env: HF_DAILY_DAGSTER_POSTGRES_URL" in text
        assert "max_concurrent_runs: 8" in text


def test_a_change_of_settings_rewrites_hf_dailys_file_but_not_yours(home, tmp_path, monkeypatch):
    home.mkdir(parents=True)
    # What an earlier hf-daily wrote, unmarked: still its own, rewritten.
    (home / "dagster.yaml").write_text(runner._UNMARKED_EARLIER_YAML)
    runner.dagster_home(tmp_path)
    assert (home / "dagster.yaml").read_text() == runner.INSTANCE_YAML
    monkeypatch.setenv(runner.MAX_CONCURRENT_RUNS_ENV, "2")
    runner.dagster_home(tmp_path)
    assert "max_concurrent_runs: 2" in (home / "dagster.yaml").read_text()

    own = "telemetry:\n  enabled: false\n"
    (home / "dagster.yaml").write_text(own)
    runner.dagster_home(tmp_path)
    assert (home / "dagster.yaml").read_text() == own
    # Your own file is the instance for in-process runs too: no second file that could disagree with it.
    assert not (home / runner.IN_PROCESS_YAML).exists()


@pytest.mark.parametrize("name, value, message", [
    (runner.POSTGRES_URL_ENV, "mysql://x@y/z", "must be a PostgreSQL URL for the psycopg2 driver, "
                                               "postgresql+psycopg2://USER:PASSWORD@HOST:PORT/DATABASE"),
    (runner.POSTGRES_URL_ENV, "postgresql://dagster:s3cret@db/dagster",
     "(it names no driver: begin it with postgresql+psycopg2:// in place of postgresql://)"),
    (runner.MAX_CONCURRENT_RUNS_ENV, "many", "a whole number of 1 or more"),
    (runner.MAX_CONCURRENT_RUNS_ENV, "0", "a whole number of 1 or more"),
])
def test_a_bad_setting_names_the_variable_and_the_fix(home, tmp_path, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        runner.dagster_home(tmp_path)
    assert name in str(error.value) and "s3cret" not in str(error.value)
    assert not (home / "dagster.yaml").exists()


def test_docs_deploy_shows_the_yaml_the_code_writes():
    text = (REPO / "docs" / "deploy.md").read_text()
    shown = re.search(r"```yaml\n(# Written by hf-daily.*?)```", text, re.DOTALL).group(1)
    assert shown == runner.instance_yaml(postgres=True)
