from __future__ import annotations

import json
import logging

import pytest

from hf_daily.translate import TranslationModelError, TranslatorConfig, load_translator
from hf_daily.translate.openai_compat import TranslationAPIError
from hf_daily.translate.prompts import TITLE_EXAMPLES
from hf_daily_tests.loopback import LoopbackServer, Reply

KEY = "sk-test-secret-123"


def _chat(content: str) -> Reply:
    return Reply.json({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


def _answer_by_text(request) -> Reply:
    # Echo a "translation" that depends on the user's text, like a real model.
    messages = json.loads(request.body)["messages"]
    return _chat(f"译文：中文 {messages[-1]['content'][-12:]}")


def _translator(server: LoopbackServer, **kwargs):
    config = TranslatorConfig(backend="openai", model="deepseek-chat", base_url=server.base_url + "/v1",
                              retries=3, timeout_s=5, **kwargs)
    return load_translator(config)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("hf_daily.translate.openai_compat.time.sleep", lambda s: None)


_SUBJECTS = {"robots": "机器人", "games": "游戏", "music": "音乐", "proteins": "蛋白质", "weather": "天气"}


def _title_by_text(request) -> Reply:
    # A faithful "translation" of "Reinforcement learning for X", behind a label a model might add.
    subject = json.loads(request.body)["messages"][-1]["content"].rsplit(" ", 1)[-1]
    return _chat(f"译文：面向{_SUBJECTS[subject]}的强化学习")


def test_translates_in_order_with_the_shared_prompt_and_key(monkeypatch):
    monkeypatch.setenv("HF_DAILY_OPENAI_API_KEY", KEY)
    with LoopbackServer(fallback=_title_by_text) as server:
        translator = _translator(server)
        out = translator.translate([f"Reinforcement learning for {w}" for w in _SUBJECTS], "title")
    assert out == [f"面向{zh}的强化学习" for zh in _SUBJECTS.values()]  # the "译文：" label is cleaned off
    assert len(server.requests) == 5  # faithful titles are not tried again
    request = server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.header("authorization") == f"Bearer {KEY}"
    payload = json.loads(request.body)
    assert payload["model"] == "deepseek-chat" and payload["temperature"] == 0
    assert payload["messages"][0]["role"] == "system" and "强化学习" in payload["messages"][-1]["content"]
    # The worked title examples come between, as turns the model already answered.
    turns = payload["messages"][1:-1]
    assert [m["role"] for m in turns] == ["user", "assistant"] * len(TITLE_EXAMPLES)
    assert [(q["content"].rsplit("\n", 1)[-1], a["content"]) for q, a in zip(turns[::2], turns[1::2])] == list(
        TITLE_EXAMPLES)
    assert KEY not in translator.model_id and translator.model_id.startswith("openai:deepseek-chat@127.0.0.1#")


def _drops_latent_unless_told(request) -> Reply:
    user = json.loads(request.body)["messages"][-1]["content"]
    return _chat("潜在隐式视觉推理" if "Translate every word, including: Latent" in user else "隐式视觉推理")


def test_a_title_that_drops_a_word_is_tried_again_naming_the_word(monkeypatch):
    monkeypatch.setenv("HF_DAILY_OPENAI_API_KEY", KEY)
    with LoopbackServer(fallback=_drops_latent_unless_told) as server:
        out = _translator(server).translate(["Latent Implicit Visual Reasoning"], "title")
    assert out == ["潜在隐式视觉推理"]
    assert len(server.requests) == 2
    retry = json.loads(server.requests[1].body)["messages"][-1]["content"]
    assert "Translate every word, including: Latent\n" in retry and "Implicit," not in retry


def _splits_at_a_colon_unless_told(request) -> Reply:
    user = json.loads(request.body)["messages"][-1]["content"]
    return _chat("基于动作单元控制的面部表情编辑" if "Add no colon" in user else "面部表情编辑：动作单元控制")


def test_a_title_split_at_a_new_colon_is_tried_again_asking_for_one_phrase():
    with LoopbackServer(fallback=_splits_at_a_colon_unless_told) as server:
        out = _translator(server).translate(["Facial Expression Editing with Action-Unit Control"], "title")
    assert out == ["基于动作单元控制的面部表情编辑"]
    assert len(server.requests) == 2


def _loses_what_is_not_named(request) -> Reply:
    # Like a small model: drops "1,000" and "GPT-4o" unless the prompt names them.
    user = json.loads(request.body)["messages"][-1]["content"]
    if "Keep exactly as written: " in user:
        kept = user.split("Keep exactly as written: ", 1)[1].split("\n", 1)[0]
        return _chat(f"用{kept.replace(', ', '和')}训练的模型")
    return _chat("用一千个样本训练的模型")


def test_a_second_try_names_what_the_first_lost_and_wins_when_better():
    with LoopbackServer(fallback=_loses_what_is_not_named) as server:
        out = _translator(server).translate(["Training GPT-4o with 1,000 Examples"], "title")
    assert out == ["用1,000和GPT-4o训练的模型"]
    first, second = (json.loads(r.body)["messages"][-1]["content"] for r in server.requests)
    assert "Keep exactly as written" not in first
    assert "Keep exactly as written: 1,000, GPT-4o\n" in second


def test_a_second_try_that_is_no_better_is_dropped():
    def always_loses(request) -> Reply:
        return _chat("用一千个样本训练的模型")

    with LoopbackServer(fallback=always_loses) as server:
        out = _translator(server).translate(["Training with 1,000 Examples", "Training Models"], "title")
    assert out == ["用一千个样本训练的模型"] * 2
    assert len(server.requests) == 3  # "Training Models" lost nothing, so only the other is tried again


def test_retries_on_429_and_5xx_and_connection_errors(monkeypatch, caplog):
    monkeypatch.setenv("HF_DAILY_OPENAI_API_KEY", KEY)
    with LoopbackServer() as server:
        server.script(Reply(status=429, headers={"Retry-After": "1"}), Reply(status=503), Reply(action="reset"),
                      _chat("标题"))
        with caplog.at_level(logging.WARNING):
            assert _translator(server).translate(["A Title"], "title") == ["标题"]
        assert len(server.requests) == 4
    assert KEY not in caplog.text


def test_gives_up_after_the_retries():
    with LoopbackServer(fallback=Reply(status=500)) as server:
        with pytest.raises(TranslationAPIError, match="failed 4 times"):
            _translator(server).translate(["A Title"], "title")


def test_a_refused_key_is_a_model_error_that_names_the_variable_not_the_key(monkeypatch):
    monkeypatch.setenv("HF_DAILY_OPENAI_API_KEY", KEY)
    with LoopbackServer(Reply(status=401, body="bad key")) as server:
        with pytest.raises(TranslationModelError) as err:
            _translator(server).translate(["A Title"], "title")
    assert "HF_DAILY_OPENAI_API_KEY" in str(err.value) and KEY not in str(err.value)


def test_no_key_sends_no_authorization(monkeypatch):
    monkeypatch.delenv("HF_DAILY_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with LoopbackServer(_chat("标题")) as server:
        _translator(server).translate(["A Title"], "title")
        assert server.requests[0].header("authorization") is None


def test_bad_base_url_is_rejected():
    with pytest.raises(ValueError, match="base_url"):
        load_translator(TranslatorConfig(backend="openai", model="m", base_url="api.example.com"))
