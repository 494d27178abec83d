"""Dagster deployed as it scales out: PostgreSQL storage, the daemon's run queue, several runs at once.

A real PostgreSQL server (Debian's, as the `postgres` user, on 127.0.0.1 and a free port), the
instance hf-daily writes for HF_DAILY_DAGSTER_POSTGRES_URL, `dagster-daemon run` and
`dagster-webserver` as separate processes (as docs/deploy.md deploys them). A backfill of 6 days,
launched through the webserver's GraphQL API as the UI launches it, runs as three runs of 2 days
(HF_DAILY_BACKFILL_DAYS_PER_RUN=2, to keep the work small) at once. The tests check that the runs
overlapped, that every run succeeded, that the steps holding the warehouse never overlapped (the
"duckdb" pool of one), that the warehouse equals what one run of the whole range writes, and that
the backfill's page in the browser shows the runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hf_daily import runner
from hf_daily.definitions import defs
from hf_daily.defs.partitions import DAYS_PER_BACKFILL_RUN_ENV, DUCKDB_POOL
from hf_daily_tests.browser import launch_chromium
from hf_daily_tests.factories import api_item, write_archive

REPO = Path(__file__).resolve().parents[2]
PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
FIRST = dt.date(2025, 12, 1)
# Runs of 2 days (HF_DAILY_BACKFILL_DAYS_PER_RUN) in place of 7 keep the test's work small: 6 days, three runs.
DAYS_PER_RUN = 2
DAYS = [FIRST + dt.timedelta(days=i) for i in range(3 * DAYS_PER_RUN)]
STARTUP_S = 150
BACKFILL_S = 900  # a deadline, not a wait: on a quiet 2-core machine it takes a few minutes
LOCKED = "is locked by another process"

if not PG_BINS:
    pytest.skip("no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql",
                allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float, what: str, log=lambda: ""):
    """Polls ``condition`` with short waits until it returns something true; fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what} within {timeout} s\n{log()}")


class Service:
    """A server process in its own process group, logging to a file; stop() ends the whole group."""

    def __init__(self, argv: list[str], log_path: Path, **popen):
        self.log_path = log_path
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True, **popen)

    def log_tail(self, chars: int = 6000) -> str:
        if not self.log.closed:
            self.log.flush()
        return f"--- {self.log_path.name}\n" + self.log_path.read_text(errors="replace")[-chars:]

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"{self.log_path.stem} exited with {self.process.returncode}:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> None:
        try:
            if self.process.poll() is None:
                os.killpg(self.process.pid, sig)
                try:
                    self.process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # whatever of the group is left
            except ProcessLookupError:
                pass
            self.process.wait()
            self.log.close()


class Postgres:
    """A throwaway PostgreSQL cluster: trust authentication, 127.0.0.1 only, durability off for speed."""

    def __init__(self):
        bin_dir = PG_BINS[-1].parent
        # As root, the server must run as `postgres`, which cannot enter pytest's root-only tmp folders.
        self.user = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}
        self.folder = Path(tempfile.mkdtemp(prefix="hf-daily-pg-"))
        if self.user:
            shutil.chown(self.folder, "postgres", "postgres")
        self.port = free_port()
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/dagster"
        data = self.folder / "data"
        subprocess.run([bin_dir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, cwd=self.folder, **self.user)
        self.server = Service(
            [bin_dir / "postgres", "-D", data, "-h", "127.0.0.1", "-p", str(self.port), "-k", self.folder,
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            Path(tempfile.gettempdir()) / f"{self.folder.name}.log", cwd=self.folder, **self.user)
        wait_until(self._create_database, 60, "PostgreSQL did not accept connections", self.server.log_tail)

    def _create_database(self) -> bool:
        import psycopg2

        self.server.check_alive()
        try:
            con = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        except psycopg2.OperationalError:
            return False
        con.autocommit = True
        with con.cursor() as cursor:
            cursor.execute("CREATE DATABASE dagster")
        con.close()
        return True

    def stop(self) -> None:
        try:
            self.server.stop(signal.SIGINT)  # a fast shutdown
        finally:
            self.server.log_path.unlink(missing_ok=True)
            shutil.rmtree(self.folder, ignore_errors=True)


class Deployment:
    """DAGSTER_HOME on PostgreSQL (written by runner.dagster_home), the daemon and the webserver."""

    def __init__(self, folder: Path, postgres: Postgres, model: Path, archive: Path):
        self.home, self.data = folder / "dagster_home", folder / "data"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Nothing of the caller's hf-daily or Dagster settings leaks in.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_DAILY_", "DAGSTER_"))}
        env.update(
            DAGSTER_HOME=str(self.home), HF_DAILY_DATA_DIR=str(self.data), HF_DAILY_ARCHIVE_DIR=str(archive),
            HF_DAILY_TRANSLATOR_BACKEND="causal", HF_DAILY_TRANSLATOR_MODEL=str(model),
            HF_DAILY_DAGSTER_POSTGRES_URL=postgres.url, HF_DAILY_MAX_CONCURRENT_RUNS="4",
            **{DAYS_PER_BACKFILL_RUN_ENV: str(DAYS_PER_RUN)},
            DAGSTER_DISABLE_TELEMETRY="1",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        )
        self.env = env
        with pytest.MonkeyPatch.context() as patch:
            for name in ("DAGSTER_HOME", runner.POSTGRES_URL_ENV, runner.MAX_CONCURRENT_RUNS_ENV):
                patch.setenv(name, env[name])
            runner.dagster_home(self.data)  # the instance, as hf-daily writes it for these settings
        bin_dir = Path(sys.executable).parent
        workspace = str(REPO / "workspace.yaml")
        self.services: list[Service] = []
        self.services.append(Service([bin_dir / "dagster-daemon", "run", "-w", workspace],
                                     folder / "dagster-daemon.log", cwd=REPO, env=env))
        self.services.append(Service([bin_dir / "dagster-webserver", "-w", workspace, "-h", "127.0.0.1",
                                      "-p", str(self.port)], folder / "dagster-webserver.log", cwd=REPO, env=env))

    def log_tail(self) -> str:
        return "\n".join(s.log_tail() for s in self.services)

    def graphql(self, query: str, **variables) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql", data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        assert not answer.get("errors"), answer["errors"]
        return answer["data"]

    def loaded(self) -> bool:
        for service in self.services:
            service.check_alive()
        try:
            entries = self.graphql("{ workspaceOrError { ... on Workspace { locationEntries { loadStatus"
                                   " locationOrLoadError { __typename ... on PythonError { message } } } } } }"
                                   )["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False
        for entry in entries:
            if entry["loadStatus"] == "LOADED":
                assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
                return True
        return False

    def daemon_ready(self) -> bool:
        """The daemon's backfill and run-queue loops have both reported in (its heartbeats, in PostgreSQL)."""
        status = self.graphql("{ instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }")
        healthy = {d["daemonType"] for d in status["instance"]["daemonHealth"]["allDaemonStatuses"] if d["healthy"]}
        return {"BACKFILL", "QUEUED_RUN_COORDINATOR"} <= healthy

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()


LAUNCH = """mutation Launch($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message stack } } }"""
BACKFILL = """query Backfill($id: String!) { partitionBackfillOrError(backfillId: $id) {
  ... on PartitionBackfill { id status numPartitions } } }"""
TERMINAL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED", "FAILING"}


def step_intervals(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[float, float]]:
    """Each step's (start, end) timestamps in a run, from its event log."""
    starts, ends = {}, {}
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry
        if event.dagster_event is None:
            continue
        if event.dagster_event.event_type == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = event.timestamp
        elif event.dagster_event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            ends[event.step_key] = event.timestamp
    return {key: (starts[key], ends[key]) for key in starts}


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(a[1], b[1]) - max(a[0], b[0])


def rows(db: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """Two papers a day, six days."""
    folder = tmp_path_factory.mktemp("archive")
    for n, day in enumerate(DAYS):
        write_archive(folder, day, [api_item(f"2512.{2 * n:05d}", f"Agents {n}", 3),
                                    api_item(f"2512.{2 * n + 1:05d}", f"Robots {n}", 1)])
    return folder


@pytest.fixture(scope="module")
def backfill(tmp_path_factory, tiny_causal_lm, archive):
    """The 6-day backfill, run by the daemon on PostgreSQL: what the tests below check."""
    folder = tmp_path_factory.mktemp("scale-out")
    postgres = Postgres()
    deployment = None
    try:
        deployment = Deployment(folder, postgres, tiny_causal_lm, archive)
        wait_until(deployment.loaded, STARTUP_S, "the webserver did not load hf_daily", deployment.log_tail)
        wait_until(deployment.daemon_ready, STARTUP_S, "the daemon did not report healthy", deployment.log_tail)
        # Every daily asset up to the issue; the delivery channels add minutes of work on 2 cores and nothing to
        # what is checked here (test_ui_browser backfills them), and the weekly digest has partitions of its own.
        nodes = deployment.graphql("{ assetNodes { assetKey { path } groupName } }")["assetNodes"]
        keys = [n["assetKey"] for n in nodes if n["groupName"] not in ("delivery", "weekly")]
        assert len(keys) < len(nodes)
        launched = deployment.graphql(LAUNCH, params={
            "assetSelection": keys, "partitionNames": [d.isoformat() for d in DAYS], "fromFailure": False,
        })["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        backfill_id = launched["backfillId"]

        def finished():
            for service in deployment.services:
                service.check_alive()
            status = deployment.graphql(BACKFILL, id=backfill_id)["partitionBackfillOrError"]["status"]
            return status if status in TERMINAL else None

        status = wait_until(finished, BACKFILL_S, "the backfill did not finish", deployment.log_tail)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(runner.POSTGRES_URL_ENV, postgres.url)
            instance = dg.DagsterInstance.from_config(str(deployment.home))
        with instance:
            records = instance.get_run_records(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
            runs = [{
                "run_id": r.dagster_run.run_id, "status": r.dagster_run.status, "start": r.start_time,
                "end": r.end_time, "tags": r.dagster_run.tags, "steps": step_intervals(instance, r.dagster_run.run_id),
                "messages": [e.user_message for e in instance.all_logs(r.dagster_run.run_id)],
            } for r in records]
            claimed = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL).claimed_slots
        yield {"id": backfill_id, "assets": len(keys), "status": status, "runs": runs, "claimed": claimed,
               "deployment": deployment}
    finally:
        try:
            if deployment is not None:
                deployment.stop()
        finally:
            postgres.stop()


def test_the_instance_is_postgres_with_a_run_queue_and_no_password_on_disk(backfill):
    home = backfill["deployment"].home
    text = (home / "dagster.yaml").read_text()
    assert text == runner.instance_yaml(postgres=True, max_concurrent_runs=4)
    assert "env: HF_DAILY_DAGSTER_POSTGRES_URL" in text and "127.0.0.1" not in text
    # Runs, event logs and schedules went to PostgreSQL: no SQLite storage was created beside dagster.yaml.
    assert not list(home.rglob("*.db"))


def test_a_long_backfill_runs_as_several_concurrent_runs_that_all_succeed(backfill):
    runs = backfill["runs"]
    assert backfill["status"] == "COMPLETED_SUCCESS", (backfill["status"], [(r["run_id"], r["status"]) for r in runs])
    assert [r["status"] for r in runs] == [dg.DagsterRunStatus.SUCCESS] * 3
    ranges = sorted((r["tags"]["dagster/asset_partition_range_start"], r["tags"]["dagster/asset_partition_range_end"])
                    for r in runs)
    assert ranges == [(DAYS[i].isoformat(), DAYS[i + 1].isoformat()) for i in range(0, len(DAYS), DAYS_PER_RUN)]
    # The runs ran at the same time: every pair overlapped.
    spans = [(r["start"], r["end"]) for r in runs]
    assert all(overlap(a, b) > 0 for i, a in enumerate(spans) for b in spans[i + 1:]), spans
    assert not any(LOCKED in (m or "") for r in runs for m in r["messages"])
    assert not backfill["claimed"]  # every slot of the duckdb pool was given back


def test_steps_holding_the_warehouse_never_overlap_across_runs(backfill):
    pools = {node.name: node.definition.pool for node in defs.resolve_job_def("daily_issue_job").graph.nodes}
    [steps] = {frozenset(r["steps"]) for r in backfill["runs"]}  # every run ran the same steps
    pooled = {key for key in steps if pools[key] == DUCKDB_POOL}
    assert "paper_translations" in steps - pooled and {"raw_responses", "newsletter_issue"} <= pooled
    intervals = [(r["run_id"], key, span) for r in backfill["runs"]
                 for key, span in r["steps"].items() if key in pooled]
    clashes = [(a[:2], b[:2]) for i, a in enumerate(intervals) for b in intervals[i + 1:] if overlap(a[2], b[2]) > 0]
    assert not clashes


def test_the_warehouse_equals_one_run_of_the_whole_range(backfill, tmp_path, tiny_causal_lm, archive):
    # One in-process run of all six days, as `hf-daily materialize START END` runs them.
    with dg.DagsterInstance.ephemeral() as instance:
        [one] = runner.materialize(DAYS[0], DAYS[-1], data_dir=str(tmp_path), archive_dir=str(archive),
                                   translator={"backend": "causal", "model": str(tiny_causal_lm)}, instance=instance)
    assert one.success
    split, whole = backfill["deployment"].data / "warehouse.duckdb", tmp_path / "warehouse.duckdb"
    papers = rows(split, "papers")
    assert len(papers) == 2 * len(DAYS)
    assert papers == rows(whole, "papers")
    translations = rows(split, "paper_translations")
    assert len(translations) == 2 * len(DAYS) and all(t[2] and t[3] for t in translations)
    assert translations == rows(whole, "paper_translations")
    issues = "SELECT day, paper_count FROM newsletter_issues"
    con = duckdb.connect(str(split), read_only=True)
    try:
        assert con.execute(issues + " ORDER BY day").fetchall() == [(d, 2) for d in DAYS]
    finally:
        con.close()


def test_the_backfill_page_shows_the_runs(backfill):
    deployment = backfill["deployment"]
    with launch_chromium() as browser:
        context = browser.new_context(viewport={"width": 1600, "height": 1000}, base_url=deployment.url)
        context.set_default_timeout(30_000)
        context.add_init_script("window.localStorage.setItem('communityNux', JSON.stringify('1'))")
        page = context.new_page()
        page.goto(f"/runs/b/{backfill['id']}")
        page.get_by_text("Succeeded", exact=True).first.wait_for()
        assert page.get_by_text(f"{DAYS[0].isoformat()}...{DAYS[-1].isoformat()}").count() >= 1  # the selection
        assert page.get_by_text("100% completed").count() == backfill["assets"]  # every asset, all six days
        page.get_by_role("tab", name="Runs").click()
        for run in backfill["runs"]:
            page.get_by_text(run["run_id"][:8], exact=True).first.wait_for()
        context.close()
