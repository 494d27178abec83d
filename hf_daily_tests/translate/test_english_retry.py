"""A translation that leaves ordinary English words untranslated is tried once more, naming them."""

from __future__ import annotations

import importlib.util
import json

import pytest

from hf_daily.translate import TranslatorConfig, load_translator
from hf_daily.translate.base import better, english_left, retry_hints
from hf_daily.translate.prompts import ENGLISH_HEADER, Hints, user_message
from hf_daily.translate.quality import translation_stats
from hf_daily_tests.loopback import LoopbackServer, Reply

SOURCE = "We propose a frugal method for training models."
LEFT = "我们提出了一种 frugal 方法来训练模型。"
FIXED = "我们提出了一种节俭的方法来训练模型。"
CLEAN_SOURCE = "We study how models learn."
CLEAN = "我们研究模型如何学习。"


def test_the_words_left_are_listed_once_and_names_are_not():
    stats = translation_stats(SOURCE, "我们提出了一种 frugal 方法，Frugal 且 frugal，用于训练 GPT-4o 模型。")
    assert stats.english_left == ["frugal"] and stats.untranslated_words == 2  # "Frugal" reads as a name
    assert english_left(SOURCE, LEFT) == ["frugal"]
    assert english_left(SOURCE, FIXED) == [] and retry_hints(SOURCE, FIXED, "abstract") is None


def test_words_the_house_style_translates_are_not_named():
    # "scalable" is a glossary word that apply_house_style translates after the model: no second try for it.
    source = "We propose a scalable and frugal method."
    assert english_left(source, "我们提出了一种 scalable 方法。") == []
    assert retry_hints(source, "我们提出了一种 scalable 方法。", "abstract") is None
    assert english_left(source, "我们提出了一种 scalable 且 frugal 的方法。") == ["frugal"]


def test_the_hint_names_the_words_in_the_prompt():
    hints = retry_hints(SOURCE, LEFT, "abstract")
    assert hints == Hints(english=("frugal",))
    content = user_message(SOURCE, hints)["content"]
    assert f"{ENGLISH_HEADER}frugal\n" in content and content.endswith(SOURCE)


def test_better_prefers_less_english_at_equal_problems_but_not_by_dropping_text():
    assert better(SOURCE, LEFT, FIXED, "abstract") == FIXED
    assert better(SOURCE, FIXED, LEFT, "abstract") == FIXED
    # Fewer English words only because the sentence lost most of its Chinese: the first stays.
    assert better(SOURCE, LEFT, "我们提出了方法来训练。", "abstract") == LEFT
    # Fewer problems still come first: a second try that loses a number loses, whatever its English.
    source = "We train the model on 1,000 carefully chosen and frugal examples from the web."
    first, second = "我们在来自网络的1,000个精心挑选的 frugal 样本上训练模型。", "我们在来自网络的一千个精心挑选的节俭样本上训练模型。"
    assert better(source, first, second, "abstract") == first


# --- the OpenAI-compatible backend: the prompt text the server receives ---------------------------------


def _chat(content: str) -> Reply:
    return Reply.json({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


def _openai(server: LoopbackServer):
    return load_translator(TranslatorConfig(backend="openai", model="deepseek-chat", base_url=server.base_url + "/v1",
                                            retries=0, timeout_s=5))


def _user(request) -> str:
    return json.loads(request.body)["messages"][-1]["content"]


def test_openai_english_left_is_tried_again_naming_the_words_and_the_better_kept():
    def leaves_frugal_unless_told(request) -> Reply:
        user = _user(request)
        if CLEAN_SOURCE in user:
            return _chat(CLEAN)
        return _chat(FIXED if f"{ENGLISH_HEADER}frugal\n" in user else LEFT)

    with LoopbackServer(fallback=leaves_frugal_unless_told) as server:
        out = _openai(server).translate([SOURCE, CLEAN_SOURCE], "abstract")
    assert out == [FIXED, CLEAN]
    prompts = [_user(r) for r in server.requests]
    assert len(prompts) == 3  # the clean one is not tried again
    assert sum(ENGLISH_HEADER in p for p in prompts) == 1
    (retry,) = [p for p in prompts if ENGLISH_HEADER in p]
    assert f"{ENGLISH_HEADER}frugal\n" in retry and retry.endswith(SOURCE)


def test_openai_a_second_try_that_leaves_as_much_english_is_dropped():
    with LoopbackServer(fallback=lambda request: _chat(LEFT)) as server:
        assert _openai(server).translate([SOURCE], "abstract") == [LEFT]
        assert len(server.requests) == 2


def test_openai_nothing_is_tried_again_when_no_english_is_left():
    with LoopbackServer(fallback=lambda request: _chat(CLEAN)) as server:
        assert _openai(server).translate([CLEAN_SOURCE, "Models learn."], "abstract") == [CLEAN, CLEAN]
        assert len(server.requests) == 2 and not any(ENGLISH_HEADER in _user(r) for r in server.requests)


# --- the tiny local model: llama.cpp (the retry joins the running batch) and transformers ----------------

needs_llama = pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                                 reason="llama-cpp-python is not installed")


def _local(tiny_gguf, runtime: str):
    return load_translator(TranslatorConfig(model=str(tiny_gguf.parent), gguf_file=tiny_gguf.name, runtime=runtime,
                                            batch_size=2, max_new_tokens=12, data_dir=str(tiny_gguf.parent / "data")))


class _Scripted:
    """Stands in for the output cleaning: the random tiny model's raw first outputs get scripted translations
    (the first text's leaves "frugal" in English), any other output (a second try's) the fixed one."""

    def __init__(self, first_raw: dict[str, str]):
        self.first_raw = first_raw

    def __call__(self, raw: str) -> str:
        return self.first_raw.get(raw, FIXED)


@pytest.fixture(params=[pytest.param("llamacpp", marks=needs_llama), "transformers"])
def local(request, tiny_gguf, monkeypatch):
    """(translator, prompts it was given, generate calls): the user messages of every prompt, first and second."""
    import hf_daily.translate.causal as causal

    translator = _local(tiny_gguf, request.param)
    # The random model's raw outputs of the two texts, no second tries: the keys of the script.
    raw = []
    with monkeypatch.context() as m:
        m.setattr(causal, "clean_output", lambda text: raw.append(text) or text)
        m.setattr(causal, "retry_hints", lambda *a: None)
        m.setattr("hf_daily.translate.base.retry_hints", lambda *a: None)
        translator.translate([SOURCE], "abstract")
        translator.translate([CLEAN_SOURCE], "abstract")
    first_raw = {raw[0]: LEFT, raw[-1]: CLEAN}
    assert len(first_raw) == 2, "the tiny model gave both texts the same output"
    monkeypatch.setattr(causal, "clean_output", _Scripted(first_raw))
    prompts, calls = [], []
    real_build = causal.build_messages

    def build(text, kind, hints=None):
        messages = real_build(text, kind, hints)
        prompts.append(messages[-1]["content"])
        return messages

    monkeypatch.setattr(causal, "build_messages", build)
    if request.param == "llamacpp":
        real_generate = translator._engine.generate
        monkeypatch.setattr(translator._engine, "generate", lambda *a, **k: calls.append(1) or real_generate(*a, **k))
    return translator, prompts, calls, request.param


def test_local_english_left_is_tried_again_naming_the_words_and_the_better_kept(local):
    translator, prompts, calls, runtime = local
    assert translator.translate([SOURCE, CLEAN_SOURCE], "abstract") == [FIXED, CLEAN]
    retries = [p for p in prompts if ENGLISH_HEADER in p]
    assert len(prompts) == 3 and len(retries) == 1  # the clean text is not tried again
    assert f"{ENGLISH_HEADER}frugal\n" in retries[0] and retries[0].endswith(SOURCE)
    if runtime == "llamacpp":
        assert calls == [1]  # the second try joined the same run


def test_local_a_second_try_no_better_is_dropped(local, monkeypatch):
    import hf_daily.translate.causal as causal

    translator, prompts, _calls, _runtime = local
    monkeypatch.setattr(causal, "clean_output", lambda raw: LEFT)
    assert translator.translate([SOURCE], "abstract") == [LEFT]
    assert sum(ENGLISH_HEADER in p for p in prompts) == 1


def test_local_nothing_is_tried_again_when_no_english_is_left(local):
    translator, prompts, _calls, _runtime = local
    assert translator.translate([CLEAN_SOURCE], "abstract") == [CLEAN]
    assert len(prompts) == 1 and ENGLISH_HEADER not in prompts[0]
