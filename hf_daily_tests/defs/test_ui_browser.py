"""The Dagster UI as users use it: `dagster dev` on 127.0.0.1, clicked through in headless Chromium.

One `dagster dev` (temporary DAGSTER_HOME and warehouse, the real archive in ../shared, the tiny test
translator) serves the whole module. In the browser a user opens the asset graph, materializes 2025-12-26,
reads the issue's Markdown preview and the row counts in the asset metadata, then launches a backfill of
three days. Runs go through the instance's run launcher, as they do for users; their status is read from
Dagster's GraphQL API, but every launch is a click in the page. The last test stops `dagster dev` with
SIGINT, as Ctrl-C would, and checks that every process of it is gone.

Set HF_DAILY_SCREENSHOTS=docs/screenshots to save screenshots on the way (docs/screenshots/take.py
takes the README's, with the real translator).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest

from hf_daily.runner import INSTANCE_YAML
from hf_daily_tests.browser import launch_chromium, missing_reason
from hf_daily_tests.factories import SHARED_API
from hf_daily_tests.tiny_models import build_tiny_causal_lm

if missing_reason():
    pytest.skip(missing_reason(), allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
DAY = "2025-12-26"
BACKFILL = ("2025-12-25", "2025-12-27")  # Christmas (13 papers), the day above (cached), a Saturday (none)
STARTUP_S = 150
RUN_S = 240
MS = 1000


# --- dagster dev ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, _ppid, group = text[text.rindex(")") + 2:].split()[:3]
        if int(group) == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


class DagsterDev:
    """`dagster dev` in its own process group, so that it receives (and acts on) SIGINT like Ctrl-C."""

    def __init__(self, folder: Path, *, model: str, backend: str = "causal", archive: Path = SHARED_API):
        self.home, self.data, self.log_path = folder / "dagster_home", folder / "data", folder / "dagster-dev.log"
        self.home.mkdir(exist_ok=True)
        (self.home / "dagster.yaml").write_text(INSTANCE_YAML)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Nothing of the caller's hf-daily or Dagster settings leaks in.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_DAILY_", "DAGSTER_"))}
        env.update(
            DAGSTER_HOME=str(self.home), HF_DAILY_DATA_DIR=str(self.data), HF_DAILY_ARCHIVE_DIR=str(archive),
            HF_DAILY_TRANSLATOR_BACKEND=backend, HF_DAILY_TRANSLATOR_MODEL=model,
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        )
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dagster", "dev", "-m", "hf_daily.definitions",
             "-h", "127.0.0.1", "-p", str(self.port)],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: signals reach dagster dev and all its children
        )
        self.pgid = self.process.pid

    def log_tail(self, chars: int = 6000) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def graphql(self, query: str, **variables) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql", data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        assert not answer.get("errors"), answer["errors"]
        return answer["data"]

    def wait_until_loaded(self) -> None:
        """Until the webserver answers and the hf_daily code location has loaded."""
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"dagster dev exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                entries = self.graphql(
                    "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus"
                    " locationOrLoadError { __typename ... on PythonError { message } } } } } }"
                )["workspaceOrError"]["locationEntries"]
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                entries = []
            for entry in entries:
                if entry["loadStatus"] == "LOADED":
                    location = entry["locationOrLoadError"]
                    assert location["__typename"] == "RepositoryLocation", location
                    return
            time.sleep(0.5)
        pytest.fail(f"dagster dev did not load hf_daily within {STARTUP_S} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 90) -> int:
        """Ctrl-C for the whole process group; waits until every process in it has exited."""
        if self.process.poll() is None:
            os.killpg(self.pgid, signal.SIGINT)
        try:
            code = self.process.wait(timeout=timeout)
            deadline = time.monotonic() + 30
            while group_members(self.pgid) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            stuck = self.process.poll() is None or group_members(self.pgid)
            if stuck:
                os.killpg(self.pgid, signal.SIGKILL)
                self.process.wait()
            self.log.close()
            if stuck:
                raise AssertionError(f"dagster dev did not shut down on SIGINT:\n{self.log_tail()}")
        return code


RUN_QUERY = """query Run($id: ID!) { runOrError(runId: $id) { __typename ... on Run {
  runId status jobName tags { key value } } } }"""
RUN_ERRORS = """query Logs($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {
  ... on ExecutionStepFailureEvent { stepKey error { message cause { message } } }
  ... on EngineEvent { message error { message } } } } } }"""
BACKFILLS_QUERY = """{ partitionBackfillsOrError { ... on PartitionBackfills { results {
  id status numPartitions partitionNames runs(limit: 10) { runId status } } } } }"""


def wait_for_run(server: DagsterDev, run_id: str, timeout: float = RUN_S) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = server.graphql(RUN_QUERY, id=run_id)["runOrError"]
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            if run["status"] != "SUCCESS":
                events = server.graphql(RUN_ERRORS, id=run_id)["logsForRun"]["events"]
                pytest.fail(f"run {run_id} ended {run['status']}: "
                            f"{json.dumps([e for e in events if e.get('error')], indent=1)[:4000]}")
            return run
        time.sleep(1)
    pytest.fail(f"run {run_id} did not finish within {timeout} s:\n{server.log_tail()}")


# --- the pages -----------------------------------------------------------------------------------

def new_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, base_url=url)
    context.set_default_timeout(30 * MS)
    # Dagster's "Join the Dagster community" dialog opens over any page of a fresh DAGSTER_HOME, a second
    # after it loads. What its Skip button remembers is set up front, so it cannot cover a click...
    context.add_init_script("window.localStorage.setItem('communityNux', JSON.stringify('1'))")
    page = context.new_page()
    # ...and should that ever change, it is skipped whenever it shows.
    page.add_locator_handler(page.get_by_text("Join the Dagster community", exact=True), lambda _: skip(page))
    return page


def skip(page) -> None:
    try:
        page.get_by_role("button", name="Skip").click(timeout=5 * MS)
    except Exception:  # gone already, or the page is closing
        pass


def screenshot(page, name: str, folder: str | None = None) -> None:
    folder = folder or os.environ.get("HF_DAILY_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name))


def launch_from_the_asset_graph(page, partitions: str) -> str:
    """Lineage → Materialize all… → a custom partition selection of days → launch; returns the toast's text.

    The graph holds daily and weekly assets, so Dagster launches a backfill: the days' daily assets, and the
    weekly digest of each week holding one of them (downstream through the weekly partition mapping)."""
    page.goto("/")
    page.get_by_role("link", name=re.compile(r"\bLineage$")).click()
    page.get_by_text("Global asset lineage", exact=True).wait_for()
    page.get_by_role("button", name="Materialize all…").click()
    dialog = page.get_by_role("dialog")
    box = dialog.get_by_role("textbox")
    box.wait_for()
    # The dialog offers the last 90 days first; the archive's days may be older than that.
    if dialog.get_by_text("Show all partitions").count():
        dialog.get_by_text("Show all partitions").click()
    page.wait_for_function("() => !document.querySelector('[role=dialog] input[type=text]')"
                           ".placeholder.startsWith('No matching')")
    box.fill(partitions)
    box.press("Enter")
    dialog.get_by_role("button", name="Launch backfill", exact=True).click()
    dialog.wait_for(state="hidden")
    toast = page.get_by_text(re.compile(r"^(Launched run|Created backfill)")).first
    toast.wait_for()
    return toast.inner_text()


def newest_backfill_id(server: DagsterDev) -> str:
    return server.graphql(BACKFILLS_QUERY)["partitionBackfillsOrError"]["results"][0]["id"]


def backfill_runs(server: DagsterDev, backfill: dict) -> dict[str, dict]:
    """The backfill's runs, each waited for, by what they cover: a day, a range of days or a week."""
    covered = {}
    for run in backfill["runs"]:
        tags = {t["key"]: t["value"] for t in wait_for_run(server, run["runId"])["tags"]}
        first, last = (tags.get("dagster/partition"),) * 2 if "dagster/partition" in tags else (
            tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"])
        covered[first if first == last else f"{first}...{last}"] = run
    return covered


def show_the_whole_graph(page) -> None:
    """The global asset graph with every group (a stage of the pipeline) open, all of it in view."""
    page.goto("/asset-groups")
    page.get_by_role("button", name="Materialize all…").wait_for()
    page.get_by_role("button", name="panel_show_right", exact=True).click()  # fold the asset list away
    page.get_by_role("button", name="settings", exact=True).click()  # the graph's settings menu
    page.get_by_role("menuitem", name="Expand all groups").click()
    page.keyboard.press("Escape")
    names = ("raw_responses", "paper_translations", "hot_fields", "newsletter_issue", "weekly_digest")
    page.get_by_text("newsletter_issue", exact=True).first.wait_for()
    viewport = page.viewport_size
    def in_view(asset: str) -> bool:
        # The graph draws only the nodes in view: one outside it is not in the page at all.
        found = page.get_by_text(asset, exact=True)
        box = found.first.bounding_box() if found.count() else None
        return bool(box) and box["x"] >= 0 and box["y"] >= 0 and \
            box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"]
    # The graph opens fitted to a part of it: zoom out until every stage, the weekly one too, is in view.
    for _ in range(8):
        if all(map(in_view, names)):
            break
        page.get_by_role("button", name="zoom_out", exact=True).click()
        page.wait_for_timeout(300)
    assert all(map(in_view, names)), [n for n in names if not in_view(n)]


def open_asset(page, asset: str) -> tuple[int | None, dict[str, str]]:
    """The asset's page, once its latest materialization has shown up: its row count and metadata table."""
    page.goto(f"/assets/{asset}")
    page.get_by_text("Latest materialization").wait_for()
    table = page.locator("table:has(thead td:text-is('Timestamp'))")
    table.wait_for()
    rows = [row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all()]
    shown = {cells[0].strip(): cells[-1].strip() for cells in rows if len(cells) >= 3}
    count = re.search(r"Row count\s+([\d,]+)", page.locator("body").inner_text())
    return (int(count.group(1).replace(",", "")) if count else None), shown


def open_issue_preview(page, day: str):
    """newsletter_issue's page (already open) → the `preview` metadata → the rendered Markdown dialog."""
    page.get_by_text("[Show Markdown]").first.click()
    dialog = page.get_by_role("dialog")
    title = dialog.get_by_role("heading", name=f"Hugging Face 每日论文速递 · {day}")
    title.wait_for()
    title.scroll_into_view_if_needed()  # the dialog focuses its Close button, at the bottom
    return dialog


# --- the tests -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory):
    if not SHARED_API.is_dir():
        pytest.skip(f"{SHARED_API} is absent: the real Daily Papers archive lives in ../shared beside the checkout")
    folder = tmp_path_factory.mktemp("ui")
    model = folder / "tiny-qwen2"
    server = DagsterDev(folder, model=str(model))
    try:
        build_tiny_causal_lm(model)  # while dagster dev starts: the model is only read by runs
        server.wait_until_loaded()
        yield server
    finally:
        if not server.log.closed:
            server.stop()


@pytest.fixture(scope="module")
def browser(dagster_dev):
    with launch_chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, dagster_dev):
    page = new_page(browser, dagster_dev.url)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.context.close()
    assert not errors, errors


def test_materialize_a_day_from_the_asset_graph(page, dagster_dev):
    toast = launch_from_the_asset_graph(page, DAY)
    assert "backfill" in toast.lower(), toast
    backfill = wait_for_backfill(dagster_dev, newest_backfill_id(dagster_dev), lambda b: b["status"] != "REQUESTED")
    assert backfill["status"] == "COMPLETED_SUCCESS", backfill
    # One run for the day's daily assets, then one for its week's digest (2025-W52, Monday 2025-12-22).
    assert sorted(backfill_runs(dagster_dev, backfill)) == ["2025-12-22", DAY]
    assert "本周 1 天共 **6** 篇论文" in (dagster_dev.data / "weekly" / "2025-W52.md").read_text()

    show_the_whole_graph(page)
    screenshot(page, "asset-graph.png")

    # The issue: its metadata, then its Markdown preview as the UI renders it.
    rows, shown = open_asset(page, "newsletter_issue")
    assert rows == 1
    assert shown["days"] == DAY and shown["paper_count"] == "6"
    assert shown["path"].endswith(f"issues/{DAY}.md")
    dialog = open_issue_preview(page, DAY)
    preview = dialog.inner_text()
    assert "今日共 6 篇论文" in preview
    assert "原标题：Latent Implicit Visual Reasoning" in preview
    numbered = [h for h in dialog.get_by_role("heading").all_inner_texts() if re.match(r"^\d+\. ", h)]
    assert [h.split(".")[0] for h in numbered] == ["1", "2", "3", "4", "5", "6"]
    assert all(re.search(r"[\u4e00-\u9fff]", h) for h in numbered)  # the Chinese titles
    assert dialog.get_by_role("link", name="arXiv").first.get_attribute("href") == "https://arxiv.org/abs/2512.21218"
    screenshot(page, "issue.png")
    assert "今日共 **6** 篇论文" in (dagster_dev.data / "issues" / f"{DAY}.md").read_text()

    # Row counts, as the asset pages show them.
    assert open_asset(page, "papers")[0] == 6
    assert open_asset(page, "authors")[0] == 35
    assert 1 <= open_asset(page, "hot_fields")[0] <= 3
    rows, shown = open_asset(page, "paper_translations")
    assert rows == 6
    assert "tiny" in shown["model_id"] and shown["texts_translated"] == "12" and shown["cache_hits"] == "0"

    # The charts, inline: PNG data that the browser decodes.
    _, shown = open_asset(page, "charts")
    assert shown["trend_chart_path"].endswith(f"charts/{DAY}/trend.png")
    page.get_by_text("[Show Markdown]").first.click()
    image = page.get_by_role("dialog").locator("img").first
    image.wait_for()
    assert image.get_attribute("src").startswith("data:image/png;base64,")
    assert image.evaluate("img => img.complete && img.naturalWidth") > 100


def wait_for_backfill(server: DagsterDev, backfill_id: str, done, timeout: float = RUN_S) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        [backfill] = [b for b in server.graphql(BACKFILLS_QUERY)["partitionBackfillsOrError"]["results"]
                      if b["id"] == backfill_id]
        if done(backfill) or backfill["status"] not in ("REQUESTED", "COMPLETED_SUCCESS"):
            return backfill
        if time.monotonic() > deadline:
            pytest.fail(f"backfill not done within {timeout} s: {backfill}\n{server.log_tail()}")
        time.sleep(1)


def test_backfill_three_days_from_the_asset_graph(page, dagster_dev):
    start, end = BACKFILL
    toast = launch_from_the_asset_graph(page, f"[{start}...{end}]")
    assert "backfill" in toast.lower(), toast
    backfill_id = newest_backfill_id(dagster_dev)
    backfill = wait_for_backfill(dagster_dev, backfill_id, lambda b: b["status"] != "REQUESTED")
    # BackfillPolicy.multi_run(max_partitions_per_run=7): one run for the three days; then their week's digest.
    assert sorted(backfill_runs(dagster_dev, backfill)) == ["2025-12-22", f"{start}...{end}"]

    # The assets' latest metadata covers the range.
    assert open_asset(page, "papers")[0] == 13 + 6
    assert open_asset(page, "newsletter_issue")[0] == 3
    _, shown = open_asset(page, "paper_translations")
    assert shown["days"] == "2025-12-25 .. 2025-12-27 (3 days)"
    assert shown["cache_hits"] == "12"  # 2025-12-26's titles and abstracts, translated by the first run
    assert shown["texts_translated"] == "26"
    con = duckdb.connect(str(dagster_dev.data / "warehouse.duckdb"), read_only=True)
    try:
        issues = con.execute("SELECT day::VARCHAR, paper_count FROM newsletter_issues ORDER BY day").fetchall()
    finally:
        con.close()
    assert issues == [("2025-12-25", 13), ("2025-12-26", 6), ("2025-12-27", 0)]
    for day, _ in issues:
        assert (dagster_dev.data / "issues" / f"{day}.md").is_file()

    # The backfill itself, as a user checks on it.
    assert backfill["status"] == "COMPLETED_SUCCESS", backfill
    page.goto(f"/runs/b/{backfill['id']}")
    page.get_by_text("Succeeded", exact=True).first.wait_for()
    assert page.get_by_text(f"{start}...{end}", exact=True).count() == 1  # the partition selection
    assets = dagster_dev.graphql("{ assetNodes { id } }")["assetNodes"]
    assert page.get_by_text("100% completed").count() == len(assets)  # every asset, all three days


def test_dagster_dev_shuts_down_cleanly_on_sigint(dagster_dev):
    assert dagster_dev.stop() == 0
    assert not group_members(dagster_dev.pgid)
    assert "Dagster services shut down." in dagster_dev.log_tail()
