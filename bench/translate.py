"""Translation benchmark: speed against this machine's own ceilings, memory and quality of each runtime.

    .venv/bin/python bench/translate.py            # the default: dev set, a 6- and a 17-paper day, one at a time
    .venv/bin/python bench/translate.py --avx2-lib /tmp/avx2-llama \
        --backends reference,llamacpp,day6:llamacpp,day17:llamacpp,day17:llamacpp-single,avx2:day17:llamacpp,avx2:day17:llamacpp-single

It prints the machine (CPU model and vector flags), then its ceilings with the
same weights, measured by llama.cpp itself: prompt reading (one batch of 256
tokens: the compute bound that decoding many texts together can approach) and
one stream generating (the memory bound that one text at a time gets). Then one
table, a row per run:

* load s; s/paper (title and abstract) and s/abstract, model load excluded on the
  dev set; on a real day (``day6:``, ``day17:``) end to end, the first day of a
  pair cold (a new process: model load included), the second warm;
* tok/s in+out: source and translated tokens (the offline model's tokenizer) per
  second, and that as a share of the prompt ceiling; paper cost: s/paper times
  the prompt ceiling, the seconds a paper takes on a machine of any speed
  measured in its own ceiling's tokens (the goal, 15 s a paper on a machine
  reading 34 tokens/s, is a cost of 510);
* peak RSS; chrF (sacrebleu, corpus level) of titles and abstracts against the
  dev set's references, and against the same references put in the house style
  (``apply_house_style``: 大型语言模型 -> 大语言模型, 令牌 -> token), so that a
  spelling the glossary chose on purpose is not counted as a mistranslation;
  numbers, URLs and names kept; ordinary English words left;
  papers the quality gate flags; titles the title check flags.

Backends: ``llamacpp`` (the default: a day's texts decoded together),
``llamacpp-single`` (one text at a time), ``@WEIGHTS`` after either (``as-is``,
``q4_0``, ``q8_0``; default ``auto``) and ``+whole`` or ``+sentences`` before it (``abstract_units``; default
sentences), ``avx2:`` before either to run llama.cpp
built for AVX2 only (``--avx2-lib``: a folder made by
``CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DLLAVA_BUILD=OFF"
pip install --no-cache-dir --no-deps --target DIR llama-cpp-python==0.3.36``), ``ct2``,
``ct2-single``, ``transformers``, ``transformers-batched``, ``seq2seq:<model>``,
``openai:<model>`` (needs --base-url), ``reference`` (the references themselves).
Each run is a process of its own, so peak RSS is its own. ``--json`` and
``--outputs`` keep the figures and every translation.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DEV = ROOT.parent / "shared" / "translation_dev" / "deepseek_refs_2025-01-08_10.jsonl"
ARCHIVE = ROOT.parent / "shared" / "hf_daily_api"
# One at a time on llama.cpp is fast enough for the whole set, so it is compared on the same papers.
SLOW = ("transformers", "ct2-single")


def load_dev(path: Path, limit: int | None) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    return records[:limit] if limit else records


# --- one backend, in a worker process --------------------------------------------------------------


def _qwen_tokenizer(data_dir: str):
    """The offline model's tokenizer, for counting output tokens the same way for every backend."""
    from transformers import AutoTokenizer

    from hf_daily.translate import offline_model
    from hf_daily.translate.loading import ModelSource
    from hf_daily.translate.prepare import ensure_gguf_tokenizer

    path = offline_model.ensure_offline_model(data_dir)
    source = ModelSource(str(path.parent), True, path.name)
    return AutoTokenizer.from_pretrained(str(ensure_gguf_tokenizer(source, offline_model.EXPECTED_SHA256[:16],
                                                                   data_dir)))


class ReferenceTranslator:
    model_id = "reference"

    def __init__(self, papers):
        self.by_text = {}
        for p in papers:
            self.by_text[("title", p["title"])] = p["title_zh_ref"]
            self.by_text[("abstract", p["abstract"])] = p["abstract_zh_ref"]

    def translate(self, texts, kind, progress=None):
        return [self.by_text.get((kind, t), "") for t in texts]


def make_translator(spec: str, args, papers):
    from hf_daily.translate import TranslatorConfig, load_translator

    if spec == "reference":
        return ReferenceTranslator(papers)
    common = {"data_dir": args.data_dir, "device": args.device}
    spec, _, weights = spec.partition("@")  # llamacpp@q4_0: the weights llama.cpp runs (default: auto)
    spec, _, units = spec.partition("+")  # llamacpp+sentences: abstracts as groups of sentences
    if spec in ("llamacpp", "llamacpp-single"):
        return load_translator(TranslatorConfig(runtime="llamacpp", batch_size=1 if spec == "llamacpp-single"
                                                else args.batch_size, weights=weights or "auto",
                                                abstract_units=units or "sentences", **common))
    if spec in ("ct2", "ct2-single"):
        return load_translator(TranslatorConfig(runtime="ctranslate2", batch_size=1 if spec == "ct2-single"
                                                else args.batch_size, **common))
    if spec in ("transformers", "transformers-batched"):
        return load_translator(TranslatorConfig(runtime="transformers", batch_size=1 if spec == "transformers"
                                                else args.batch_size, **common))
    if spec.startswith("seq2seq:"):
        return load_translator(TranslatorConfig(backend="seq2seq", model=spec.split(":", 1)[1], **common))
    if spec.startswith("openai:"):
        return load_translator(TranslatorConfig(backend="openai", model=spec.split(":", 1)[1],
                                                base_url=args.base_url, **common))
    raise SystemExit(f"unknown backend {spec!r}")


# Real days of the archive: a median day (17 papers) and a small one (6); the second of each pair is run
# warm, after the first, in the same process.
DAYS = {6: ("2025-12-26", "2025-11-10"), 17: ("2025-11-24", "2025-12-23")}


def load_day(day: str) -> list[dict]:
    items = json.loads((Path(ARCHIVE) / f"{day}.json").read_text(encoding="utf-8"))
    return [{"id": i["paper"]["id"], "title": i["paper"]["title"], "abstract": i["paper"]["summary"]}
            for i in items]


def run_day_worker(spec: str, size: int, args) -> dict:
    """Two real days of ``size`` papers: the first cold (model load included), the second warm."""
    runs = []
    started = time.monotonic()
    translator = make_translator(spec, args, [])
    # One at a time is slow: its warm day would add nothing the cold one does not show.
    single = "-single" in spec
    for day in DAYS[size][:1] if single else DAYS[size]:
        # One at a time is slow: --slow-limit N runs only the first N papers of its day (0: all).
        papers = load_day(day)[: args.slow_limit or None] if single else load_day(day)
        t0 = time.monotonic()
        titles = translator.translate([p["title"] for p in papers], "title")
        abstracts = translator.translate([p["abstract"] for p in papers], "abstract")
        runs.append({"day": day, "papers": papers, "titles": titles, "abstracts": abstracts,
                     "seconds": time.monotonic() - (started if not runs else t0)})
    return {"spec": spec, "model_id": translator.model_id, "runs": runs}


def run_ceilings_worker(spec: str, args) -> dict:
    """The machine's prompt-reading and one-stream rates with the weights ``spec`` runs."""
    translator = make_translator(spec, args, [])
    translator.translate(["Warm-up: a short title."], "title")
    return {"spec": spec, "model_id": translator.model_id, **translator._engine.ceilings()}


def run_worker(spec: str, args) -> dict:
    if spec.startswith("ceilings:"):
        return run_ceilings_worker(spec.split(":", 1)[1], args)
    if spec.startswith("day"):
        size, _, spec = spec[3:].partition(":")
        return run_day_worker(spec, int(size), args)
    papers = load_dev(Path(args.dev), args.limit)
    if spec in SLOW or spec.startswith("openai:"):
        papers = papers[: args.slow_limit or None]
    t0 = time.monotonic()
    translator = make_translator(spec, args, papers)
    # Load (and on a first run prepare) the model outside the timed part, on a text not in the set.
    translator.translate(["Warm-up: a short title."], "title")
    load_s = time.monotonic() - t0

    def say(kind):
        started = time.monotonic()

        def progress(done, total):
            print(f"  [{spec}] {kind}: {done}/{total}, {time.monotonic() - started:.0f} s", file=sys.stderr,
                  flush=True)
        return progress

    t1 = time.monotonic()
    titles = translator.translate([p["title"] for p in papers], "title", progress=say("titles"))
    t2 = time.monotonic()
    abstracts = translator.translate([p["abstract"] for p in papers], "abstract", progress=say("abstracts"))
    t3 = time.monotonic()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"spec": spec, "model_id": translator.model_id, "papers": papers, "titles": titles,
            "abstracts": abstracts, "load_s": load_s, "title_s": t2 - t1, "abstract_s": t3 - t2,
            "peak_rss_gb": rss_kb / 1e6}


# --- scoring -------------------------------------------------------------------------------------------


def score(result: dict, tokenizer) -> dict:
    import sacrebleu

    from hf_daily.translate.glossary import apply_house_style
    from hf_daily.translate.quality import check_paper, translation_stats

    papers, titles, abstracts = result["papers"], result["titles"], result["abstracts"]
    n = len(papers)
    chrf = lambda hyp, refs: sacrebleu.corpus_chrf(hyp, [refs]).score  # noqa: E731
    totals: dict[str, float] = {}
    for p, t, a in zip(papers, titles, abstracts):
        for src, out in ((p["title"], t), (p["abstract"], a)):
            s = translation_stats(src, out)
            for key in ("numbers", "numbers_kept", "urls", "urls_kept", "names", "names_kept", "source_words",
                        "untranslated_words"):
                totals[key] = totals.get(key, 0) + getattr(s, key)
    out_chars = sum(len(a) for a in abstracts)
    ref_chars = sum(len(p["abstract_zh_ref"]) for p in papers)
    out_tokens = sum(len(tokenizer(x, add_special_tokens=False)["input_ids"]) for x in titles + abstracts) \
        if tokenizer is not None else 0
    seconds = result["title_s"] + result["abstract_s"]
    flagged = [p["id"] for p, t, a in zip(papers, titles, abstracts)
               if check_paper(p["title"], p["abstract"], t, a)]
    pct = lambda k: 100.0 * totals[k + "_kept"] / totals[k] if totals.get(k) else float("nan")  # noqa: E731
    return {
        "backend": result["spec"], "model_id": result["model_id"], "papers": n, "load_s": result["load_s"],
        "s_per_paper": seconds / n, "s_per_abstract": result["abstract_s"] / n,
        "out_tok_s": out_tokens / seconds if seconds > 0.01 else float("nan"),
        "peak_rss_gb": result["peak_rss_gb"],
        "chrf_title": chrf(titles, [p["title_zh_ref"] for p in papers]),
        "chrf_abstract": chrf(abstracts, [p["abstract_zh_ref"] for p in papers]),
        # The same, against references put in the house style (大语言模型, token): what is left is wording.
        "chrf_title_house": chrf(titles, [apply_house_style(p["title"], p["title_zh_ref"]) for p in papers]),
        "chrf_abstract_house": chrf(abstracts, [apply_house_style(p["abstract"], p["abstract_zh_ref"])
                                                for p in papers]),
        "numbers_kept": pct("numbers"), "urls_kept": pct("urls"), "names_kept": pct("names"),
        "untranslated": 100.0 * totals["untranslated_words"] / max(totals["source_words"], 1),
        "len_ratio": out_chars / max(ref_chars, 1), "flagged": len(flagged), "flagged_ids": flagged,
    }


COLUMNS = [
    ("backend", "backend", "{}"), ("papers", "papers", "{}"), ("load_s", "load s", "{:.0f}"),
    ("s_per_paper", "s/paper", "{:.1f}"), ("s_per_abstract", "s/abstract", "{:.1f}"),
    ("tok_s", "tok/s in+out", "{:.1f}"), ("share", "% of prompt ceiling", "{:.0f}"),
    ("paper_cost", "paper cost (ceiling tokens)", "{:.0f}"), ("peak_rss_gb", "peak RSS GB", "{:.1f}"),
    ("chrf_title", "chrF title", "{:.1f}"), ("chrf_abstract", "chrF abstract", "{:.1f}"),
    ("chrf_title_house", "chrF title, house refs", "{:.1f}"),
    ("chrf_abstract_house", "chrF abstract, house refs", "{:.1f}"),
    ("numbers_kept", "numbers %", "{:.0f}"), ("urls_kept", "URLs %", "{:.0f}"), ("names_kept", "names %", "{:.0f}"),
    ("untranslated", "English left %", "{:.1f}"), ("len_ratio", "len/ref", "{:.2f}"), ("flagged", "flagged", "{}"),
    ("title_flags", "title flags", "{}"),
]


def _cell(row: dict, key: str, fmt: str) -> str:
    value = row.get(key)
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return fmt.format(value)


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(h for _, h, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row, key, fmt) for key, _, fmt in COLUMNS) + " |")
    return "\n".join(lines)


def machine() -> str:
    """The CPU model, its vector flags and cores: speed figures mean nothing without them."""
    import platform

    model, flags = platform.processor() or "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    shown = [f for f in ("avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16",
                         "avx_vnni", "amx_tile") if f in flags]
    return f"{model}, {os.cpu_count()} CPUs, flags {' '.join(shown) or 'none of AVX'}"


def token_counts(result: dict, tokenizer) -> tuple[int, int]:
    """(source tokens, output tokens) of a run's titles and abstracts, counted with the offline model's tokenizer."""
    count = lambda x: len(tokenizer(x, add_special_tokens=False)["input_ids"]) if x else 0  # noqa: E731
    papers = result["papers"]
    source = sum(count(p["title"]) + count(p["abstract"]) for p in papers)
    return source, sum(count(x) for x in result["titles"] + result["abstracts"])


def add_speed(row: dict, result: dict, seconds: float, tokenizer, ceiling: dict | None) -> dict:
    """Tokens read and written per second, and that as a share of the machine's prompt-reading ceiling."""
    from hf_daily.translate.titles import title_problems

    source, out = token_counts(result, tokenizer)
    row["tok_s"] = (source + out) / seconds if seconds > 0.01 else float("nan")
    if ceiling:
        row["share"] = 100.0 * row["tok_s"] / ceiling["prompt"]
        # Seconds a paper would take at the prompt ceiling's pace: comparable across machines.
        row["paper_cost"] = row["s_per_paper"] * ceiling["prompt"]
    row["title_flags"] = sum(bool(title_problems(p["title"], t)) for p, t in zip(result["papers"], result["titles"]))
    return row


def score_day(result: dict, run: dict, cold: bool) -> dict:
    """A real day has no references: its figures are the reference-free checks'."""
    from hf_daily.translate.quality import check_paper, translation_stats
    from hf_daily.translate.titles import title_problems

    papers = run["papers"]
    flagged = [p["id"] for p, t, a in zip(papers, run["titles"], run["abstracts"])
               if check_paper(p["title"], p["abstract"], t, a)]
    stats = [translation_stats(p["abstract"], a) for p, a in zip(papers, run["abstracts"])]
    left = sum(s.untranslated_words for s in stats) / max(1, sum(s.source_words for s in stats))
    return {"backend": f"{result['spec']}, {run['day']} ({'cold: load included' if cold else 'warm'})",
            "model_id": result["model_id"], "papers": len(papers), "s_per_paper": run["seconds"] / len(papers),
            "untranslated": 100 * left, "flagged": len(flagged), "flagged_ids": flagged,
            "title_flags": sum(bool(title_problems(p["title"], t)) for p, t in zip(papers, run["titles"]))}


def _lib(spec: str, args) -> tuple[str, str, dict]:
    """(spec without its build prefix, build name, environment): ``avx2:`` runs llama.cpp built for AVX2 only."""
    env = dict(os.environ)
    if spec.startswith("avx2:"):
        if not args.avx2_lib:
            raise SystemExit("avx2:... needs --avx2-lib DIR (a llama-cpp-python built with GGML_NATIVE=OFF, see --help)")
        env["PYTHONPATH"] = os.pathsep.join([args.avx2_lib, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        return spec[5:], "avx2", env
    return spec, "native", env


def _run(worker_spec: str, env: dict, argv: list[str]) -> dict | None:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    command = [sys.executable, __file__, "--worker", worker_spec, "--worker-out", out] + argv
    try:
        if subprocess.call(command, env=env) != 0:
            print(f"{worker_spec} failed", file=sys.stderr)
            return None
        return json.loads(Path(out).read_text())
    finally:
        os.unlink(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev", default=str(DEFAULT_DEV))
    parser.add_argument("--limit", type=int, default=None, help="first N papers of the dev set (default: all)")
    parser.add_argument("--slow-limit", type=int, default=3,
                        help="papers for one-at-a-time runs, of the dev set or of a day (default 3; 0: all)")
    parser.add_argument("--backends", default="reference,llamacpp,llamacpp-single,day6:llamacpp,day17:llamacpp")
    parser.add_argument("--avx2-lib", help="a folder with llama-cpp-python built for AVX2 only, for avx2:... backends")
    parser.add_argument("--batch-size", type=int, default=None, help="for batched runs (default: the runtime's)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--data-dir", default=str(ROOT / "data"))
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--outputs", help="write every run's translations here (JSON lines)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = run_worker(args.worker, args)
        Path(args.worker_out).write_text(json.dumps(result, ensure_ascii=False))
        return 0

    import importlib.util

    argv = list(argv if argv is not None else sys.argv[1:])
    rows, outputs, ceilings = [], [], {}
    tokenizer = _qwen_tokenizer(args.data_dir)
    for full in (b.strip() for b in args.backends.split(",") if b.strip()):
        spec, build, env = _lib(full, args)
        engine_spec = spec.partition(":")[2] if spec.startswith("day") else spec
        ceiling = None
        if engine_spec.startswith("llamacpp"):
            if importlib.util.find_spec("llama_cpp") is None and build == "native":
                print("skipping llamacpp: llama-cpp-python is not installed", file=sys.stderr)
                continue
            weights = engine_spec.partition("@")[2] or "auto"
            if (build, weights) not in ceilings:
                print(f"measuring the ceilings of {build} llama.cpp, weights {weights} ...", file=sys.stderr)
                ceilings[(build, weights)] = _run(f"ceilings:llamacpp@{weights}", env, argv)
            ceiling = ceilings[(build, weights)]
        print(f"running {full} ...", file=sys.stderr, flush=True)
        result = _run(spec, env, argv)
        if result is None:
            continue
        result["spec"] = full
        if "runs" in result:  # a day run: no references
            for n, run in enumerate(result["runs"]):
                row = score_day(result, run, cold=n == 0)
                rows.append(add_speed(row, run, run["seconds"], tokenizer, ceiling))
                outputs.extend({"backend": full, "day": run["day"], "id": p["id"], "title_zh": t, "abstract_zh": a}
                               for p, t, a in zip(run["papers"], run["titles"], run["abstracts"]))
        else:
            row = score(result, tokenizer)
            rows.append(add_speed(row, result, result["title_s"] + result["abstract_s"], tokenizer, ceiling))
            outputs.extend({"backend": full, "id": p["id"], "title_zh": t, "abstract_zh": a}
                           for p, t, a in zip(result["papers"], result["titles"], result["abstracts"]))
        print(markdown([rows[-1]]).splitlines()[-1], file=sys.stderr, flush=True)
    print(f"\nTranslation benchmark on {machine()}; dev set {Path(args.dev).name}\n")
    if ceilings:
        print("Ceilings of this machine with the same weights (tokens/s, best of two):\n")
        print("| llama.cpp build | weights | model | prompt reading | one stream generating |\n|---|---|---|---|---|")
        for (build, weights), c in ceilings.items():
            if c:
                print(f"| {build} | {weights} | {c['model_id'].split(':')[0]} | {c['prompt']:.1f} | {c['generate']:.1f} |")
        print()
    print(markdown(rows))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "ceilings": [
            {"build": b, "weights": w, **(c or {})} for (b, w), c in ceilings.items()], "rows": rows}, indent=2))
    if args.outputs:
        Path(args.outputs).write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
