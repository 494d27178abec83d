from __future__ import annotations

import json
import re
import shutil

import pytest

from hf_daily.translate import (
    TranslationModelError,
    Translator,
    TranslatorConfig,
    load_translator,
)
from hf_daily.translate.causal import resolve_weights
from hf_daily.translate.prompts import PROMPT_VERSION
from hf_daily.translate.text import split_title_name
from hf_daily_tests.factories import ABSTRACTS, TITLES
from hf_daily_tests.tiny_models import GENERATION_MAX_NEW_TOKENS

CJK = re.compile(r"[\u4e00-\u9fff]")


def _causal(path, **kwargs) -> Translator:
    # The reference runtime; test_ct2.py covers runtime="ctranslate2".
    kwargs.setdefault("runtime", "transformers")
    return load_translator(TranslatorConfig(backend="causal", model=str(path), **kwargs))


def _marian(path, **kwargs) -> Translator:
    return load_translator(TranslatorConfig(backend="seq2seq", model=str(path), **kwargs))


@pytest.fixture
def hub_offline(monkeypatch, tmp_path):
    """HF_HUB_OFFLINE=1 with an empty cache; huggingface_hub reads the variable only at import."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))


def test_load_translator_reads_no_weights(tiny_causal_lm, tiny_marian, monkeypatch):
    import transformers

    def forbidden(*_args, **_kwargs):
        raise AssertionError("load_translator must not load a model")

    for cls in ("AutoModelForCausalLM", "AutoModelForSeq2SeqLM", "AutoTokenizer"):
        monkeypatch.setattr(getattr(transformers, cls), "from_pretrained", forbidden)
    for translator in (_causal(tiny_causal_lm), _marian(tiny_marian), load_translator(TranslatorConfig())):
        assert isinstance(translator, Translator)
        assert translator.model_id
        assert translator.loaded is False


def test_model_id_is_stable_and_differs_between_models(tiny_causal_lm, tiny_marian, tmp_path):
    ids = {
        _causal(tiny_causal_lm).model_id,
        _marian(tiny_marian).model_id,
        load_translator(TranslatorConfig()).model_id,
        load_translator(TranslatorConfig(backend="seq2seq", model="Helsinki-NLP/opus-mt-en-zh")).model_id,
        load_translator(TranslatorConfig(model="Qwen/Qwen2.5-1.5B-Instruct")).model_id,
    }
    assert len(ids) == 5
    assert _causal(tiny_causal_lm).model_id == _causal(tiny_causal_lm).model_id
    assert _causal(tiny_causal_lm).model_id.endswith(f"#{PROMPT_VERSION}")
    # Same name, different files: a retrained or swapped model must not reuse cached translations.
    copy = shutil.copytree(tiny_causal_lm, tmp_path / tiny_causal_lm.name)
    assert _causal(copy).model_id == _causal(tiny_causal_lm).model_id
    config = json.loads((copy / "config.json").read_text())
    config["rms_norm_eps"] = 1e-5
    (copy / "config.json").write_text(json.dumps(config))
    assert _causal(copy).model_id != _causal(tiny_causal_lm).model_id


def test_causal_translates_a_batch_to_chinese_in_order_and_deterministically(tiny_causal_lm):
    translator = _causal(tiny_causal_lm)
    first = translator.translate(TITLES, "title")
    assert translator.loaded
    assert len(first) == len(TITLES)
    assert all(out and CJK.search(out) for out in first)
    assert len(set(first)) > 1  # outputs depend on the input
    assert translator.translate(TITLES, "title") == first
    assert translator.translate(TITLES[::-1], "title") == first[::-1]
    # Left-padded batches must give what each text gives on its own.
    assert [translator.translate([t], "title")[0] for t in TITLES[:3]] == first[:3]
    # A fresh translator (new load) agrees too.
    assert _causal(tiny_causal_lm, batch_size=1).translate(TITLES, "title") == first


def test_causal_translates_abstracts(tiny_causal_lm):
    out = _causal(tiny_causal_lm).translate(ABSTRACTS, "abstract")
    assert len(out) == len(ABSTRACTS)
    assert all(o and CJK.search(o) for o in out)


def test_causal_respects_max_new_tokens(tiny_causal_lm):
    # Each tiny-model token is one Chinese character.
    def translated_part(title, output):  # a leading name ("LoRA：") is kept, not generated
        name, _ = split_title_name(title)
        assert output.startswith(f"{name}：" if name else "")
        return output[len(name) + 1:] if name else output

    short = _causal(tiny_causal_lm, max_new_tokens=2).translate(TITLES, "title")
    assert all(1 <= len(translated_part(t, o)) <= 2 for t, o in zip(TITLES, short))
    full = _causal(tiny_causal_lm).translate(TITLES, "title")
    assert max(len(translated_part(t, o)) for t, o in zip(TITLES, full)) > 2
    assert all(len(translated_part(t, o)) <= GENERATION_MAX_NEW_TOKENS for t, o in zip(TITLES, full))


def test_blank_and_duplicate_inputs(tiny_causal_lm):
    translator = _causal(tiny_causal_lm)
    out = translator.translate(["", "  \n", TITLES[0], "  " + TITLES[0].replace(" ", "\n")], "title")
    assert out[:2] == ["", ""]
    assert out[2] and out[2] == out[3]
    assert translator.translate([], "title") == []


def test_translate_rejects_a_bare_string_and_unknown_kinds(tiny_causal_lm):
    translator = _causal(tiny_causal_lm)
    with pytest.raises(TypeError):
        translator.translate("A title", "title")
    with pytest.raises(ValueError, match="kind"):
        translator.translate(["A title"], "body")


def test_marian_translates_a_batch_in_order_and_deterministically(tiny_marian):
    translator = _marian(tiny_marian)
    first = translator.translate(TITLES, "title")
    assert len(first) == len(TITLES) and all(first)
    assert len(set(first)) > 1
    assert translator.translate(TITLES, "title") == first
    assert translator.translate(TITLES[::-1], "title") == first[::-1]
    assert [translator.translate([t], "title")[0] for t in TITLES[:3]] == first[:3]


def test_marian_translates_an_abstract_sentence_by_sentence(tiny_marian):
    translator = _marian(tiny_marian)
    sentences = [
        "We study reward models.",
        "Our method improves accuracy by 3.5% on three benchmarks, e.g. MMLU.",
        "Code is available at https://github.com/example/3.",
    ]
    (abstract,) = translator.translate([" ".join(sentences)], "abstract")
    pieces = translator.translate(sentences, "title")
    assert abstract == "".join(pieces)
    out = translator.translate(ABSTRACTS, "abstract")
    assert len(out) == len(ABSTRACTS) and all(out)


def test_missing_local_model_directory_raises_a_helpful_error(tmp_path):
    missing = tmp_path / "no-such-model"
    for translator in (_causal(missing), _marian(missing)):
        with pytest.raises(TranslationModelError) as err:
            translator.translate(["A title"], "title")
        message = str(err.value)
        assert str(missing) in message and "does not exist" in message
        assert "pip install -e '.[model]'" in message


def test_directory_without_a_model_raises_a_helpful_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(TranslationModelError, match="holds a complete causal model"):
        _causal(tmp_path / "empty").translate(["A title"], "title")


def test_missing_gguf_file_lists_what_is_there(tiny_causal_lm):
    translator = _causal(tiny_causal_lm, gguf_file="model-q4.gguf")
    with pytest.raises(TranslationModelError, match=r"'model-q4.gguf' is not in .*GGUF files there: none"):
        translator.translate(["A title"], "title")


@pytest.mark.parametrize("backend", ["causal", "seq2seq"])
def test_unknown_hub_id_offline_raises_a_helpful_error(backend, hub_offline):
    translator = load_translator(TranslatorConfig(backend=backend, model="hf-daily-tests/no-such-model"))
    with pytest.raises(TranslationModelError) as err:
        translator.translate(["A title"], "title")
    message = str(err.value)
    assert "hf-daily-tests/no-such-model" in message
    assert "HF_HUB_OFFLINE is set" in message
    assert "huggingface-cli download hf-daily-tests/no-such-model" in message
    assert "pip install -e '.[model]'" in message


def test_config_rejects_impossible_combinations():
    with pytest.raises(ValueError, match="backend"):
        TranslatorConfig(backend="rnn")
    with pytest.raises(ValueError, match="offline"):
        TranslatorConfig(backend="seq2seq")
    with pytest.raises(ValueError):
        TranslatorConfig(batch_size=0)
    with pytest.raises(ValueError, match="runtime"):
        TranslatorConfig(runtime="onnx")
    with pytest.raises(ValueError, match="offline"):
        TranslatorConfig(backend="openai")


def test_the_llama_cpp_runtime_without_its_library_says_how_to_install_it(monkeypatch, tmp_path):
    import sys

    from hf_daily.translate.llamacpp import LlamaCppEngine

    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if llama-cpp-python were not installed
    with pytest.raises(TranslationModelError, match=r"needs llama-cpp-python .*pip install -e '\.\[model\]'"):
        LlamaCppEngine(tmp_path / "model.gguf", n_seq=1, seq_ctx=64, n_threads=1)


@pytest.mark.parametrize("reported, weights", [
    ("AVX2 = 1 | AVX512 = 0 | AMX_INT8 = 0 |", "as-is"),
    ("AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 0 |", "q4_0"),
    # Where AMX is, llama.cpp's repacked buffers are off, and Q4_0 gains nothing (see LlamaCppEngine).
    ("AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 |", "as-is"),
])
def test_auto_weights_follow_the_kernels_llama_cpp_reports(monkeypatch, reported, weights):
    monkeypatch.setattr("hf_daily.translate.llamacpp.kernels", lambda: reported)
    assert resolve_weights(TranslatorConfig(runtime="llamacpp"), "llamacpp") == weights
    assert resolve_weights(TranslatorConfig(runtime="llamacpp", weights="q8_0"), "llamacpp") == "q8_0"
    assert resolve_weights(TranslatorConfig(runtime="llamacpp", model="/m", gguf_file="x.gguf"), "llamacpp") == "as-is"
