"""Translation by a chat model behind an OpenAI-compatible HTTP API (DeepSeek, OpenAI, vLLM, llama.cpp server).

The prompt, the glossary, the output cleaning, the cache key scheme and the
quality checks are the same as for local causal models. The API key is read
from ``$HF_DAILY_OPENAI_API_KEY`` (or ``$OPENAI_API_KEY``) when the first
request is made; it is sent only in the Authorization header and never appears
in model_id, errors or logs. A local server without authentication needs no key.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from hf_daily.translate.base import BaseTranslator, Kind
from hf_daily.translate.config import API_KEY_ENVS, DEFAULT_OPENAI_BASE_URL, TranslatorConfig
from hf_daily.translate.errors import TranslationModelError
from hf_daily.translate.prompts import PROMPT_VERSION, build_messages
from hf_daily.translate.text import clean_output

log = logging.getLogger(__name__)

RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529}
MAX_BACKOFF_S = 60.0


class TranslationAPIError(RuntimeError):
    """The API answered with an error that retrying does not fix, or kept failing."""


def api_key() -> str | None:
    for name in API_KEY_ENVS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


class OpenAITranslator(BaseTranslator):
    def __init__(self, config: TranslatorConfig) -> None:
        super().__init__(config)
        self.base_url = (config.base_url or DEFAULT_OPENAI_BASE_URL).rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL such as {DEFAULT_OPENAI_BASE_URL}, got {self.base_url!r}")
        # The host names the provider; the port and path do not change the model's answers.
        self.model_id = f"openai:{config.model}@{parts.hostname}#{PROMPT_VERSION}"
        self._local = threading.local()

    def default_batch_size(self) -> int:
        return 8  # requests in flight at once

    def _load(self) -> None:  # nothing to load; BaseTranslator still resolves a device
        import requests  # noqa: F401  (fail early if missing)

    def _session(self):
        import requests

        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _post(self, payload: dict) -> dict:
        import requests

        url = f"{self.base_url}/chat/completions"
        last = ""
        for attempt in range(self.config.retries + 1):
            wait = min(MAX_BACKOFF_S, 0.5 * 2**attempt) * (0.5 + random.random() / 2)
            try:
                response = self._session().post(url, json=payload, headers=self._headers(),
                                                timeout=self.config.timeout_s)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"{type(exc).__name__}"
            else:
                if response.status_code == 200:
                    try:
                        return response.json()
                    except ValueError:
                        last = "a reply that is not JSON"
                elif response.status_code in (401, 403):
                    raise TranslationModelError(
                        f"The translation API at {self.base_url} refused the request (HTTP {response.status_code}): "
                        f"set a valid key in ${API_KEY_ENVS[0]} (or ${API_KEY_ENVS[1]})."
                    )
                elif response.status_code == 404:
                    raise TranslationModelError(
                        f"The translation API at {self.base_url} has no {url[len(self.base_url):]} or no model "
                        f"{self.config.model!r} (HTTP 404): check base_url (it usually ends in /v1) and model."
                    )
                elif response.status_code in RETRY_STATUSES:
                    last = f"HTTP {response.status_code}"
                    retry_after = response.headers.get("Retry-After", "")
                    if retry_after.replace(".", "", 1).isdigit():
                        wait = min(MAX_BACKOFF_S, float(retry_after))
                else:
                    raise TranslationAPIError(
                        f"The translation API at {self.base_url} answered HTTP {response.status_code}: "
                        f"{response.text[:200]}"
                    )
            if attempt < self.config.retries:
                log.warning("translation API %s: %s; retry %d of %d in %.1f s", self.base_url, last,
                            attempt + 1, self.config.retries, wait)
                time.sleep(wait)
        raise TranslationAPIError(
            f"The translation API at {self.base_url} failed {self.config.retries + 1} times (last: {last})."
        )

    def _one(self, text: str, kind: Kind, hints=None) -> str:
        payload = {
            "model": self.config.model,
            "messages": build_messages(text, kind, hints),
            "temperature": 0,
            "max_tokens": self.config.max_new_tokens,
            "stream": False,
        }
        data = self._post(payload)
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise TranslationAPIError(f"The translation API at {self.base_url} sent no choices[0].message") from exc
        return clean_output(content or "")

    retries_with_hints = True

    def _translate_units(self, units: list[str], kind: Kind, on_unit=None, hints=None) -> list[str]:
        hints = hints or {}
        if len(units) == 1:
            return [self._one(units[0], kind, hints.get(units[0]))]
        with ThreadPoolExecutor(max_workers=len(units), thread_name_prefix="hf-daily-api") as pool:
            return list(pool.map(lambda u: self._one(u, kind, hints.get(u)), units))
