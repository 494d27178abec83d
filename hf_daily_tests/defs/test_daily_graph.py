"""The whole asset graph, materialized for real into a temporary warehouse with a tiny translation model."""

import datetime as dt
import re

import duckdb

from hf_daily_tests.factories import WAREHOUSE_TABLES, api_item, materialize_days, metadata, table_snapshot, write_archive

DAY = dt.date(2025, 12, 26)


def test_a_real_day_end_to_end(tmp_path, shared_api, tiny_causal_lm, instance):
    [result] = materialize_days(tmp_path, shared_api, tiny_causal_lm, instance, DAY)
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
    before = table_snapshot(tmp_path / "warehouse.duckdb")
    images = {p: p.read_bytes() for p in (tmp_path / "charts").rglob("*.png")}
    [again] = materialize_days(tmp_path, shared_api, tiny_causal_lm, instance, DAY)
    assert metadata(again, "paper_translations")["texts_translated"] == 0
    assert metadata(again, "paper_translations")["cache_hits"] == 12
    assert metadata(again, "raw_responses")["already_stored_days"] == 1
    assert table_snapshot(tmp_path / "warehouse.duckdb") == before
    assert (tmp_path / "issues" / "2025-12-26.md").read_text() == issue
    assert {p: p.read_bytes() for p in (tmp_path / "charts").rglob("*.png")} == images


def test_an_empty_day_materializes_cleanly(tmp_path, tiny_causal_lm, instance):
    archive = write_archive(tmp_path / "archive", dt.date(2025, 12, 24), [])
    materialize_days(tmp_path / "data", archive, tiny_causal_lm, instance, dt.date(2025, 12, 27))  # no file at all: a weekend
    materialize_days(tmp_path / "data", archive, tiny_causal_lm, instance, dt.date(2025, 12, 24))  # a file holding []
    for day in ("2025-12-27", "2025-12-24"):
        issue = (tmp_path / "data" / "issues" / f"{day}.md").read_text()
        assert "今日共 **0** 篇论文" in issue and "今天没有新论文" in issue
        assert (tmp_path / "data" / "charts" / day / "wordcloud.png").is_file()


def test_a_range_in_one_run_equals_day_by_day(tmp_path, tiny_causal_lm, instance):
    archive = tmp_path / "archive"
    write_archive(archive, dt.date(2025, 12, 22), [api_item("2512.00001", "Agents"), api_item("2512.00002", "Robots", 5)])
    write_archive(archive, dt.date(2025, 12, 23), [api_item("2512.00003", "Speech"), api_item("2512.00001", "Agents")])
    # Four days: enough for the run over the range to make its audio, posters and charts in worker processes.
    start, end = dt.date(2025, 12, 21), dt.date(2025, 12, 24)
    [single] = materialize_days(tmp_path / "one", archive, tiny_causal_lm, instance, start, end)
    assert len(materialize_days(tmp_path / "many", archive, tiny_causal_lm, instance, start, end, per_day=True)) == 4
    for day in ("2025-12-21", "2025-12-22", "2025-12-23", "2025-12-24"):
        for made in (f"posters/{day}.png", f"audio/{day}.mp3", f"charts/{day}/trend.png", f"charts/{day}/wordcloud.png"):
            assert (tmp_path / "one" / made).stat().st_size > 1000, made
    one, many = table_snapshot(tmp_path / "one" / "warehouse.duckdb"), table_snapshot(tmp_path / "many" / "warehouse.duckdb")
    for table in WAREHOUSE_TABLES:
        if table not in ("raw_responses", "translation_cache", "newsletter_issues"):  # these hold times or paths
            assert one[table] == many[table], table
    issue = (tmp_path / "one" / "issues" / "2025-12-23.md").read_text()
    assert "曾于 2025-12-22 上榜" in issue  # 2512.00001 was featured the day before
    assert "Ada \\<b\\>Lovelace\\</b\\>" in issue
