from __future__ import annotations

import json

from hf_daily.translate import TranslatorConfig
from hf_daily.translate.cli import main, translate_file

PAPERS = [
    {"id": "2501.00001", "title": "Scaling Reinforcement Learning for Agents",
     "abstract": "We study agents. Our method improves accuracy by 3.5% on MMLU."},
    {"id": "2501.00002", "title": "Attention Is All You Need", "abstract": "We propose the Transformer."},
    {"id": "2501.00003", "title": "A Title Without Abstract", "abstract": ""},
]


def _write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_translates_a_jsonl_file_and_resumes(tiny_causal_lm, tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, PAPERS)
    config = TranslatorConfig(model=str(tiny_causal_lm), runtime="transformers", data_dir=str(tmp_path / "d"))
    messages = []
    report = translate_file(src, out, config, progress=messages.append, chunk_size=2)
    records = _read(out)
    assert [r["id"] for r in records] == [p["id"] for p in PAPERS]
    assert set(records[0]) == {"id", "title_zh", "abstract_zh", "model", "seconds", "problems"}
    assert all(r["title_zh"] and r["model"] == report.model_id for r in records)
    assert records[2]["abstract_zh"] == ""
    assert report.translated == 3 and any("papers left" in m or "left, ETA" in m for m in messages)

    # A second run with one more paper translates only that one and keeps the order.
    _write(src, PAPERS + [{"id": "2501.00004", "title": "One More Paper", "abstract": "It is new."}])
    again = translate_file(src, out, config, progress=messages.append)
    assert (again.translated, again.reused) == (1, 3)
    assert [r["id"] for r in _read(out)] == ["2501.00001", "2501.00002", "2501.00003", "2501.00004"]
    assert _read(out)[:3] == records


def test_command_line(tiny_causal_lm, tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, PAPERS[:1])
    code = main([str(src), str(out), "--model", str(tiny_causal_lm), "--runtime", "transformers",
                 "--data-dir", str(tmp_path / "d"), "--batch-size", "2"])
    assert code == 0 and len(_read(out)) == 1
