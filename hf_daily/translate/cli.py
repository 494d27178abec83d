"""``hf-daily translate IN.jsonl OUT.jsonl``: translate any set of papers, outside Dagster.

Input records: ``{"id", "title", "abstract"}`` (other fields are ignored).
Output records, one per input, in input order:
``{"id", "title_zh", "abstract_zh", "model", "seconds", "problems"}``, where
``seconds`` is the paper's share of the translation time and ``problems`` the
quality checks' findings (empty when the translation passes).

Titles and abstracts are translated in chunks of ``chunk_size`` papers, each
chunk in one call per kind (so the translator batches a chunk by length), and
OUT is appended to after each chunk. Papers already in OUT with the same model
are kept, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from hf_daily.translate import Translator, TranslatorConfig, chunk_size_for, load_translator
from hf_daily.translate.config import ABSTRACT_UNITS, BACKENDS, LLAMACPP_WEIGHTS, RUNTIMES, translator_settings
from hf_daily.translate.quality import check_paper

Progress = Callable[[str], None]


@dataclass
class TranslateFileReport:
    model_id: str
    papers: int
    translated: int
    reused: int
    seconds: float
    flagged: list[str] = field(default_factory=list)  # ids whose translation failed a quality check


def read_records(path: str | Path) -> list[dict]:
    records = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not a JSON line ({exc})") from exc
            if not isinstance(record, dict) or not record.get("id") or "title" not in record:
                raise ValueError(f"{path}:{number}: a record needs at least 'id' and 'title'")
            records.append({"id": str(record["id"]), "title": record.get("title") or "",
                            "abstract": record.get("abstract") or ""})
    return records


def _done(out_path: Path, model_id: str) -> dict[str, dict]:
    if not out_path.exists():
        return {}
    done = {}
    with open(out_path, encoding="utf-8") as fh:
        for line in fh:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut short by an interrupted run
            if isinstance(record, dict) and record.get("model") == model_id and record.get("title_zh"):
                done[str(record.get("id"))] = record
    return done


def _eta(done: int, total: int, elapsed: float) -> str:
    return "unknown" if not done else f"{elapsed / done * (total - done):.0f} s"


def translate_file(
    in_path: str | Path,
    out_path: str | Path,
    config: TranslatorConfig | None = None,
    progress: Progress | None = None,
    *,
    translator: Translator | None = None,
    chunk_size: int = 64,
    resume: bool = True,
) -> TranslateFileReport:
    """Translate the papers of ``in_path`` (JSON lines) into ``out_path`` (JSON lines)."""
    say = progress or (lambda message: print(message, file=sys.stderr, flush=True))
    translator = translator or load_translator(config or TranslatorConfig())
    records = read_records(in_path)
    out_path = Path(out_path)
    previous = _done(out_path, translator.model_id) if resume else {}
    todo = [r for r in records if r["id"] not in previous]
    chunk_size = chunk_size_for(translator, chunk_size)
    say(f"{len(records)} papers, {len(records) - len(todo)} already in {out_path}, "
        f"translating {len(todo)} with {translator.model_id}")
    started = time.monotonic()
    results: dict[str, dict] = {}
    for start in range(0, len(todo), max(1, chunk_size)):
        chunk = todo[start:start + chunk_size]
        before = start

        def report(kind: str, done: int, total: int, *, _before=before, _n=len(chunk)) -> None:
            # Titles are quick; count a paper as done when its abstract is.
            if kind == "abstract":
                finished = _before + done
                say(f"translated {finished}/{len(todo)} papers, {len(todo) - finished} left, "
                    f"ETA {_eta(finished, len(todo), time.monotonic() - started)}")

        t0 = time.monotonic()
        titles = translator.translate([r["title"] for r in chunk], "title",
                                      progress=lambda d, t: report("title", d, t))
        abstracts = translator.translate([r["abstract"] for r in chunk], "abstract",
                                         progress=lambda d, t: report("abstract", d, t))
        seconds = (time.monotonic() - t0) / len(chunk)
        mode = "a" if (resume and out_path.exists()) or start else "w"
        with open(out_path, mode, encoding="utf-8") as fh:
            for record, title_zh, abstract_zh in zip(chunk, titles, abstracts):
                result = {
                    "id": record["id"], "title_zh": title_zh, "abstract_zh": abstract_zh,
                    "model": translator.model_id, "seconds": round(seconds, 2),
                    "problems": check_paper(record["title"], record["abstract"], title_zh, abstract_zh),
                }
                results[record["id"]] = result
                fh.write(json.dumps(result, ensure_ascii=False) + "\n")
    if (resume and previous) or not todo:
        # Rewrite OUT in input order, with one record per paper (earlier runs' and this run's).
        merged = [results.get(r["id"]) or previous.get(r["id"]) for r in records]
        tmp = out_path.with_name(out_path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for result in merged:
                if result:
                    fh.write(json.dumps(result, ensure_ascii=False) + "\n")
        tmp.replace(out_path)
    flagged = [rid for rid, res in {**previous, **results}.items() if res.get("problems")]
    elapsed = time.monotonic() - started
    say(f"done: {len(todo)} papers in {elapsed:.0f} s"
        f"{f' ({elapsed / len(todo):.1f} s per paper)' if todo else ''}; {len(flagged)} flagged by the quality checks")
    return TranslateFileReport(translator.model_id, len(records), len(todo), len(records) - len(todo), elapsed,
                               flagged)


# The settings that choose the model, named alike by every command that translates.
MODEL_SETTINGS = ("backend", "model", "gguf_file", "runtime", "weights", "abstract_units", "base_url",
                  "max_in_flight", "provider")


def add_model_arguments(parser) -> None:
    """The flags of MODEL_SETTINGS; each one left out (None) leaves its setting to the environment."""
    parser.add_argument("--backend", choices=BACKENDS, help="translator backend (default: $HF_DAILY_TRANSLATOR_BACKEND, else causal)")
    parser.add_argument("--model", help="translator model: 'offline', a hub id, a local folder, or the API's model name")
    parser.add_argument("--gguf-file", help="GGUF file inside --model, or a path to one")
    parser.add_argument("--runtime", choices=RUNTIMES, help="for causal models (default auto: llamacpp for GGUF models)")
    parser.add_argument("--weights", choices=LLAMACPP_WEIGHTS,
                        help="for llamacpp: the weights it runs (default auto: Q4_0 for the offline model with AVX-512 and no AMX)")
    parser.add_argument("--abstract-units", choices=ABSTRACT_UNITS,
                        help="for causal models: translate each abstract in groups of sentences (default) or whole")
    parser.add_argument("--base-url", help="for --backend openai: the API root, or several servers of one model "
                                           "separated by commas (default: $HF_DAILY_OPENAI_BASE_URL, "
                                           "else https://api.deepseek.com/v1)")
    parser.add_argument("--max-in-flight", type=int,
                        help="for --backend openai: requests in flight across all servers "
                             "(default: $HF_DAILY_OPENAI_IN_FLIGHT, else 8; a GPU server wants 64 or more)")
    parser.add_argument("--provider", help="for --backend openai: who serves the model, as the cache key names it "
                                           "(default: $HF_DAILY_OPENAI_PROVIDER, else the servers' host name if "
                                           "they share one, else none)")


def model_flags(args) -> dict:
    """The MODEL_SETTINGS as the command line names them (None where it does not)."""
    return {name: getattr(args, name) for name in MODEL_SETTINGS}


def add_translate_arguments(parser) -> None:
    """The options of ``hf-daily translate`` (for an argparse sub-parser)."""
    parser.add_argument("input", help="JSON lines with id, title, abstract")
    parser.add_argument("output", help="JSON lines to write: id, title_zh, abstract_zh, model, seconds, problems")
    add_model_arguments(parser)
    parser.add_argument("--device", help="auto (default), cpu or cuda")
    parser.add_argument("--batch-size", type=int, help="texts decoded together (default: the runtime's)")
    parser.add_argument("--data-dir", help="where models are cached (default: data)")
    parser.add_argument("--no-resume", action="store_true", help="translate every paper again, overwriting OUT")


def config_from_args(args) -> TranslatorConfig:
    fields = model_flags(args) | {"device": args.device, "batch_size": args.batch_size, "data_dir": args.data_dir}
    return TranslatorConfig(**translator_settings(fields))


def main_translate(args) -> int:
    """Run ``hf-daily translate`` from parsed arguments (see :func:`add_translate_arguments`)."""
    report = translate_file(args.input, args.output, config_from_args(args), resume=not args.no_resume)
    return 0 if report.papers else 1


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m hf_daily.translate.cli IN OUT [...]`` until ``hf-daily translate`` exists."""
    import argparse

    parser = argparse.ArgumentParser(prog="hf-daily translate", description=__doc__.split("\n\n")[0])
    add_translate_arguments(parser)
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        return main_translate(args)
    except ValueError as exc:
        parser.error(str(exc))
    return 2


if __name__ == "__main__":
    sys.exit(main())
