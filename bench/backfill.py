"""Benchmark: backfill the shared archive into a fresh warehouse, in one run and day by day.

Translations are cached beforehand (fake Chinese text keyed exactly as the translator keys
its cache), so the timings cover everything but translating: fetching from the archive,
normalizing, keywords, fields, charts, issues, and Dagster's own run overhead.

    .venv/bin/python bench/backfill.py                      # both modes, all 65 days
    .venv/bin/python bench/backfill.py --modes single       # skip the ~7 minute day-by-day run
    .venv/bin/python bench/backfill.py --start 2025-12-01   # a shorter range

Each mode runs in its own Python process, so that peak memory (max RSS) and import costs
are its own. The goal (issue 4): under 1 s per day in the single run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED_API = ROOT.parent / "shared" / "hf_daily_api"
# Terms the real translations are full of, so that jieba and the field classifier see realistic text.
_TERMS = ("大语言模型 多模态 智能体 扩散模型 强化学习 推理 基准 数据集 视觉 语言模型 生成 检索增强 对齐 微调 训练 评估 "
          "方法 实验 性能 显著 提升 框架 机器人 视频 图像 代码 数学 注意力 混合专家 蒸馏 奖励 规划 工具 记忆 语音 三维 "
          "安全 幻觉 效率 长上下文 开源 预训练 表示 编码器 解码器 世界模型 具身 导航 医学 分子").split()


def translator_config(data_dir: Path) -> dict:
    # A model folder that does not exist: a cache miss fails at once instead of loading a real model for minutes.
    return {"backend": "causal", "model": str(data_dir / "no-model-here-translations-are-cached")}


def fake_chinese(text: str) -> str:
    """Deterministic Chinese-looking text about as long as a real translation of ``text``."""
    seed = hashlib.sha256(text.encode()).digest()
    words, i = [], 0
    target = max(6, len(text) // 3)
    while sum(map(len, words)) < target:
        words.append(_TERMS[seed[i % len(seed)] % len(_TERMS)] + ("，" if i % 4 == 3 else ""))
        i += 1
        if i % len(seed) == 0:
            seed = hashlib.sha256(seed).digest()
    return "本文" + "".join(words) + "。"


def prefill_translations(data_dir: Path, archive: Path, days: list[dt.date], kind: str = "chinese") -> int:
    """Cache a translation of every title and abstract the run will need, keyed as the translator keys them.

    ``kind`` "chinese" caches Chinese-looking text of realistic length (for timing); "english" caches
    the English source itself, so that fields and keywords come from real text (for example output).
    """
    import pandas as pd

    from hf_daily import warehouse as wh
    from hf_daily.sources.archive import ArchiveSource
    from hf_daily.steps.normalize import normalize_day
    from hf_daily.translate import TranslatorConfig, load_translator, source_hash

    model_id = load_translator(TranslatorConfig(data_dir=str(data_dir), **translator_config(data_dir))).model_id
    source = ArchiveSource(archive)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    rows = {}
    for day in days:
        pages = source.fetch_day(day)
        if not pages:
            continue
        for paper in normalize_day(day, [pages]).papers.itertuples():
            for field, text in (("title", paper.title), ("abstract", paper.abstract)):
                if text:
                    key = (paper.paper_id, field, source_hash(text), model_id)
                    rows[key] = (*key, fake_chinese(text) if kind == "chinese" else text, 0.0, now)
    frame = pd.DataFrame(list(rows.values()), columns=wh.TABLES["translation_cache"].column_names)
    with wh.Warehouse(data_dir / "warehouse.duckdb").connect() as con:
        wh.upsert(con, "translation_cache", frame)
    return len(frame)


def step_seconds(instance, run_id: str) -> dict[str, float]:
    import dagster as dg

    starts, seconds = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            seconds[event.step_key] = seconds.get(event.step_key, 0.0) + entry.timestamp - starts[event.step_key]
    return seconds


def _cpu() -> float:
    # Ours and our finished worker processes' (audio, posters and charts are made in workers).
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def worker(mode: str, data_dir: Path, archive: Path, start: dt.date, end: dt.date, kind: str) -> dict:
    """One mode in this process: returns timings and counts as JSON-able data."""
    t0 = time.perf_counter()
    import dagster as dg

    from hf_daily.runner import dagster_home, materialize

    imported = time.perf_counter() - t0
    # Here, not in the parent: the cache key includes the prompt version of the code this process runs.
    t1 = time.perf_counter()
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    cached = prefill_translations(data_dir, archive, days, kind)
    prefill = time.perf_counter() - t1
    with dg.DagsterInstance.from_config(str(dagster_home(data_dir))) as instance:
        t1, cpu = time.perf_counter(), _cpu()
        results = materialize(start, end, data_dir=str(data_dir), archive_dir=str(archive),
                              per_day=(mode == "per-day"), translator=translator_config(data_dir),
                              instance=instance, raise_on_error=False)
        wall, cpu = time.perf_counter() - t1, _cpu() - cpu
        steps: dict[str, float] = {}
        for result in results:
            for key, value in step_seconds(instance, result.run_id).items():
                steps[key] = steps.get(key, 0.0) + value
    translated = sum(
        e.materialization.metadata["texts_translated"].value
        for r in results for e in r.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "paper_translations"
    )
    return {
        "mode": mode, "runs": len(results), "ok": all(r.success for r in results), "wall_s": wall, "cpu_s": cpu,
        "import_s": imported, "prefill_s": prefill, "cached": cached, "texts_translated": translated, "steps": steps,
        # Linux reports ru_maxrss in KiB; for children, the largest one's.
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def table_digest(db: Path) -> dict[str, str]:
    import duckdb

    skip = {"raw_responses", "translation_cache", "newsletter_issues"}  # these hold times or paths
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {n: hashlib.sha256(repr(sorted(map(repr, con.execute(f"SELECT * FROM {n}").fetchall()))).encode())
                .hexdigest() for n in names if n not in skip}
    finally:
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, default=SHARED_API)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--modes", default="single,per-day", help="comma-separated: single, per-day")
    parser.add_argument("--keep", type=Path, help="build the warehouses in this folder and keep them")
    parser.add_argument("--translations", choices=["chinese", "english"], default="chinese",
                        help="cache fake Chinese (timing) or the English text itself (example output)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    files = sorted(args.archive.glob("*.json"))
    if not files:
        parser.error(f"no YYYY-MM-DD.json files in {args.archive}")
    start = args.start or dt.date.fromisoformat(files[0].stem)
    end = args.end or dt.date.fromisoformat(files[-1].stem)

    if args.worker:
        print(json.dumps(worker(args.worker, args.data_dir, args.archive, start, end, args.translations)))
        return 0

    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    with_papers = [d for d in days if (args.archive / f"{d}.json").exists()]
    root = args.keep or Path(tempfile.mkdtemp(prefix="hf-daily-bench-"))
    rows, digests = [], {}
    load = os.getloadavg()
    env = dict(os.environ)
    env.pop("DAGSTER_HOME", None)  # each warehouse gets its own instance under its data dir
    for mode in args.modes.split(","):
        data_dir = root / mode
        if data_dir.exists():
            parser.error(f"{data_dir} exists: the benchmark needs a fresh warehouse; remove it or pick --keep")
        data_dir.mkdir(parents=True)
        print(f"{mode}: running ...", flush=True)
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--worker", mode, "--data-dir", str(data_dir), "--archive", str(args.archive),
             "--start", start.isoformat(), "--end", end.isoformat(), "--translations", args.translations],
            env=env, capture_output=True, text=True, check=False,
        )
        process_s = time.perf_counter() - t0
        if out.returncode:
            print(out.stderr[-4000:], file=sys.stderr)
            return 1
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["process_s"] = process_s
        rows.append(result)
        digests[mode] = table_digest(data_dir / "warehouse.duckdb")

    print(f"\nBackfill {start} .. {end}: {len(days)} days ({len(with_papers)} with papers), "
          f"archive {args.archive}, translations cached\n")
    # CPU time (this process and its workers) as well as wall time: on a shared machine the wall time
    # also measures the neighbours; on 2 CPUs a CPU time above the wall time is the workers at work.
    print(f"load average before the runs: {load[0]:.1f} on {os.cpu_count()} CPUs\n")
    print("| mode | runs | wall (s) | s/day (all days) | s/day (days with papers) | CPU (s) | CPU s/day "
          "| whole process (s) | peak RSS (MiB) | worker peak RSS (MiB) | texts translated |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['mode']} | {r['runs']} | {r['wall_s']:.1f} | {r['wall_s'] / len(days):.2f} "
              f"| {r['wall_s'] / len(with_papers):.2f} | {r['cpu_s']:.1f} | {r['cpu_s'] / len(days):.2f} "
              f"| {r['process_s']:.1f} | {r['peak_rss_mib']:.0f} | {r['worker_peak_rss_mib']:.0f} "
              f"| {r['texts_translated']} |")
    for r in rows:
        total = sum(r["steps"].values())
        print(f"\n{r['mode']}: time in steps {total:.1f} s of {r['wall_s']:.1f} s (the rest is Dagster run overhead)\n")
        print("| step | s | s/day |")
        print("|---|---|---|")
        for key, value in sorted(r["steps"].items(), key=lambda kv: -kv[1]):
            print(f"| {key} | {value:.2f} | {value / len(days):.3f} |")
    if len(digests) == 2:
        a, b = digests.values()
        differ = sorted(n for n in a if a[n] != b.get(n))
        print("\nsingle run and day by day give identical tables" if not differ
              else f"\nTABLES DIFFER between modes: {differ}")
    ok = all(r["ok"] and r["texts_translated"] == 0 for r in rows)
    if not ok:
        print("\nA run failed or translated something: the cache did not cover every text.", file=sys.stderr)
    print(f"\nwarehouses under {root}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
