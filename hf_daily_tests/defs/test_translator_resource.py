"""The translator resource takes the server-pool settings from the environment, and flags override them."""

from __future__ import annotations

from hf_daily.defs import resources
from hf_daily.translate.prompts import PROMPT_VERSION


def test_the_pool_settings_reach_the_translator_through_the_resource(monkeypatch):
    monkeypatch.setenv("HF_DAILY_TRANSLATOR_BACKEND", "openai")
    monkeypatch.setenv("HF_DAILY_TRANSLATOR_MODEL", "qwen")
    monkeypatch.setenv("HF_DAILY_OPENAI_BASE_URL", "http://gpu-1:8000/v1,http://gpu-2:8000/v1")
    monkeypatch.setenv("HF_DAILY_OPENAI_IN_FLIGHT", "128")
    monkeypatch.setenv("HF_DAILY_OPENAI_PROVIDER", "vllm")
    monkeypatch.setenv("HF_DAILY_RETRANSLATE_FLAGGED_WITH", "openai:strong")
    ui = resources.default_resources()["translator"]
    assert (ui.max_in_flight, ui.provider) == (128, "vllm")
    translator = ui.translator("data")
    assert [s.url for s in translator.pool.servers] == ["http://gpu-1:8000/v1", "http://gpu-2:8000/v1"]
    assert translator.max_in_flight == 128 and translator.model_id == f"openai:qwen@vllm#{PROMPT_VERSION}"
    # The model for flagged papers is served by the same pool.
    again = ui.retranslator("data")
    assert (again.max_in_flight, again.model_id) == (128, f"openai:strong@vllm#{PROMPT_VERSION}")
    flagged = resources.TranslatorResource(**resources.resource_config("translator", {"max_in_flight": 16}))
    assert flagged.translator("data").max_in_flight == 16


def test_without_pool_settings_the_resource_keeps_the_old_defaults(monkeypatch):
    for name in ("HF_DAILY_OPENAI_IN_FLIGHT", "HF_DAILY_OPENAI_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    ui = resources.TranslatorResource(backend="openai", model="deepseek-chat")
    assert (ui.max_in_flight, ui.provider) == (8, None)
    assert ui.translator("data").model_id == f"openai:deepseek-chat@api.deepseek.com#{PROMPT_VERSION}"
