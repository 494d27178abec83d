"""The whole asset graph, materialized for real into a temporary warehouse with a tiny translation model."""

import datetime as dt
import json
import re
from pathlib import Path

import duckdb

from hf_daily.runner import materialize

DAY = dt.date(2025, 12, 26)
TABLES = ["papers", "authors", "organizations", "upvote_snapshots", "paper_translations", "translation_cache",
          "paper_keywords", "daily_keyword_counts", "paper_fields", "hot_fields", "newsletter_issues",
          "raw_responses"]


def run(data_dir, archive, tiny_model, instance, start, end=None, **kw):
    results = materialize(start, end, data_dir=str(data_dir), archive_dir=str(archive),
                          translator={"backend": "causal", "model": str(tiny_model), "max_new_tokens": 8},
                          instance=instance, **kw)
    assert all(r.success for r in results)
    return results


def snapshot(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}
    finally:
        con.close()


def metadata(result, key: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_a_real_day_end_to_end(tmp_path, shared_api, tiny_model, instance):
    [result] = run(tmp_path, shared_api, tiny_model, instance, DAY)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    count = lambda table: con.execute(f"SELECT count(*) FROM {table} WHERE day = ?", [DAY]).fetchone()[0]
    assert count("papers") == 6
    assert count("authors") == 35
    assert count("upvote_snapshots") == 6
    assert count("paper_translations") == 6
    assert con.execute("SELECT count(*) FROM translation_cache").fetchone()[0] == 12
    assert con.execute("SELECT count(*) FROM paper_translations WHERE title_zh = '' OR abstract_zh = ''").fetchone()[0] == 0
    assert count("paper_keywords") > 6 and count("hot_fields") >= 1
    titles = [r[0] for r in con.execute("SELECT title FROM papers WHERE day = ? ORDER BY upvotes DESC, rank", [DAY]).fetchall()]
    con.close()

    issue = (tmp_path / "issues" / "2025-12-26.md").read_text()
    assert "今日共 **6** 篇论文" in issue
    headings = re.findall(r"^## (\d+)\. (.+)$", issue, re.M)
    assert [n for n, _ in headings] == ["1", "2", "3", "4", "5", "6"]
    originals = re.findall(r"^\*\*原标题\*\*：(.+)$", issue, re.M)
    assert [o.replace("\\", "") for o in originals] == titles
    assert all(re.search(r"[\u4e00-\u9fff]", h) for _, h in headings)
    assert "Latent Implicit Visual Reasoning" in issue
    assert "[HuggingFace](https://huggingface.co/papers/2512.21218) · [arXiv](https://arxiv.org/abs/2512.21218)" in issue
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", issue):
        assert (tmp_path / "issues" / image).resolve().is_file(), image
    assert (tmp_path / "charts" / "2025-12-26" / "trend.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "charts" / "2025-12-26" / "wordcloud.png").read_bytes()[:4] == b"\x89PNG"

    assert metadata(result, "newsletter_issue")["paper_count"] == 6
    assert metadata(result, "newsletter_issue")["preview"] == issue
    assert metadata(result, "papers")["dagster/row_count"] == 6
    assert metadata(result, "paper_translations")["texts_translated"] == 12
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    # The tiny model writes a few random Chinese characters, so the quality gate rightly flags it.
    assert checks == {"unique_paper_ids": True, "counts_match_raw_responses": True, "every_paper_translated": True,
                      "translations_pass_quality_checks": False}
    [gate] = [c for c in result.get_asset_check_evaluations() if c.check_name == "translations_pass_quality_checks"]
    flagged = gate.metadata["flagged"].value
    assert len(flagged) == 6 and flagged[0].startswith("2025-12-26 ")

    # Re-materializing translates nothing, fetches nothing, and changes no row and no file.
    before = snapshot(tmp_path / "warehouse.duckdb")
    images = {p: p.read_bytes() for p in (tmp_path / "charts").rglob("*.png")}
    [again] = run(tmp_path, shared_api, tiny_model, instance, DAY)
    assert metadata(again, "paper_translations")["texts_translated"] == 0
    assert metadata(again, "paper_translations")["cache_hits"] == 12
    assert metadata(again, "raw_responses")["already_stored_days"] == 1
    assert snapshot(tmp_path / "warehouse.duckdb") == before
    assert (tmp_path / "issues" / "2025-12-26.md").read_text() == issue
    assert {p: p.read_bytes() for p in (tmp_path / "charts").rglob("*.png")} == images


def write_archive(folder: Path, day: dt.date, papers: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{day.isoformat()}.json").write_text(json.dumps(papers))
    return folder


def fake(paper_id, title, upvotes=1):
    return {"paper": {"id": paper_id, "title": title, "upvotes": upvotes,
                      "summary": f"We study {title.lower()} with large language models.",
                      "authors": [{"name": "Ada <b>Lovelace</b>"}],
                      "submittedOnDailyAt": "2025-12-24T01:00:00.000Z"}, "numComments": 0}


def test_an_empty_day_materializes_cleanly(tmp_path, tiny_model, instance):
    archive = write_archive(tmp_path / "archive", dt.date(2025, 12, 24), [])
    run(tmp_path / "data", archive, tiny_model, instance, dt.date(2025, 12, 27))  # no file at all: a weekend
    run(tmp_path / "data", archive, tiny_model, instance, dt.date(2025, 12, 24))  # a file holding []
    for day in ("2025-12-27", "2025-12-24"):
        issue = (tmp_path / "data" / "issues" / f"{day}.md").read_text()
        assert "今日共 **0** 篇论文" in issue and "今天没有新论文" in issue
        assert (tmp_path / "data" / "charts" / day / "wordcloud.png").is_file()


def test_a_range_in_one_run_equals_day_by_day(tmp_path, tiny_model, instance):
    archive = tmp_path / "archive"
    write_archive(archive, dt.date(2025, 12, 22), [fake("2512.00001", "Agents"), fake("2512.00002", "Robots", 5)])
    write_archive(archive, dt.date(2025, 12, 23), [fake("2512.00003", "Speech"), fake("2512.00001", "Agents")])
    # Four days: enough for the run over the range to make its audio, posters and charts in worker processes.
    start, end = dt.date(2025, 12, 21), dt.date(2025, 12, 24)
    [single] = run(tmp_path / "one", archive, tiny_model, instance, start, end)
    assert len(run(tmp_path / "many", archive, tiny_model, instance, start, end, per_day=True)) == 4
    for day in ("2025-12-21", "2025-12-22", "2025-12-23", "2025-12-24"):
        for made in (f"posters/{day}.png", f"audio/{day}.mp3", f"charts/{day}/trend.png", f"charts/{day}/wordcloud.png"):
            assert (tmp_path / "one" / made).stat().st_size > 1000, made
    one, many = snapshot(tmp_path / "one" / "warehouse.duckdb"), snapshot(tmp_path / "many" / "warehouse.duckdb")
    for table in TABLES:
        if table not in ("raw_responses", "translation_cache", "newsletter_issues"):  # these hold times or paths
            assert one[table] == many[table], table
    issue = (tmp_path / "one" / "issues" / "2025-12-23.md").read_text()
    assert "曾于 2025-12-22 上榜" in issue  # 2512.00001 was featured the day before
    assert "Ada \\<b\\>Lovelace\\</b\\>" in issue
