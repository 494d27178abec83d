"""Translating the days' titles and abstracts, through the translation cache."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from hf_daily import warehouse as wh
from hf_daily.translate import Translator, chunk_size_for, source_hash
from hf_daily.translate.quality import check_paper

log = logging.getLogger(__name__)


@dataclass
class TranslateReport:
    model_id: str
    papers: int
    cache_hits: int
    translated: int
    seconds: float
    untranslated: list[tuple[dt.date, str]]
    # Flagged papers translated again by the retranslator, and those whose new translation was kept.
    retranslated: int = 0
    improved: int = 0


Todo = tuple[str, str, str, str]  # (paper_id, field, source hash, English text)


def _translate_into_cache(warehouse: wh.Warehouse, translator: Translator, todo: list[Todo],
                          cached: dict[tuple[str, str, str, str], str], progress: Callable[[str], None],
                          chunk_size: int) -> None:
    """Translate ``todo`` in chunks, keeping each chunk in translation_cache (and ``cached``) as soon as it is done."""
    total_chars = sum(len(t[3]) for t in todo) or 1
    done, done_chars = 0, 0
    load = getattr(translator, "load", None)
    started = time.monotonic()
    if todo and load is not None:
        # Load (and on first use prepare) the model before the clock starts, so the ETA is translation time.
        progress(f"loading {translator.model_id}")
        load()
        started = time.monotonic()
    chunk_size = chunk_size_for(translator, chunk_size)
    # Titles first: they are short, so a day's issue gets its headings early if a run is cut short.
    for kind in ("title", "abstract"):
        items = [t for t in todo if t[1] == kind]
        for start in range(0, len(items), chunk_size):
            batch = items[start:start + chunk_size]
            t0 = time.monotonic()

            def on_progress(n_done, _total, _base=done, _chars=done_chars, _batch=batch, _kind=kind):
                # Weighted by characters: a title costs far less than an abstract.
                chars = _chars + sum(len(t[3]) for t in _batch[:n_done])
                elapsed = time.monotonic() - started
                eta = f"{elapsed / chars * (total_chars - chars):.0f} s" if chars else "unknown"
                progress(f"translated {_base + n_done}/{len(todo)} texts ({_kind}s), "
                         f"{len(todo) - _base - n_done} left, ETA {eta}")

            outputs = translator.translate([t[3] for t in batch], kind, progress=on_progress)
            seconds = (time.monotonic() - t0) / len(batch)
            now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            kept = [(t, out.strip()) for t, out in zip(batch, outputs) if out and out.strip()]
            rows = pd.DataFrame(
                [{"paper_id": pid, "field": f, "source_hash": h, "model_id": translator.model_id, "text_zh": out,
                  "seconds": seconds, "translated_at": now} for (pid, f, h, _), out in kept],
                columns=wh.TABLES["translation_cache"].column_names,
            )
            with warehouse.connect() as con:
                wh.upsert(con, "translation_cache", rows)
            cached.update({(pid, f, h, translator.model_id): out for (pid, f, h, _), out in kept})
            done += len(batch)
            done_chars += sum(len(t[3]) for t in batch)


def _missing(papers, model_id: str, cached) -> list[Todo]:
    todo: dict[tuple[str, str, str], Todo] = {}
    for _, pid, title, abstract in papers:
        for f, text in (("title", title), ("abstract", abstract)):
            key = (pid, f, source_hash(text))
            if text and (*key, model_id) not in cached:
                todo.setdefault(key, (*key, text))
    return list(todo.values())


def translate_days(warehouse: wh.Warehouse, translator: Translator, days: Sequence[dt.date],
                   progress: Callable[[str], None] = log.info, chunk_size: int = 64,
                   retranslator: Translator | None = None) -> TranslateReport:
    """Translate every title and abstract of the days that the cache does not already hold.

    With a ``retranslator`` (a stronger model, say), the papers whose translation fails the quality
    checks are translated again by it, and its translation is used where it has fewer problems
    (paper_translations.model_id says which model each paper's text came from). Both stay cached,
    so later runs with the same settings translate nothing again and choose the same.
    """
    with warehouse.connect() as con:
        papers = con.execute(
            "SELECT day, paper_id, title, abstract FROM papers WHERE day IN (SELECT unnest(?)) ORDER BY day, rank",
            [list(days)],
        ).fetchall()
        models = list(dict.fromkeys([translator.model_id, *([retranslator.model_id] if retranslator else [])]))
        wanted = {(pid, f, source_hash(text)) for _, pid, title, abstract in papers
                  for f, text in (("title", title), ("abstract", abstract)) if text}
        cached = {
            (pid, f, h, model): text
            for pid, f, h, model, text in con.execute(
                "SELECT paper_id, field, source_hash, model_id, text_zh FROM translation_cache "
                "WHERE model_id IN (SELECT unnest(?))", [models]).fetchall()
            if (pid, f, h) in wanted
        }
    todo = _missing(papers, translator.model_id, cached)
    hits = len(wanted) - len(todo)
    started = time.monotonic()
    if todo:
        progress(f"translating {len(todo)} texts with {translator.model_id} ({hits} already cached)")
    _translate_into_cache(warehouse, translator, todo, cached, progress, chunk_size)

    def choose(pid, title, abstract, models) -> tuple[str, str, str] | None:
        """(model, title, abstract) of the candidate with the fewest problems; the first model wins ties."""
        found = []
        for model in models:
            title_zh = cached.get((pid, "title", source_hash(title), model))
            abstract_zh = cached.get((pid, "abstract", source_hash(abstract), model)) if abstract else ""
            if title_zh is not None and abstract_zh is not None:
                found.append((model, title_zh, abstract_zh))
        if len(found) < 2:
            return found[0] if found else None
        return min(found, key=lambda c: len(check_paper(title, abstract or "", c[1], c[2])))

    chosen = {(day, pid): choose(pid, title, abstract, models[:1]) for day, pid, title, abstract in papers}
    retranslated = improved = 0
    if retranslator is not None:
        flagged = [p for p in papers if chosen[p[:2]] is not None
                   and check_paper(p[2], p[3] or "", chosen[p[:2]][1], chosen[p[:2]][2])]
        again = _missing(flagged, retranslator.model_id, cached)
        if flagged:
            texts = sum(1 for p in flagged for text in p[2:] if text)
            progress(f"{len(flagged)} papers fail the quality checks: translating them with {retranslator.model_id} "
                     f"({len(again)} texts, {texts - len(again)} already cached)")
        _translate_into_cache(warehouse, retranslator, again, cached, progress, chunk_size)
        for day, pid, title, abstract in flagged:
            best = choose(pid, title, abstract, models)
            retranslated += 1
            improved += best is not None and best[0] != chosen[(day, pid)][0]
            chosen[(day, pid)] = best
    rows, untranslated = [], []
    for day, pid, _, _ in papers:
        if chosen[(day, pid)] is None:
            untranslated.append((day, pid))
            continue
        model, title_zh, abstract_zh = chosen[(day, pid)]
        rows.append({"day": day, "paper_id": pid, "title_zh": title_zh, "abstract_zh": abstract_zh, "model_id": model})
    with warehouse.connect() as con:
        wh.replace_days(con, list(days), {
            "paper_translations": pd.DataFrame(rows, columns=wh.TABLES["paper_translations"].column_names)})
    return TranslateReport(translator.model_id, len(papers), hits, len(todo), time.monotonic() - started, untranslated,
                           retranslated, improved)


def flagged_translations(warehouse: wh.Warehouse, days: Sequence[dt.date]) -> list[tuple[dt.date, str, list[str]]]:
    """The days' papers whose translation fails the quality heuristics, with the problems found."""
    with warehouse.connect() as con:
        rows = con.execute(
            """SELECT p.day, p.paper_id, p.title, p.abstract, t.title_zh, t.abstract_zh
               FROM papers p JOIN paper_translations t USING (day, paper_id)
               WHERE p.day IN (SELECT unnest(?)) ORDER BY p.day, p.rank""", [list(days)]).fetchall()
    flagged = []
    for day, pid, title, abstract, title_zh, abstract_zh in rows:
        problems = check_paper(title, abstract, title_zh, abstract_zh)
        if problems:
            flagged.append((day, pid, problems))
    return flagged
