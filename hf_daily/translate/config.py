"""Translator configuration (plain data, shared by the Dagster resource and the CLI)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

OFFLINE = "offline"
BACKENDS = ("causal", "seq2seq", "openai")
RUNTIMES = ("auto", "transformers", "ctranslate2", "llamacpp")
LLAMACPP_WEIGHTS = ("auto", "as-is", "q4_0", "q8_0")
ABSTRACT_UNITS = ("whole", "sentences")
DEFAULT_OPENAI_BASE_URL = "https://api.deepseek.com/v1"
# Requests the openai backend keeps in flight, across all its servers, unless told otherwise.
DEFAULT_MAX_IN_FLIGHT = 8
API_KEY_ENVS = ("HF_DAILY_OPENAI_API_KEY", "OPENAI_API_KEY")


@dataclass(frozen=True)
class TranslatorConfig:
    # "causal": an instruction-tuned chat LM run here; "seq2seq": a MarianMT model run here;
    # "openai": a chat model behind an OpenAI-compatible HTTP API (DeepSeek, OpenAI, vLLM, llama.cpp server).
    backend: Literal["causal", "seq2seq", "openai"] = "causal"
    # "offline" = the bundled Qwen2.5-Coder-1.5B-Instruct GGUF; else a hub id or a local directory;
    # for backend="openai", the API's model name (e.g. "deepseek-chat").
    model: str = OFFLINE
    # For causal: a GGUF file name inside `model` (dir or repo), or an absolute path to a .gguf file.
    gguf_file: str | None = None
    # The offline model is joined, and prepared (converted) models are cached, under {data_dir}/models/.
    data_dir: str = "data"
    # "auto" picks cuda when a GPU is visible, else cpu.
    device: str = "auto"
    max_new_tokens: int = 512
    # Texts (for seq2seq: sentences) decoded together; None: the runtime's own default
    # (llamacpp and ctranslate2 16 on CPU and 64 on a GPU, transformers 4 on CPU and 32 on a GPU). The openai backend
    # ignores it: it keeps max_in_flight requests going.
    batch_size: int | None = None
    # For local models: "transformers" (the reference), "ctranslate2" (int8, several times faster on CPU) or
    # "llamacpp" (a GGUF model as it is, many texts decoded together: the fastest on a CPU);
    # "auto" = llamacpp for a GGUF model when llama-cpp-python is installed, else ctranslate2 when it is, else
    # transformers.
    runtime: Literal["auto", "transformers", "ctranslate2", "llamacpp"] = "auto"
    # llama.cpp only: the weights it runs. "as-is" reads the GGUF as it is; a llama.cpp type ("q4_0", "q8_0")
    # requantizes it once under {data_dir}/models/prepared/; "auto" = "q4_0" for the offline model where
    # llama.cpp's CPU kernels use AVX-512 (1.75x faster there, measured), else "as-is".
    weights: str = "auto"
    # Causal models: what one prompt holds of an abstract. "sentences": a few consecutive sentences (on the dev set
    # chrF 54.6 against 53.0 for "whole", and no slower on real days: short units keep more slots busy);
    # "whole": the abstract in one prompt.
    abstract_units: str = "sentences"
    # Weight type of the CTranslate2 conversion (int8, int8_float16, float16, float32, ...).
    quantization: str = "int8"
    # backend="openai" only: the API root (".../v1"), or several roots, comma-separated: a pool of servers of the
    # same model, each request sent to the one with the fewest requests outstanding, a failed one's requests
    # moved to the others. The key comes from $HF_DAILY_OPENAI_API_KEY or $OPENAI_API_KEY.
    base_url: str | None = None
    timeout_s: float = 120.0
    # Attempts of one request beyond the first, on any server of the pool.
    retries: int = 5
    # backend="openai" only: requests in flight at once, across all servers (a GPU engine wants 64 or more each).
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    # backend="openai" only: who serves `model`, as the cache key names it (model_id "openai:MODEL@PROVIDER#prompt").
    # None: the host name when every base URL has the same one (one server: as before), else the model name alone,
    # so a pool's cache key does not change with which or how many servers answer.
    provider: str | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.runtime not in RUNTIMES:
            raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, got {self.runtime!r}")
        if self.model == OFFLINE and self.backend != "causal":
            raise ValueError(
                "model='offline' is a causal (GGUF) model; use backend='causal', or name a "
                f"{'seq2seq model' if self.backend == 'seq2seq' else 'model of the API, e.g. deepseek-chat'}"
            )
        if self.weights not in LLAMACPP_WEIGHTS:
            raise ValueError(f"weights must be one of {', '.join(LLAMACPP_WEIGHTS)}, got {self.weights!r}")
        if self.abstract_units not in ABSTRACT_UNITS:
            raise ValueError(f"abstract_units must be one of {', '.join(ABSTRACT_UNITS)}, got {self.abstract_units!r}")
        if self.max_new_tokens < 1 or (self.batch_size is not None and self.batch_size < 1):
            raise ValueError("max_new_tokens and batch_size must be at least 1")
        if self.retries < 0 or self.timeout_s <= 0:
            raise ValueError("retries must be >= 0 and timeout_s > 0")
        if not isinstance(self.max_in_flight, int) or self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be a whole number of requests, at least 1, got {self.max_in_flight!r}")
        if self.provider is not None and (not self.provider.strip() or any(c in self.provider for c in " #@,/")):
            raise ValueError(f"provider names the API in the cache key: a word without spaces, '#', '@', ',' or '/', "
                             f"got {self.provider!r}")

    @property
    def base_urls(self) -> tuple[str, ...]:
        """The API roots of ``base_url`` (one, or several comma-separated), without trailing slashes."""
        return split_base_urls(self.base_url)


def split_base_urls(value: str | None) -> tuple[str, ...]:
    """``"http://a:8000/v1, http://b:8000/v1/"`` as ``("http://a:8000/v1", "http://b:8000/v1")``; the default
    API when ``value`` names none."""
    urls = tuple(dict.fromkeys(u.strip().rstrip("/") for u in (value or "").split(",") if u.strip()))
    return urls or (DEFAULT_OPENAI_BASE_URL,)


def parse_model_spec(spec: str) -> tuple[str, str]:
    """'BACKEND:MODEL' (e.g. 'openai:deepseek-chat', 'causal:Qwen/Qwen2.5-7B-Instruct') as (backend, model)."""
    backend, sep, model = spec.partition(":")
    if not sep or backend not in BACKENDS or not model.strip():
        raise ValueError(f"{spec!r} names no model: write BACKEND:MODEL with BACKEND one of {', '.join(BACKENDS)}, "
                         "e.g. openai:deepseek-chat or causal:Qwen/Qwen2.5-7B-Instruct")
    return backend, model.strip()


# The translator's settings in the environment, one variable each. The API key is not one of them: the
# OpenAI backend reads it from the environment when it sends a request, so it never enters a config.
ENVIRONMENT = {
    "backend": "HF_DAILY_TRANSLATOR_BACKEND",
    "model": "HF_DAILY_TRANSLATOR_MODEL",
    "gguf_file": "HF_DAILY_TRANSLATOR_GGUF_FILE",
    "runtime": "HF_DAILY_TRANSLATOR_RUNTIME",
    "weights": "HF_DAILY_TRANSLATOR_WEIGHTS",
    "abstract_units": "HF_DAILY_TRANSLATOR_ABSTRACT_UNITS",
    "base_url": "HF_DAILY_OPENAI_BASE_URL",
    "max_in_flight": "HF_DAILY_OPENAI_IN_FLIGHT",
    "provider": "HF_DAILY_OPENAI_PROVIDER",
}
# The settings above that are whole numbers (the environment holds text).
INTEGER_SETTINGS = ("max_in_flight",)


def translator_settings(flags: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None) -> dict:
    """The translator's settings for every command and the UI: the defaults, then the environment, then the flags.

    Each layer overrides only what it names: an unset or blank variable and a flag left out (None) change
    nothing, so `--backend openai --model M` keeps the environment's HF_DAILY_OPENAI_BASE_URL.
    """
    environ = os.environ if environ is None else environ
    settings = {name: environ[variable].strip() for name, variable in ENVIRONMENT.items()
                if environ.get(variable, "").strip()}
    for name in INTEGER_SETTINGS:
        if name in settings:
            try:
                settings[name] = int(settings[name])
            except ValueError:
                raise ValueError(f"${ENVIRONMENT[name]} must be a whole number, got {settings[name]!r}") from None
    settings.update({name: value for name, value in (flags or {}).items() if value is not None})
    return settings
