"""translation.translate_days: the cache, and re-translating flagged papers with another model."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from hf_daily.steps import normalize, translation
from hf_daily import warehouse as wh
from hf_daily.sources.page import RawPage
from hf_daily_tests.loopback import fake_papers

DAY = dt.date(2025, 12, 26)


class Scripted:
    """A translator whose abstracts keep the paper's number, or (``loses_numbers``) drop it; titles keep it."""

    def __init__(self, model_id: str, loses_numbers: bool) -> None:
        self.model_id, self.loses_numbers = model_id, loses_numbers
        self.texts: list[str] = []

    def translate(self, texts, kind, progress=None):
        self.texts += texts
        numbers = [re.search(r"\d+", t)[0] for t in texts]
        if kind == "title":
            return [f"假论文{n}：扩展回环服务器" for n in numbers]
        return ["我们研究论文。它有两个句子。" if self.loses_numbers else f"我们研究第{n}篇论文。它有两个句子。"
                for n in numbers]


@pytest.fixture
def warehouse(tmp_path):
    warehouse = wh.Warehouse(tmp_path / "warehouse.duckdb")
    fetched = dt.datetime(2025, 12, 27, tzinfo=dt.timezone.utc)
    with warehouse.connect() as con:
        wh.store_fetch(con, DAY, [RawPage(DAY, 0, "http://api/p0", fetched, 200, json.dumps(fake_papers(6)))])
    normalize.normalize_days(warehouse, [DAY])
    return warehouse


def rows(warehouse):
    with warehouse.connect() as con:
        return con.execute("SELECT paper_id, title_zh, abstract_zh, model_id FROM paper_translations "
                           "ORDER BY paper_id").fetchall()


def test_translates_once_and_flags_what_fails_the_checks(warehouse):
    primary = Scripted("fake:small", loses_numbers=True)
    report = translation.translate_days(warehouse, primary, [DAY])
    assert (report.papers, report.cache_hits, report.translated, report.retranslated) == (6, 0, 12, 0)
    assert {r[3] for r in rows(warehouse)} == {"fake:small"}
    flagged = translation.flagged_translations(warehouse, [DAY])
    assert [(day, pid) for day, pid, _ in flagged] == [(DAY, f"2512.{n:05d}") for n in range(1, 7)]
    assert flagged[0][2] == ["abstract: numbers lost: 1"]

    again = Scripted("fake:small", loses_numbers=True)
    assert translation.translate_days(warehouse, again, [DAY]).translated == 0 and again.texts == []


def test_flagged_papers_are_translated_again_and_the_better_translation_kept(warehouse):
    translation.translate_days(warehouse, Scripted("fake:small", loses_numbers=True), [DAY])
    strong = Scripted("fake:strong", loses_numbers=False)
    report = translation.translate_days(warehouse, Scripted("fake:small", loses_numbers=True), [DAY], retranslator=strong)
    assert (report.translated, report.retranslated, report.improved) == (0, 6, 6)
    assert len(strong.texts) == 12  # both fields of the six flagged papers
    assert rows(warehouse)[0] == ("2512.00001", "假论文1：扩展回环服务器", "我们研究第1篇论文。它有两个句子。", "fake:strong")
    assert translation.flagged_translations(warehouse, [DAY]) == []
    better = rows(warehouse)

    # A later run with the same settings translates nothing and chooses the same.
    small, strong_again = Scripted("fake:small", loses_numbers=True), Scripted("fake:strong", loses_numbers=False)
    report = translation.translate_days(warehouse, small, [DAY], retranslator=strong_again)
    assert rows(warehouse) == better and small.texts == strong_again.texts == [] and report.improved == 6
    # Without the retranslator, the first model's translations are used again (both stay cached).
    translation.translate_days(warehouse, small, [DAY])
    assert {r[3] for r in rows(warehouse)} == {"fake:small"} and small.texts == []


def test_a_retranslation_that_is_no_better_is_not_used(warehouse):
    same = Scripted("fake:other", loses_numbers=True)
    report = translation.translate_days(warehouse, Scripted("fake:small", loses_numbers=True), [DAY], retranslator=same)
    assert (report.retranslated, report.improved) == (6, 0)
    assert {r[3] for r in rows(warehouse)} == {"fake:small"}
    with warehouse.connect() as con:  # the attempt is cached all the same: it is never made twice
        assert con.execute("SELECT count(*) FROM translation_cache WHERE model_id = 'fake:other'").fetchone() == (12,)
