"""The daily steps over the warehouse, one function per step, each for a list of days.

These are plain functions (no Dagster): the assets in ``hf_daily.defs`` call them
and report what they return. Each step reads what it needs, does its slow work
with no connection open, and then replaces its days' rows in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hf_daily import warehouse as wh
from hf_daily.api import RawPage, parse_page
from hf_daily.normalize import normalize_day
from hf_daily.render import Issue, IssuePaper, render_issue
from hf_daily.translate import Translator, source_hash

log = logging.getLogger(__name__)

Fetch = Callable[[dt.date], list[RawPage]]


def write_atomically(path: Path, data: str | bytes) -> Path:
    """Write a file so that readers see the old or the new content, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# --- fetch ---------------------------------------------------------------------------------------

@dataclass
class FetchReport:
    fetched: list[dt.date] = field(default_factory=list)
    unchanged: list[dt.date] = field(default_factory=list)
    skipped: list[dt.date] = field(default_factory=list)
    pages: int = 0
    papers: int = 0
    # Days read from an archive file holding exactly one full API page: the rest may be missing.
    possibly_truncated: list[dt.date] = field(default_factory=list)


def _eta(done: int, total: int, elapsed: float) -> str:
    if not done:
        return "unknown"
    return f"{elapsed / done * (total - done):.0f} s"


class DayProgress:
    """Days done and left, with an estimate of the time left, for the logs of a long backfill.

    It logs the first and the last day, and otherwise at most every ``every_s`` seconds,
    so that a run of a thousand days stays readable.
    """

    def __init__(self, step: str, total: int, progress: Callable[[str], None] = log.info, every_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.step, self.total, self.every_s = step, total, every_s
        self._progress, self._clock = progress, clock
        self._started = self._last = clock()
        self.done = 0

    def day_done(self, day: dt.date, detail: str = "") -> None:
        self.done += 1
        now = self._clock()
        if self.total > 1 and (self.done in (1, self.total) or now - self._last >= self.every_s):
            self._last = now
            left = self.total - self.done
            eta = f", ETA {_eta(self.done, self.total, now - self._started)}" if left else ""
            self._progress(f"{self.step}: {self.done}/{self.total} days done ({day}{detail}), {left} left{eta}")


# Fetched days are stored in batches: opening and closing the warehouse costs about 0.2 s (a checkpoint
# and its fsyncs), far more than reading a day from an archive. The time bound keeps what a crash can
# lose small and lets other writers in between batches.
FETCH_BATCH_DAYS = 64
FETCH_BATCH_SECONDS = 5.0


def fetch_days(warehouse: wh.Warehouse, fetch: Fetch, days: Sequence[dt.date], refresh: bool = False,
               on_day: Callable[[int, int], None] | None = None,
               progress: Callable[[str], None] | None = None) -> FetchReport:
    """Fetch and keep every day not fetched yet (all of them when ``refresh``)."""
    from hf_daily.archive import possibly_truncated_days

    report = FetchReport()
    with warehouse.connect() as con:
        have = wh.fetched_days(con, list(days))
    tracker = DayProgress("fetch", len(days), progress) if progress else None
    pending: list[tuple[dt.date, list[RawPage]]] = []
    last_store = time.monotonic()

    def store(con) -> None:
        for day, pages in pending:
            (report.fetched if wh.store_fetch(con, day, pages) else report.unchanged).append(day)
        pending.clear()

    for done, day in enumerate(days, start=1):
        if day in have and not refresh:
            report.skipped.append(day)
            detail = ", already stored"
        else:
            pages = fetch(day)  # slow network work: no connection held
            papers = sum(len(parse_page(p.body, day=day, url=p.url)) for p in pages)
            report.pages += len(pages)
            report.papers += papers
            detail = f", {papers} papers"
            if pages:
                pending.append((day, pages))
            else:
                report.unchanged.append(day)  # nothing to keep: an archive without the day
            if len(pending) >= FETCH_BATCH_DAYS or (pending and time.monotonic() - last_store >= FETCH_BATCH_SECONDS):
                with warehouse.connect() as con:  # the write lock is held only while writing
                    store(con)
                last_store = time.monotonic()
        if tracker:
            tracker.day_done(day, detail)
        if on_day:
            on_day(done, len(days))
    with warehouse.connect() as con:
        store(con)
        # From the store, not this run's fetches, so that days imported earlier are flagged too.
        report.possibly_truncated = possibly_truncated_days(con, days)
    report.fetched.sort()
    report.unchanged.sort()
    return report


# --- normalize -----------------------------------------------------------------------------------

@dataclass
class NormalizeReport:
    rows: dict[str, int]
    papers_per_day: dict[dt.date, int]
    raw_papers_per_day: dict[dt.date, int]  # distinct ids in the fetch the rows come from
    duplicate_ids: dict[dt.date, list[str]]


def normalize_days(warehouse: wh.Warehouse, days: Sequence[dt.date]) -> NormalizeReport:
    with warehouse.connect() as con:
        normalized = [normalize_day(day, wh.stored_fetches(con, day)) for day in days]
        frames = {
            name: pd.concat([getattr(n, name) for n in normalized], ignore_index=True)
            for name in ("papers", "authors", "upvote_snapshots")
        }
        organizations = pd.concat([n.organizations for n in normalized], ignore_index=True)
        organizations = organizations.drop_duplicates("organization_id", keep="last")
        wh.replace_days(con, list(days), frames, upserts={"organizations": organizations})
        # Counted back from the table, so the check proves what was written, not what was meant to be.
        stored = dict(con.execute("SELECT day, count(*) FROM papers WHERE day IN (SELECT unnest(?)) GROUP BY day",
                                  [list(days)]).fetchall())
    return NormalizeReport(
        rows={name: len(frame) for name, frame in frames.items()} | {"organizations": len(organizations)},
        papers_per_day={day: stored.get(day, 0) for day in days},
        raw_papers_per_day={n.day: n.raw_paper_ids for n in normalized},
        duplicate_ids={n.day: n.duplicate_ids for n in normalized if n.duplicate_ids},
    )


# --- translate -----------------------------------------------------------------------------------

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
    from hf_daily.translate.quality import check_paper

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
    from hf_daily.translate.quality import check_paper

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


# --- keywords and fields -------------------------------------------------------------------------

def _papers_with_translations(con, days: Sequence[dt.date]) -> list[dict]:
    cursor = con.execute(
        """SELECT p.day, p.paper_id, p.title, p.abstract, p.ai_keywords, t.title_zh, t.abstract_zh
           FROM papers p LEFT JOIN paper_translations t USING (day, paper_id)
           WHERE p.day IN (SELECT unnest(?)) ORDER BY p.day, p.rank""",
        [list(days)],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _unique(items) -> list[str]:
    seen, out = set(), []
    for item in items:
        key = item.strip()
        if key and key.lower() not in seen:
            seen.add(key.lower())
            out.append(key)
    return out


def keyword_days(warehouse: wh.Warehouse, days: Sequence[dt.date], top_n: int = 8) -> dict[str, int]:
    """Each paper's English keywords (HF's, else our own) and Chinese keywords, and the days' counts."""
    from hf_daily.keywords import chinese_keywords, extract_english_keywords

    with warehouse.connect() as con:
        papers = _papers_with_translations(con, days)
    rows = []
    for p in papers:
        hf_keywords = list(p["ai_keywords"]) if p["ai_keywords"] is not None else []
        english = _unique(hf_keywords) or _unique(extract_english_keywords(p["title"], p["abstract"], top_n=top_n))
        source = "hf" if _unique(hf_keywords) else "extracted"
        rows += [{"day": p["day"], "paper_id": p["paper_id"], "lang": "en", "keyword": k, "source": source,
                  "rank": i} for i, k in enumerate(english, start=1)]
        zh_text = "。".join(t for t in (p["title_zh"], p["abstract_zh"]) if isinstance(t, str) and t)
        chinese = _unique(chinese_keywords(zh_text, top_n=top_n)) if zh_text else []
        rows += [{"day": p["day"], "paper_id": p["paper_id"], "lang": "zh", "keyword": k, "source": "jieba",
                  "rank": i} for i, k in enumerate(chinese, start=1)]
    keywords = pd.DataFrame(rows, columns=wh.TABLES["paper_keywords"].column_names)
    counts = (keywords.groupby(["day", "lang", "keyword"], as_index=False)["paper_id"].nunique()
              .rename(columns={"paper_id": "papers"}))
    with warehouse.connect() as con:
        wh.replace_days(con, list(days), {"paper_keywords": keywords, "daily_keyword_counts": counts})
    return {"paper_keywords": len(keywords), "daily_keyword_counts": len(counts)}


def field_days(warehouse: wh.Warehouse, days: Sequence[dt.date], top_n: int = 3) -> dict[dt.date, list[tuple[str, int]]]:
    """Classify each paper into the topic taxonomy and rank the days' hot fields."""
    from hf_daily.fields import classify_paper, hot_fields

    with warehouse.connect() as con:
        papers = _papers_with_translations(con, days)
        keywords = con.execute(
            "SELECT paper_id, day, list(keyword ORDER BY rank) FROM paper_keywords "
            "WHERE day IN (SELECT unnest(?)) AND lang = 'en' GROUP BY paper_id, day", [list(days)]).fetchall()
    keywords_of = {(day, pid): kws for pid, day, kws in keywords}
    field_rows, per_day = [], {day: [] for day in days}
    for p in papers:
        # The Chinese text joins the English as more title and abstract, not as keywords: a keyword
        # counts as strongly as the title, and one passing mention in an abstract should not.
        title = " ".join(t for t in (p["title"], p["title_zh"]) if isinstance(t, str))
        abstract = "\n\n".join(t for t in (p["abstract"], p["abstract_zh"]) if isinstance(t, str))
        fields = classify_paper(title, abstract, list(keywords_of.get((p["day"], p["paper_id"]), [])))
        per_day[p["day"]].append(fields)
        field_rows += [{"day": p["day"], "paper_id": p["paper_id"], "field": f} for f in fields]
    hot = {day: hot_fields(per_day[day], top_n=top_n) for day in days}
    hot_rows = [{"day": day, "rank": rank, "field": name, "papers": n}
                for day in days for rank, (name, n) in enumerate(hot[day], start=1)]
    with warehouse.connect() as con:
        wh.replace_days(con, list(days), {
            "paper_fields": pd.DataFrame(field_rows, columns=wh.TABLES["paper_fields"].column_names),
            "hot_fields": pd.DataFrame(hot_rows, columns=wh.TABLES["hot_fields"].column_names),
        })
    return hot


# --- charts --------------------------------------------------------------------------------------

TREND_DAYS = 30


def chart_dir(data_dir: Path, day: dt.date) -> Path:
    """Each day keeps its own charts: a later day never overwrites them."""
    return Path(data_dir) / "charts" / day.isoformat()


def _known_day_counts(con, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Papers per day from ``first`` to ``last``; days never fetched are absent (unknown, not zero)."""
    return con.execute(
        """SELECT f.day, coalesce(p.papers, 0)::INTEGER AS papers
           FROM (SELECT DISTINCT day FROM raw_responses WHERE day BETWEEN ? AND ?
                 UNION SELECT DISTINCT day FROM papers WHERE day BETWEEN ? AND ?) f
           LEFT JOIN (SELECT day, count(*) AS papers FROM papers WHERE day BETWEEN ? AND ? GROUP BY day) p
           USING (day) ORDER BY f.day""",
        [first, last] * 3,
    ).df()


def _word_cloud_frequencies(rows: list[tuple[str, str, int]]) -> dict[str, int]:
    """The day's Chinese keyword counts, or its English ones when nothing was translated."""
    chinese = {k: n for lang, k, n in rows if lang == "zh"}
    return chinese or {k: n for lang, k, n in rows if lang == "en"}


def chart_days(warehouse: wh.Warehouse, days: Sequence[dt.date], data_dir: Path) -> dict[dt.date, dict[str, Path]]:
    from hf_daily.parallel import map_days

    with warehouse.connect() as con:
        counts = _known_day_counts(con, min(days) - dt.timedelta(days=TREND_DAYS - 1), max(days))
        keywords = con.execute(
            """SELECT day, lang, keyword, papers FROM daily_keyword_counts WHERE day IN (SELECT unnest(?))
               ORDER BY day, papers DESC, keyword""", [list(days)]).fetchall()
    keywords_of: dict[dt.date, list[tuple[str, str, int]]] = {day: [] for day in days}
    for day, lang, keyword, papers in keywords:
        keywords_of[day].append((lang, keyword, papers))
    known = pd.to_datetime(counts["day"]).dt.date
    jobs = [(day, counts[(known > day - dt.timedelta(days=TREND_DAYS)) & (known <= day)].reset_index(drop=True),
             _word_cloud_frequencies(keywords_of[day]), chart_dir(data_dir, day)) for day in days]
    return dict(zip(days, map_days(_chart_job, jobs)))


def _chart_job(job: tuple[dt.date, pd.DataFrame, dict[str, int], Path]) -> dict[str, Path]:
    from hf_daily.charts import render_trend_chart, render_word_cloud

    day, window, frequencies, folder = job
    return {"trend_chart": render_trend_chart(window, day, folder / "trend.png"),
            "word_cloud": render_word_cloud(frequencies, folder / "wordcloud.png")}


# --- the issue -----------------------------------------------------------------------------------

def issue_path(data_dir: Path, day: dt.date) -> Path:
    return Path(data_dir) / "issues" / f"{day.isoformat()}.md"


def build_issues(warehouse: wh.Warehouse, days: Sequence[dt.date], data_dir: Path) -> dict[dt.date, Issue]:
    """The days' issues (papers by upvotes, hot fields, chart links), read in one connection."""
    with warehouse.connect() as con:
        papers = con.execute(
            """SELECT p.day, p.paper_id, p.title, t.title_zh, t.abstract_zh, p.hf_url, p.arxiv_url, p.github_repo,
                      p.project_page, p.upvotes, coalesce(o.fullname, o.name) AS organization,
                      (SELECT list(a.name ORDER BY a.position) FROM authors a
                        WHERE a.day = p.day AND a.paper_id = p.paper_id) AS authors,
                      (SELECT list(DISTINCT e.day ORDER BY e.day) FROM papers e
                        WHERE e.paper_id = p.paper_id AND e.day < p.day) AS previously_featured
               FROM papers p
               LEFT JOIN paper_translations t USING (day, paper_id)
               LEFT JOIN organizations o USING (organization_id)
               WHERE p.day IN (SELECT unnest(?)) ORDER BY p.day, p.upvotes DESC, p.rank""",
            [list(days)],
        ).fetchall()
        hot = con.execute("SELECT day, field, papers FROM hot_fields WHERE day IN (SELECT unnest(?)) "
                          "ORDER BY day, rank", [list(days)]).fetchall()
    papers_of: dict[dt.date, list[IssuePaper]] = {day: [] for day in days}
    for (day, pid, title, title_zh, abstract_zh, hf, arxiv, repo, page, upvotes, org, authors,
         previous) in papers:
        papers_of[day].append(IssuePaper(
            paper_id=pid, title=title, title_zh=title_zh or "", abstract_zh=abstract_zh or "", hf_url=hf,
            arxiv_url=arxiv, github_repo=repo, project_page=page, upvotes=upvotes, organization=org,
            authors=list(authors or []), previously_featured=list(previous or []),
        ))
    hot_of: dict[dt.date, list[tuple[str, int]]] = {day: [] for day in days}
    for day, name, n in hot:
        hot_of[day].append((name, n))

    def relative(path: Path, issue_file: Path) -> str | None:
        return os.path.relpath(path, issue_file.parent).replace(os.sep, "/") if path.exists() else None

    issues = {}
    for day in days:
        issue_file, folder = issue_path(data_dir, day), chart_dir(data_dir, day)
        issues[day] = Issue(
            day=day, papers=papers_of[day], hot_fields=hot_of[day],
            word_cloud=relative(folder / "wordcloud.png", issue_file),
            trend_chart=relative(folder / "trend.png", issue_file),
            extra_links=delivery_links(day),
        )
    return issues


def delivery_links(day: dt.date) -> list[tuple[str, str]]:
    """The day's other formats, relative to the Markdown issue (written by the delivery assets)."""
    d = day.isoformat()
    return [("网页版", f"../site/{d}.html"), ("语音播报（MP3）", f"../audio/{d}.mp3"), ("文字稿", f"../audio/{d}.txt"),
            ("海报", f"../posters/{d}.png"), ("Atom 订阅", "../site/feed.xml")]


def issue_days(warehouse: wh.Warehouse, days: Sequence[dt.date], data_dir: Path) -> dict[dt.date, tuple[Path, str, Issue]]:
    issues = build_issues(warehouse, days, data_dir)
    out, rows = {}, []
    for day, issue in issues.items():
        markdown = render_issue(issue)
        path = write_atomically(issue_path(data_dir, day), markdown)
        out[day] = (path, markdown, issue)
        rows.append({"day": day, "paper_count": len(issue.papers), "hot_fields": [n for n, _ in issue.hot_fields],
                     "path": str(path), "markdown": markdown})
    with warehouse.connect() as con:
        wh.replace_days(con, list(days), {
            "newsletter_issues": pd.DataFrame(rows, columns=wh.TABLES["newsletter_issues"].column_names)})
    return out
