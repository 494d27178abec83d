"""`hf-daily report`, `hf-daily sql` and `hf-daily import --raw-only`, against temporary warehouses."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
import textwrap

import pytest

from hf_daily import cli
from hf_daily.defs import resources
from hf_daily_tests.factories import analytics_warehouse, api_item, folder_of_every_shape, write_archive
from hf_daily_tests.loopback import LoopbackServer, Reply, Request


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    analytics_warehouse(folder / "warehouse.duckdb")
    return folder


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sql_prints_an_aligned_table(capsys, data_dir):
    code, out, _ = run(capsys, "sql", "SELECT paper_id, days_featured, days FROM repeat_papers", "--data-dir",
                       str(data_dir))
    assert code == 0
    assert out.splitlines() == [
        "paper_id  days_featured  days",
        "--------  -------------  ----------------------",
        "E                     2  2025-12-22, 2025-12-23",
        "(1 row)",
    ]


def test_sql_as_csv_and_json(capsys, data_dir):
    query = "SELECT iso_week, field, papers, share_pct FROM hot_field_trends_weekly ORDER BY week, rank, field"
    code, out, _ = run(capsys, "sql", query, "--format", "csv", "--data-dir", str(data_dir))
    assert code == 0
    assert list(csv.reader(io.StringIO(out))) == [
        ["iso_week", "field", "papers", "share_pct"], ["2025-W48", "多模态", "1", "100.0"],
        ["2025-W52", "多模态", "2", "66.7"], ["2025-W52", "智能体", "2", "66.7"]]
    code, out, _ = run(capsys, "sql", "SELECT paper_id, days, upvotes FROM repeat_papers", "--format", "json",
                       "--data-dir", str(data_dir))
    assert json.loads(out) == [{"paper_id": "E", "days": ["2025-12-22", "2025-12-23"], "upvotes": 25}]


def test_sql_reads_the_query_from_stdin(capsys, data_dir, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("SELECT count(*) AS n FROM papers"))
    assert run(capsys, "sql", "-", "--format", "csv", "--data-dir", str(data_dir))[1] == "n\n8\n"


def test_chinese_text_is_aligned_by_display_width():
    table = cli.format_table(["field", "n"], [["多模态", 2], ["agents", 10]])
    assert table.splitlines()[:4] == ["field    n", "------  --", "多模态   2", "agents  10"]


def test_long_cells_are_clipped_in_tables_only():
    assert cli.format_table(["t"], [["x" * 80]], max_width=10).splitlines()[2] == "xxxxxxxxx…"
    assert cli.format_table(["t"], [["x" * 80]], max_width=0).splitlines()[2] == "x" * 80


def test_report_lists_the_reports(capsys, data_dir):
    code, out, _ = run(capsys, "report", "--data-dir", str(data_dir))
    assert code == 0 and "top_papers" in out and "rising" in out and "hf-daily report NAME" in out


def test_report_runs_a_named_report(capsys, data_dir):
    code, out, _ = run(capsys, "report", "organizations", "--format", "json", "--data-dir", str(data_dir))
    assert code == 0
    assert [(r["rank"], r["organization"], r["papers"]) for r in json.loads(out)] == [(1, "Org One", 3), (2, "two", 3)]


def test_an_unknown_report_lists_the_known_ones(capsys, data_dir):
    code, _, err = run(capsys, "report", "nope", "--data-dir", str(data_dir))
    assert code == 2 and "no report named 'nope'" in err and "papers_per_day" in err


def test_a_bad_query_says_what_to_do(capsys, data_dir):
    code, _, err = run(capsys, "sql", "SELECT * FROM no_such_table", "--data-dir", str(data_dir))
    assert code == 1 and "no_such_table" in err and "information_schema.tables" in err


def test_writing_is_refused_with_the_reason(capsys, data_dir):
    code, _, err = run(capsys, "sql", "DELETE FROM papers", "--data-dir", str(data_dir))
    assert code == 1 and "read-only" in err and "hf-daily materialize" in err


def test_a_missing_warehouse_says_how_to_make_one(capsys, tmp_path):
    code, _, err = run(capsys, "sql", "SELECT 1", "--data-dir", str(tmp_path))
    assert code == 2 and "No warehouse" in err and "materialize" in err


def test_a_run_holding_the_write_lock_is_explained(capsys, data_dir, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    analytics_warehouse(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, duckdb
            con = duckdb.connect({str(db)!r})
            print("locked", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        code, _, err = run(capsys, "report", "papers_per_day", "--data-dir", str(tmp_path), "--wait", "0.3")
    finally:
        holder.communicate("\n", timeout=30)
    assert code == 3
    assert "being written by another process" in err and "--wait SECONDS" in err and "run the command again" in err
    assert run(capsys, "report", "papers_per_day", "--data-dir", str(tmp_path))[0] == 0  # free again


def test_import_raw_only_reports_each_file(capsys, tmp_path):
    folder = folder_of_every_shape(tmp_path / "archive")
    code, out, err = run(capsys, "import", str(folder), "--data-dir", str(tmp_path / "data"), "--raw-only")
    assert code == 1  # one file was rejected
    lines = out.splitlines()
    assert lines[0].split() == ["file", "day", "shape", "papers", "flag", "stored"]
    assert any(line.split() == ["2025-12-23.json", "2025-12-23", "string-items", "2", "new", "fetch", "1"]
               for line in lines)
    assert any("2025-12-26.json" in line and "possibly truncated" in line for line in lines)
    assert any("2025-12-25.json" in line and "REJECTED" in line for line in lines)
    assert "rejected: " in err and "2025-12-25.json" in err and "neither JSON nor a Python literal" in err
    assert "imported 4 file(s), 55 papers; rejected 1" in out
    assert "ignored 1 file(s) not ending in .json: README.txt" in out
    assert "hold exactly 50 papers" in out

    code, out, _ = run(capsys, "sql", "SELECT count(DISTINCT day) AS days FROM raw_responses", "--format", "csv",
                       "--data-dir", str(tmp_path / "data"))
    assert out == "days\n4\n"


def test_import_of_a_missing_folder_fails_clearly(capsys, tmp_path):
    code, _, err = run(capsys, "import", str(tmp_path / "nowhere"), "--data-dir", str(tmp_path), "--raw-only")
    assert code == 2 and "not a folder" in err


def test_import_materializes_each_run_of_days_but_never_across_a_rejected_file(capsys, tmp_path, monkeypatch):
    import hf_daily.runner as runner

    calls = []

    class Result:
        success = True

    monkeypatch.setattr(runner, "materialize", lambda start, end, **kw: calls.append((start, end, kw)) or [Result()])
    folder = folder_of_every_shape(tmp_path / "archive")  # 22, 23, 24 and 26 import; 25 is rejected
    code, out, _ = run(capsys, "import", str(folder), "--data-dir", str(tmp_path / "data"), "--model", "m")
    assert code == 1
    assert [(str(a), str(b)) for a, b, _ in calls] == [("2025-12-22", "2025-12-24"), ("2025-12-26", "2025-12-26")]
    for _, _, kw in calls:
        # Days without a file are read from an empty folder, not fetched from the API.
        assert kw["archive_dir"] != str(folder) and kw["translator"] == {"model": "m"}


def test_a_retranslator_that_names_no_model_is_refused_before_any_work(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["materialize", "2025-12-26", "--data-dir", str(tmp_path), "--retranslate-flagged-with", "deepseek"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "'deepseek' names no model" in err and "openai:deepseek-chat" in err
    assert not (tmp_path / "warehouse.duckdb").exists()


@pytest.mark.parametrize("command", [["materialize", "2025-12-26"], ["import", "."]])
def test_bad_feed_filters_are_refused_before_any_work(capsys, tmp_path, monkeypatch, command):
    monkeypatch.setenv("HF_DAILY_FEED_FILTERS", '[{"name": "Agents", "include": ["agent*"]}]')
    with pytest.raises(SystemExit) as exit_:
        cli.main([*command, "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith("hf-daily: HF_DAILY_FEED_FILTERS: filter 1's name 'Agents'")
    assert not (tmp_path / "warehouse.duckdb").exists()


# --- translator settings: defaults, then the environment, then flags ---------------------------------

API_KEY = "sk-loopback-secret"
PROXIES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def _chat_completion(request: Request) -> Reply:
    return Reply.json({"choices": [{"index": 0, "message": {"role": "assistant", "content": "视觉推理的研究"}}]})


@pytest.fixture
def openai_server(monkeypatch):
    """An OpenAI-compatible API on the loopback, named only by the environment, as in a deployment."""
    for name in (*PROXIES, "DAGSTER_HOME", "HF_DAILY_TRANSLATOR_BACKEND", "HF_DAILY_TRANSLATOR_MODEL"):
        monkeypatch.delenv(name, raising=False)
    with LoopbackServer(fallback=_chat_completion) as server:
        monkeypatch.setenv("HF_DAILY_OPENAI_BASE_URL", server.base_url + "/v1")
        monkeypatch.setenv("HF_DAILY_OPENAI_API_KEY", API_KEY)
        yield server


def _asked(server: LoopbackServer) -> set[tuple[str, str]]:
    return {(r.path, json.loads(r.body)["model"]) for r in server.requests}


def test_materialize_with_backend_flags_keeps_the_environments_base_url(capsys, tmp_path, openai_server):
    archive = write_archive(tmp_path / "archive", dt.date(2025, 12, 22), [api_item("2512.00001", "Agents")])
    code, out, err = run(capsys, "materialize", "2025-12-22", "--archive", str(archive), "--data-dir",
                         str(tmp_path / "data"), "--backend", "openai", "--model", "my-model")
    assert code == 0, err
    # Both texts of the one paper went to the environment's server, with the model the flag named.
    assert _asked(openai_server) == {("/v1/chat/completions", "my-model")}
    assert "视觉推理的研究" in (tmp_path / "data" / "issues" / "2025-12-22.md").read_text(encoding="utf-8")
    assert API_KEY not in out + err


def test_materialize_base_url_flag_overrides_the_environment(capsys, tmp_path, openai_server, monkeypatch):
    monkeypatch.setenv("HF_DAILY_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    archive = write_archive(tmp_path / "archive", dt.date(2025, 12, 22), [api_item("2512.00001", "Agents")])
    code, _, err = run(capsys, "materialize", "2025-12-22", "--archive", str(archive), "--data-dir",
                       str(tmp_path / "data"), "--backend", "openai", "--model", "m",
                       "--base-url", openai_server.base_url + "/v1")
    assert code == 0, err
    assert _asked(openai_server) == {("/v1/chat/completions", "m")}


def test_import_offers_every_backend_and_keeps_the_environments_base_url(capsys, tmp_path, openai_server):
    archive = write_archive(tmp_path / "archive", dt.date(2025, 12, 22), [api_item("2512.00001", "Agents")])
    code, _, err = run(capsys, "import", str(archive), "--data-dir", str(tmp_path / "data"),
                       "--backend", "openai", "--model", "my-model")
    assert code == 0, err
    assert _asked(openai_server) == {("/v1/chat/completions", "my-model")}


def test_translate_with_backend_flags_keeps_the_environments_base_url(capsys, tmp_path, openai_server):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": "2512.00001", "title": "Agents", "abstract": ""}) + "\n")
    code, _, err = run(capsys, "translate", str(source), str(target), "--backend", "openai", "--model", "my-model")
    assert code == 0, err
    assert _asked(openai_server) == {("/v1/chat/completions", "my-model")}
    assert json.loads(target.read_text())["title_zh"] == "视觉推理的研究"


def test_the_ui_resource_and_the_flags_layer_over_the_environment(monkeypatch):
    monkeypatch.setenv("HF_DAILY_TRANSLATOR_BACKEND", "openai")
    monkeypatch.setenv("HF_DAILY_TRANSLATOR_MODEL", "env-model")
    monkeypatch.setenv("HF_DAILY_OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("HF_DAILY_RETRANSLATE_FLAGGED_WITH", "openai:strong")
    ui = resources.default_resources()["translator"]
    assert (ui.backend, ui.model, ui.base_url, ui.retranslate_flagged_with) == (
        "openai", "env-model", "http://127.0.0.1:1/v1", "openai:strong")
    assert ui.runtime == "auto" and ui.max_new_tokens == 512  # the defaults, where nothing names a setting
    # A flag replaces only the setting it names.
    assert resources.resource_config("translator", {"model": "flag-model", "gguf_file": None}) == {
        "backend": "openai", "model": "flag-model", "base_url": "http://127.0.0.1:1/v1",
        "retranslate_flagged_with": "openai:strong"}


def test_abstract_units_come_from_the_environment_and_a_flag_overrides_them(monkeypatch):
    monkeypatch.setenv("HF_DAILY_TRANSLATOR_ABSTRACT_UNITS", "whole")
    ui = resources.default_resources()["translator"]
    assert ui.abstract_units == "whole"
    assert resources.resource_config("translator", {"abstract_units": "sentences"})["abstract_units"] == "sentences"
    monkeypatch.delenv("HF_DAILY_TRANSLATOR_ABSTRACT_UNITS")
    assert resources.default_resources()["translator"].abstract_units == "sentences"


# --- hf-daily subscribers ------------------------------------------------------------------------

def test_subscribers_are_added_listed_changed_and_removed(capsys, tmp_path):
    folder = str(tmp_path)
    assert run(capsys, "subscribers", "add", "Alice@Example.org", "--name", "Alice", "--data-dir", folder,
               "--include-field", "智能体,多模态", "--exclude-keyword", "robots")[0] == 0
    assert run(capsys, "subscribers", "add", "bob@example.org", "--include-keyword", "扩散", "--data-dir", folder) == \
        (0, "added bob@example.org\n", "")
    code, out, _ = run(capsys, "subscribers", "list", "--format", "json", "--data-dir", folder)
    listed = json.loads(out)
    assert [(s["email"], s["include_fields"], s["exclude_keywords"], s["include_keywords"]) for s in listed] == [
        ("alice@example.org", "智能体, 多模态", "robots", ""), ("bob@example.org", "", "", "扩散")]
    # Adding again replaces the filters.
    assert run(capsys, "subscribers", "add", "alice@example.org", "--data-dir", folder)[1] == "updated alice@example.org\n"
    assert run(capsys, "subscribers", "remove", "BOB@example.org", "--data-dir", folder)[1] == "removed bob@example.org\n"
    code, out, _ = run(capsys, "subscribers", "list", "--format", "csv", "--data-dir", folder)
    assert [r["email"] for r in csv.DictReader(io.StringIO(out))] == ["alice@example.org"]
    assert json.loads(run(capsys, "subscribers", "list", "--all", "--format", "json", "--data-dir", folder)[1])[0][
        "include_fields"] == ""
    assert run(capsys, "subscribers", "remove", "bob@example.org", "--forget", "--data-dir", folder)[0] == 0
    assert len(json.loads(run(capsys, "subscribers", "list", "--all", "--format", "json", "--data-dir", folder)[1])) == 1


def test_subscribers_bad_input_is_explained(capsys, tmp_path):
    folder = str(tmp_path)
    code, _, err = run(capsys, "subscribers", "add", "not-an-address", "--data-dir", folder)
    assert code == 2 and "is not an e-mail address like reader@example.org" in err
    code, _, err = run(capsys, "subscribers", "add", "a@example.org", "--include-field", "魔法", "--data-dir", folder)
    assert code == 2 and "no field named 魔法; the fields are: 大语言模型、多模态" in err
    code, _, err = run(capsys, "subscribers", "remove", "nobody@example.org", "--data-dir", folder)
    assert code == 1 and "no subscriber nobody@example.org" in err
    code, _, err = run(capsys, "subscribers", "resend", "nobody@example.org", "2025-12-26", "--data-dir", folder)
    assert code == 1 and "nothing recorded for nobody@example.org on 2025-12-26" in err


def test_weekly_makes_the_digests_and_warns_of_a_week_the_api_lists_otherwise(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    analytics_warehouse(tmp_path / "warehouse.duckdb")
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "2025-W52.json").write_text(json.dumps([api_item(pid, f"Paper {pid}") for pid in ("E", "F", "X")]))
    code, out, err = run(capsys, "weekly", "2025-12-15", "2025-12-28", "--archive", str(archive),
                         "--data-dir", str(tmp_path))
    assert code == 0, err
    assert out.strip().splitlines()[-1] == (
        f"done: 2 weekly digest(s); the last at {tmp_path}/weekly/2025-W52.md, {tmp_path}/site/2025-W52.html; "
        f"feed {tmp_path}/site/weekly.xml")
    assert ('warning: weekly_papers_match_api failed: {"2025-W52": {"missing_from_warehouse": ["X"], '
            '"not_listed_by_api": ["G"]}}') in err
    assert (tmp_path / "weekly" / "2025-W51.md").is_file()


def test_weekly_refuses_a_week_that_has_not_ended(capsys, tmp_path):
    today = dt.datetime.now(dt.timezone.utc).date()
    if today.weekday() == 0:
        pytest.skip("on a Monday (UTC) every day the command accepts (up to yesterday) lies in a week that has ended")
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    with pytest.raises(SystemExit):
        run(capsys, "weekly", yesterday, "--data-dir", str(tmp_path))
    assert "has not ended yet (UTC): its digest can be made from the Monday after it" in capsys.readouterr().err
