"""Translation benchmark: speed, memory and quality of each backend/runtime on the dev set.

    .venv/bin/python bench/translate.py                       # all 37 dev papers, the default backends
    .venv/bin/python bench/translate.py --limit 8 --backends llamacpp,ct2

Each backend runs in its own process (so peak RSS is its own) over the first
``--limit`` papers of the dev set (JSON lines with id, title, abstract,
title_zh_ref, abstract_zh_ref). The slow one-at-a-time runs (transformers,
ct2-single) take at most ``--slow-limit`` papers. Printed per run, as Markdown:

* load: seconds to load (and, on a first run, to prepare) the model;
* s/paper: translation seconds per paper (its title and its abstract), amortized
  over the run, model loading excluded; s/abstract likewise, abstracts only;
* out tok/s: output tokens (Qwen tokenizer) per second of translation;
* peak RSS of the run's process;
* chrF (sacrebleu, corpus level) of titles and abstracts against the references;
* faithfulness: numbers, URLs and names of the sources found in the outputs,
  the share of ordinary English words left untranslated, the output/reference
  length ratio, and the papers the quality gate flags.

Backends: ``llamacpp`` (the default: llama.cpp on the GGUF, a day's texts decoded
together), ``llamacpp-single`` (llama.cpp, one text at a time), ``ct2`` (CTranslate2
int8, batched by length), ``ct2-single``, ``transformers`` (the reference runtime,
one text at a time), ``transformers-batched``,
``seq2seq:<model>`` (a MarianMT model: hub id in the local cache or a folder),
``openai:<model>`` (needs --base-url and a key in $HF_DAILY_OPENAI_API_KEY),
``reference`` (the references themselves: calibrates the quality figures).
Results are also written as JSON with ``--json``.
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
    if spec in ("llamacpp", "llamacpp-single"):
        return load_translator(TranslatorConfig(runtime="llamacpp", batch_size=1 if spec == "llamacpp-single"
                                                else args.batch_size, **common))
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


def run_worker(spec: str, args) -> dict:
    papers = load_dev(Path(args.dev), args.limit)
    if spec in SLOW or spec.startswith("openai:"):
        papers = papers[: args.slow_limit]
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
        "numbers_kept": pct("numbers"), "urls_kept": pct("urls"), "names_kept": pct("names"),
        "untranslated": 100.0 * totals["untranslated_words"] / max(totals["source_words"], 1),
        "len_ratio": out_chars / max(ref_chars, 1), "flagged": len(flagged), "flagged_ids": flagged,
    }


COLUMNS = [
    ("backend", "backend", "{}"), ("papers", "papers", "{}"), ("load_s", "load s", "{:.0f}"),
    ("s_per_paper", "s/paper", "{:.1f}"), ("s_per_abstract", "s/abstract", "{:.1f}"),
    ("out_tok_s", "out tok/s", "{:.1f}"), ("peak_rss_gb", "peak RSS GB", "{:.1f}"),
    ("chrf_title", "chrF title", "{:.1f}"), ("chrf_abstract", "chrF abstract", "{:.1f}"),
    ("numbers_kept", "numbers %", "{:.0f}"), ("urls_kept", "URLs %", "{:.0f}"), ("names_kept", "names %", "{:.0f}"),
    ("untranslated", "English left %", "{:.1f}"), ("len_ratio", "len/ref", "{:.2f}"), ("flagged", "flagged", "{}"),
]


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(h for _, h, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join(fmt.format(row[key]) for key, _, fmt in COLUMNS) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev", default=str(DEFAULT_DEV))
    parser.add_argument("--limit", type=int, default=None, help="first N papers of the dev set (default: all)")
    parser.add_argument("--slow-limit", type=int, default=3, help="papers for one-at-a-time runs (default 3)")
    parser.add_argument("--backends", default="reference,llamacpp,llamacpp-single,ct2,transformers")
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

    import platform
    import tempfile

    rows, outputs = [], []
    tokenizer = _qwen_tokenizer(args.data_dir)
    for spec in args.backends.split(","):
        spec = spec.strip()
        if spec.startswith("llamacpp"):
            import importlib.util

            if importlib.util.find_spec("llama_cpp") is None:
                print("skipping llamacpp: llama-cpp-python is not installed", file=sys.stderr)
                continue
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
            out = fh.name
        command = [sys.executable, __file__, "--worker", spec, "--worker-out", out] + [
            a for a in (argv if argv is not None else sys.argv[1:])
        ]
        print(f"running {spec} ...", file=sys.stderr, flush=True)
        if subprocess.call(command) != 0:
            print(f"{spec} failed", file=sys.stderr)
            continue
        result = json.loads(Path(out).read_text())
        os.unlink(out)
        row = score(result, tokenizer)
        rows.append(row)
        outputs.extend({"backend": spec, "id": p["id"], "title_zh": t, "abstract_zh": a}
                       for p, t, a in zip(result["papers"], result["titles"], result["abstracts"]))
        print(markdown([row]).splitlines()[-1], file=sys.stderr, flush=True)
    print(f"\nTranslation benchmark, {platform.node()} ({os.cpu_count()} CPUs), dev set {Path(args.dev).name}\n")
    print(markdown(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    if args.outputs:
        Path(args.outputs).write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
