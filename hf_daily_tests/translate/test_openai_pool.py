"""The openai backend on several servers: spreading, the in-flight limit, failover, the cache key, the settings."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import socket
import threading

import pytest

from hf_daily.translate import TranslatorConfig, chunk_size_for, load_translator
from hf_daily.translate.cli import add_model_arguments, model_flags
from hf_daily.translate.config import translator_settings
from hf_daily.translate.openai_compat import TranslationAPIError
from hf_daily.translate.pool import ServerPool, display_url
from hf_daily.translate.prompts import PROMPT_VERSION
from hf_daily_tests.loopback import LoopbackServer, Reply

KEY = "sk-test-secret-123"
# Plain sentences: nothing a quality check could find lost, so each text is exactly one request.
TEXTS = [f"we study how {'small ' * (i % 5)}models learn from data, case {chr(97 + i % 26)}{chr(97 + i // 26)}."
         for i in range(24)]


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("hf_daily.translate.openai_compat.time.sleep", lambda s: None)


def _user_text(request) -> str:
    return json.loads(request.body)["messages"][-1]["content"]


def _zh(text: str) -> str:
    # A deterministic "translation" of the text, as a model at temperature 0 gives.
    digest = hashlib.sha256(text.encode()).digest()
    return "我们研究" + "".join("模型数据学习小大" [b % 8] for b in digest[:6]) + "。"


def _translating(request) -> Reply:
    content = _zh(_user_text(request))
    return Reply.json({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


def _texts(server: LoopbackServer) -> list[str]:
    return [_user_text(r) for r in server.requests]


def _closed_port() -> int:
    # A port nothing listens on: bound, then closed, so connecting is refused.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pool(*urls: str, **kwargs):
    config = TranslatorConfig(backend="openai", model="qwen", base_url=",".join(urls), retries=3, timeout_s=5,
                              **kwargs)
    return load_translator(config)


def _expected() -> list[str]:
    return [_zh(text) for text in TEXTS]


def test_requests_spread_over_the_servers_and_each_text_is_sent_once():
    with LoopbackServer(fallback=_translating) as a, LoopbackServer(fallback=_translating) as b:
        translator = _pool(a.base_url + "/v1", b.base_url + "/v1", max_in_flight=4)
        assert translator.translate(TEXTS, "abstract") == _expected()
    assert a.requests and b.requests
    assert {r.path for r in a.requests + b.requests} == {"/v1/chat/completions"}
    assert sorted(_texts(a) + _texts(b)) == sorted(TEXTS)


def test_the_in_flight_limit_is_kept_across_all_servers():
    limit = 6
    # Each request waits until `limit` are in flight at once across both servers: fewer would never
    # release them (the barrier breaks, the request fails), more would show in the peak.
    barrier = threading.Barrier(limit, timeout=10)
    lock, in_flight, peak = threading.Lock(), [0], [0]

    def gathering(request) -> Reply:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return Reply(status=400, body="the client kept fewer requests in flight than its limit")
        finally:
            with lock:
                in_flight[0] -= 1
        return _translating(request)

    with LoopbackServer(fallback=gathering) as a, LoopbackServer(fallback=gathering) as b:
        translator = _pool(a.base_url + "/v1", b.base_url + "/v1", max_in_flight=limit)
        assert translator.translate(TEXTS, "abstract") == _expected()  # 24 texts: 4 full rounds of 6
    assert peak[0] == limit
    assert a.requests and b.requests and sorted(_texts(a) + _texts(b)) == sorted(TEXTS)


def test_a_refused_server_is_left_out_and_its_requests_go_to_the_other(caplog):
    dead = f"http://127.0.0.1:{_closed_port()}/v1"
    with LoopbackServer(fallback=_translating) as alive:
        translator = _pool(dead, alive.base_url + "/v1", max_in_flight=4)
        with caplog.at_level(logging.WARNING):
            assert translator.translate(TEXTS, "abstract") == _expected()
    assert sorted(_texts(alive)) == sorted(TEXTS)
    [down] = translator.pool.down()
    assert down.name == dead and down.answered == 0 and down.last_error == "ConnectionError"
    assert f"translation server {dead} is down (ConnectionError): its requests go to the others (1 up)" in caplog.text


def test_a_server_answering_5xx_is_left_out_and_its_requests_go_to_the_other():
    with LoopbackServer(fallback=Reply(status=503)) as failing, LoopbackServer(fallback=_translating) as alive:
        translator = _pool(failing.base_url + "/v1", alive.base_url + "/v1", max_in_flight=4)
        assert translator.translate(TEXTS, "abstract") == _expected()
    assert failing.requests  # it was tried, and every text it failed was sent to the other
    assert sorted(_texts(alive)) == sorted(TEXTS)


def test_a_server_killed_mid_run_loses_nothing_and_repeats_nothing():
    # The first server answers 5 requests, then resets every connection, as a killed process does.
    lock, answered, failed = threading.Lock(), [], []

    def dies_after_five(request) -> Reply:
        with lock:
            alive = len(answered) < 5
            (answered if alive else failed).append(_user_text(request))
        return _translating(request) if alive else Reply(action="reset")

    with LoopbackServer(fallback=dies_after_five) as victim, LoopbackServer(fallback=_translating) as survivor:
        victim_url = victim.base_url + "/v1"
        translator = _pool(victim_url, survivor.base_url + "/v1", max_in_flight=4)
        assert translator.translate(TEXTS, "abstract") == _expected()
    assert len(answered) == 5 and failed  # killed with requests in flight, or with more coming
    # What the victim answered is never sent again; what failed there went to the survivor, once.
    assert sorted(answered + _texts(survivor)) == sorted(TEXTS)
    assert set(failed) <= set(_texts(survivor))
    assert [s.name for s in translator.pool.down()] == [victim_url]


def test_when_every_server_is_down_the_error_names_them_and_the_fix_but_no_secret(monkeypatch, caplog):
    monkeypatch.setenv("HF_DAILY_OPENAI_API_KEY", KEY)
    port = _closed_port()
    first = f"http://user:hunter2@127.0.0.1:{port}/v1?token=t0ken"
    with LoopbackServer(fallback=Reply(status=502)) as failing:
        second = failing.base_url + "/v1"
        translator = _pool(first, second, max_in_flight=4)
        with caplog.at_level(logging.WARNING), pytest.raises(TranslationAPIError) as err:
            translator.translate(TEXTS[:3], "abstract")
    message = str(err.value)
    assert message.startswith(f"Every translation server is down: http://127.0.0.1:{port}/v1 (ConnectionError), "
                              f"{second} (HTTP 502); a request failed 4 times")
    assert "$HF_DAILY_OPENAI_BASE_URL (--base-url" in message
    for secret in ("hunter2", "t0ken", KEY):
        assert secret not in message and secret not in caplog.text and secret not in translator.model_id


def test_one_server_keeps_its_retries_and_says_so():
    with LoopbackServer(fallback=Reply(status=500)) as server:
        with pytest.raises(TranslationAPIError, match=r"failed 4 times \(last: HTTP 500 from .*\)\. Check that the "
                                                      r"server run"):
            _pool(server.base_url + "/v1").translate(["A text."], "abstract")
    assert len(server.requests) == 4


def test_a_probe_after_the_cooldown_brings_a_server_back():
    now = [0.0]
    pool = ServerPool(["http://a/v1", "http://b/v1"], clock=lambda: now[0])
    a, b = pool.servers
    first, _ = pool.pick()
    assert first is a and pool.failed(a, "ConnectionError")
    assert [pool.pick()[0] for _ in range(3)] == [b, b, b]  # a is down: only b, however many are outstanding
    now[0] = 1.0  # a's first cool-down (1 s) is over: one probe at a time
    probe, up = pool.pick()
    assert probe is a and up and pool.pick()[0] is b
    assert pool.failed(a, "ConnectionError") and a.down_until == 3.0  # the probe failed: down for 2 s this time
    now[0] = 3.0
    assert pool.pick()[0] is a and pool.succeeded(a) and a.down_until is None


def test_every_server_down_picks_the_one_back_first_and_says_to_wait():
    now = [0.0]
    pool = ServerPool(["http://a/v1", "http://b/v1"], clock=lambda: now[0])
    a, b = pool.servers
    for server in (a, b):
        pool.pick()
        pool.failed(server, "HTTP 503", cooldown=5.0 if server is a else None)
    server, up = pool.pick()
    assert (server, up) == (b, False)


def test_the_cache_key_names_the_model_not_the_servers():
    one = _pool("http://127.0.0.1:8001/v1").model_id
    assert one == f"openai:qwen@127.0.0.1#{PROMPT_VERSION}"  # as it always was
    assert _pool("http://127.0.0.1:8001/v1", "http://127.0.0.1:8002/v1").model_id == one
    assert _pool("http://gpu-1:8000/v1", "http://gpu-2:8000/v1").model_id == f"openai:qwen#{PROMPT_VERSION}"
    assert _pool("http://gpu-2:8000/v1", "http://gpu-1:8000/v1", "http://gpu-3:8000/v1").model_id == \
        f"openai:qwen#{PROMPT_VERSION}"
    pinned = {_pool(*urls, provider="vllm").model_id for urls in
              (["http://gpu-1:8000/v1"], ["http://gpu-1:8000/v1", "http://gpu-2:8000/v1"], ["http://vllm/v1"])}
    assert pinned == {f"openai:qwen@vllm#{PROMPT_VERSION}"}
    assert _pool("http://user:pw@api.example.com/v1").model_id == f"openai:qwen@api.example.com#{PROMPT_VERSION}"


def test_settings_come_from_the_environment_and_flags_override_them():
    environ = {"HF_DAILY_OPENAI_BASE_URL": " http://a:8000/v1/, http://b:8000/v1 ,", "HF_DAILY_OPENAI_IN_FLIGHT": "64",
               "HF_DAILY_OPENAI_PROVIDER": "vllm"}
    settings = translator_settings({"backend": "openai", "model": "qwen"}, environ)
    config = TranslatorConfig(**settings)
    assert config.base_urls == ("http://a:8000/v1", "http://b:8000/v1")
    assert (config.max_in_flight, config.provider) == (64, "vllm")
    assert translator_settings({"max_in_flight": 128}, environ)["max_in_flight"] == 128
    assert TranslatorConfig().max_in_flight == 8 and TranslatorConfig().base_urls == ("https://api.deepseek.com/v1",)
    with pytest.raises(ValueError, match=r"\$HF_DAILY_OPENAI_IN_FLIGHT must be a whole number, got 'many'"):
        translator_settings({}, {"HF_DAILY_OPENAI_IN_FLIGHT": "many"})
    with pytest.raises(ValueError, match="max_in_flight must be"):
        TranslatorConfig(backend="openai", model="m", max_in_flight=0)
    with pytest.raises(ValueError, match="provider names the API"):
        TranslatorConfig(backend="openai", model="m", provider="a b")


def test_the_environments_proxy_is_still_used(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with LoopbackServer(fallback=_translating) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        assert _pool("http://models.internal:8000/v1").translate(TEXTS[:1], "abstract") == _expected()[:1]
    assert [r.target for r in proxy.requests] == ["http://models.internal:8000/v1/chat/completions"]


def test_a_bad_url_among_several_is_named():
    with pytest.raises(ValueError, match=r"or several separated by commas, got 'gpu-2:8000/v1'"):
        _pool("http://gpu-1:8000/v1", "gpu-2:8000/v1")


def test_display_url_drops_credentials_and_queries():
    assert display_url("https://me:pw@[::1]:8443/v1?key=k#f") == "https://[::1]:8443/v1"
    assert display_url("http://gpu-1/v1") == "http://gpu-1/v1"


def test_the_command_line_names_the_pool_settings():
    parser = argparse.ArgumentParser()
    add_model_arguments(parser)
    flags = model_flags(parser.parse_args(["--base-url", "http://a/v1,http://b/v1", "--max-in-flight", "64",
                                           "--provider", "vllm"]))
    assert (flags["base_url"], flags["max_in_flight"], flags["provider"]) == ("http://a/v1,http://b/v1", 64, "vllm")
    assert model_flags(parser.parse_args([]))["max_in_flight"] is None  # left to the environment


def test_a_pool_gets_several_rounds_of_texts_per_call():
    assert chunk_size_for(_pool("http://a/v1", max_in_flight=256), 64) == 1024
    assert chunk_size_for(_pool("http://a/v1"), 64) == 64  # 8 in flight: the chunk already holds 8 rounds
    assert chunk_size_for(object(), 64) == 64  # a translator without a pool
