"""Exposure: servers listen on 127.0.0.1 unless told otherwise; secrets come only from the
environment, travel only in the Authorization header to the API's own host, and are never logged,
stored in the warehouse, written to a file or kept in Dagster's run records."""

from __future__ import annotations

import dataclasses
import logging
import re
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hf_daily import cli
from hf_daily import warehouse as wh
from hf_daily.defs import resources
from hf_daily.runner import materialize
from hf_daily.translate import TranslatorConfig
from hf_daily_tests.faults.support import (
    DAY, TOKEN, client, failure_messages, good, model_id, page_url, seed_translations, stub_model,
)
from hf_daily_tests.loopback import LoopbackServer, Reply, Request

PACKAGE = Path(__file__).resolve().parents[2] / "hf_daily"
SECRET_NAME = re.compile(r"(^|_)(token|secret|password|passwd|api_?key|credentials?|auth)($|_)", re.IGNORECASE)


def test_the_ui_listens_on_localhost_by_default(tmp_path, monkeypatch):
    calls = []

    class Started:
        def __init__(self, command, **kwargs):
            calls.append(command)

        def wait(self):
            return 0

    monkeypatch.setattr(subprocess, "Popen", Started)
    assert cli.main(["ui", "--data-dir", str(tmp_path)]) == 0
    [command] = calls
    assert command[command.index("dev") - 1:command.index("dev") + 1] == ["dagster", "dev"]
    assert command[command.index("-h") + 1] == "127.0.0.1"


def test_no_server_in_the_package_binds_every_interface():
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"""["']0\.0\.0\.0["']|["']::["']|host\s*=\s*["']["']""", source), path


def test_secrets_cannot_be_configuration():
    """Run config is shown in the UI and stored with every run: no field there may hold a secret."""
    for resource in (resources.StorageResource, resources.DailyPapersResource, resources.TranslatorResource,
                     resources.GitPublishResource):
        assert not [name for name in resource.model_fields if SECRET_NAME.search(name)], resource
    assert not [f.name for f in dataclasses.fields(TranslatorConfig) if SECRET_NAME.search(f.name)]


def everything_written(data_dir: Path) -> list[tuple[str, str]]:
    """(where, text) for every row of every warehouse table and every file under the data folder."""
    found = []
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        for table in wh.TABLES:
            found += [(table, repr(row)) for row in con.execute(f"SELECT * FROM {table}").fetchall()]
    finally:
        con.close()
    for path in data_dir.rglob("*"):
        if path.is_file() and path.suffix != ".duckdb":
            found.append((str(path), path.read_bytes().decode("utf-8", errors="replace")))
    return found


def run_records(instance: dg.DagsterInstance, result) -> str:
    """Everything Dagster keeps about a run: its config and tags, and every event and log line."""
    from dagster._serdes import serialize_value

    run = instance.get_run_by_id(result.run_id)
    return serialize_value(run) + "".join(serialize_value(entry) for entry in instance.all_logs(result.run_id))


def test_the_token_goes_only_to_the_api_and_nowhere_else(tmp_path, loopback, monkeypatch, caplog, capfd):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    translator = stub_model(tmp_path / "stub-model")
    seed_translations(tmp_path / "warehouse.duckdb", {DAY: good()}, model_id(translator, tmp_path))
    loopback.script(Reply(503), Reply.json(good()))
    with caplog.at_level(logging.DEBUG), dg.DagsterInstance.ephemeral() as instance:
        [result] = materialize(DAY, data_dir=str(tmp_path), base_url=loopback.base_url, translator=translator,
                               instance=instance, raise_on_error=False, daily_papers={"retries": 1, "backoff_s": 0})
        records = run_records(instance, result)
    assert result.success, failure_messages(result)

    assert len(loopback.requests) == 2
    for request in loopback.requests:
        assert request.header("authorization") == f"Bearer {TOKEN}"
        others = {k: v for k, v in request.headers.items() if k != "authorization"}
        assert TOKEN not in request.target + repr(others) + request.body.decode()
    assert any("retry 1 of 1" in r.getMessage() for r in caplog.records)  # the retry was logged ...
    assert TOKEN not in caplog.text  # ... without the token
    out, err = capfd.readouterr()
    assert TOKEN not in out + err
    assert TOKEN not in records
    assert not [where for where, text in everything_written(tmp_path) if TOKEN in text]


def test_the_token_does_not_follow_a_redirect_to_another_host(loopback):
    with LoopbackServer(Reply.json(good())) as elsewhere:
        loopback.script(Reply(302, headers={"Location": page_url(elsewhere.base_url)}))
        pages = client(loopback.base_url, token=TOKEN).fetch_day(DAY)
        assert [p.url for p in pages] == [page_url(loopback.base_url)]
        assert loopback.requests[0].header("authorization") == f"Bearer {TOKEN}"
        [followed] = elsewhere.requests
        assert followed.header("authorization") is None


def echo(request: Request) -> Reply:
    """A misconfigured base_url pointing at a debugging echo page: it shows the request headers back."""
    return Reply(200, f"<html>Authorization: {request.header('authorization')}</html>", {"Content-Type": "text/html"})


def test_a_server_echoing_the_token_does_not_get_it_into_messages(tmp_path, loopback, monkeypatch, capfd):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    loopback.script(echo)
    with dg.DagsterInstance.ephemeral() as instance:
        [result] = materialize(DAY, data_dir=str(tmp_path), base_url=loopback.base_url, instance=instance,
                               translator=stub_model(tmp_path / "stub-model"), raise_on_error=False,
                               daily_papers={"retries": 0})
        records = run_records(instance, result)
    [message] = failure_messages(result)
    assert "is not JSON" in message and "Bearer <HF_TOKEN>" in message and TOKEN not in message
    out, err = capfd.readouterr()
    assert [where for where, text in [("stdout", out), ("stderr", err), ("Dagster's run records", records)]
            if TOKEN in text] == []
