"""The CTranslate2 runtime of the causal backend, on the tiny model converted in the test run."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("ctranslate2")

from hf_daily.translate import TranslatorConfig, load_translator  # noqa: E402
from hf_daily.translate import prepare  # noqa: E402
from hf_daily.translate.prompts import PROMPT_VERSION

CJK = re.compile(r"[\u4e00-\u9fff]")
TITLES = [
    "Scaling Reinforcement Learning for Multimodal Agents",
    "A Benchmark for Long-Context Reasoning in Large Language Models",
    "Diffusion Models Are Real-Time Game Engines",
    "Attention Is All You Need",
]


def _ct2(model, data_dir, **kwargs):
    return load_translator(TranslatorConfig(model=str(model), data_dir=str(data_dir), runtime="ctranslate2", **kwargs))


def test_converts_once_and_translates_deterministically(tiny_causal_lm, tmp_path, monkeypatch):
    translator = _ct2(tiny_causal_lm, tmp_path)
    assert translator.model_id.startswith("causal-ct2-int8:") and translator.model_id.endswith(f"#{PROMPT_VERSION}")
    progress = []
    first = translator.translate(TITLES, "title", progress=lambda done, total: progress.append((done, total)))
    assert len(first) == len(TITLES) and all(o and CJK.search(o) for o in first)
    assert len(set(first)) > 1
    assert progress[-1] == (len(TITLES), len(TITLES))
    assert translator.translate(TITLES[::-1], "title") == first[::-1]
    folders = list((tmp_path / "models" / "prepared").glob("*-ct2-int8"))
    assert len(folders) == 1 and (folders[0] / prepare.STAMP).is_file()

    # A second translator reuses the converted model: converting again would fail here.
    def no_conversion(*_args, **_kwargs):
        raise AssertionError("converted twice")

    monkeypatch.setattr("ctranslate2.converters.TransformersConverter.convert", no_conversion)
    assert _ct2(tiny_causal_lm, tmp_path, batch_size=1).translate(TITLES[:2], "title")[0]


def test_respects_max_new_tokens(tiny_causal_lm, tmp_path):
    short = _ct2(tiny_causal_lm, tmp_path, max_new_tokens=2).translate(TITLES, "title")
    assert all(1 <= len(o) <= 2 for o in short)


def test_runtimes_have_different_ids(tiny_causal_lm, tmp_path):
    ids = {load_translator(TranslatorConfig(model=str(tiny_causal_lm), runtime=r)).model_id
           for r in ("transformers", "ctranslate2")}
    assert len(ids) == 2
    auto = load_translator(TranslatorConfig(model=str(tiny_causal_lm))).model_id
    assert auto.startswith("causal-ct2-")  # auto = ctranslate2 when it is installed
