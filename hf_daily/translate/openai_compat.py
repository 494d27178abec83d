"""Translation by a chat model behind an OpenAI-compatible HTTP API (DeepSeek, OpenAI, vLLM, llama.cpp server).

The prompt, the glossary, the output cleaning, the cache key scheme and the
quality checks are the same as for local causal models. ``base_url`` may name
several servers of one model (comma-separated): ``max_in_flight`` requests are
kept going across them, each to the server with the fewest outstanding, and a
request that fails on one server is sent to another at once, while the failed
server is left out until its cool-down ends (:mod:`hf_daily.translate.pool`).
Only a request that fails ``retries + 1`` times is an error. The API key is read
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
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from urllib.parse import urlsplit

from hf_daily.translate.base import BaseTranslator, Kind
from hf_daily.translate.config import API_KEY_ENVS, DEFAULT_OPENAI_BASE_URL, ENVIRONMENT, TranslatorConfig
from hf_daily.translate.pool import Server, ServerPool
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
        urls = config.base_urls
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"base_url must be an http(s) URL such as {DEFAULT_OPENAI_BASE_URL}, or several "
                                 f"separated by commas, got {url!r}")
        self.pool = ServerPool(urls)
        self.max_in_flight = config.max_in_flight
        self.model_id = openai_model_id(config.model, urls, config.provider)
        self._local = threading.local()
        self._settings: dict[str, dict] = {}
        self._settings_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """The servers as logs and errors show them (no credentials)."""
        return ", ".join(s.name for s in self.pool.servers)

    def default_batch_size(self) -> int:
        return self.max_in_flight

    def units_per_call(self) -> int:
        # The pool keeps max_in_flight requests going and sends the next as soon as one returns,
        # so it gets every unit at once instead of fixed batches that wait for their slowest request.
        return 1 << 30

    def _load(self) -> None:  # nothing to load; BaseTranslator still resolves a device
        import requests  # noqa: F401  (fail early if missing)

    def _session(self):
        import requests

        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            # requests reads the proxy and CA settings from the environment on every request, a fifth of the
            # client's CPU per request (measured: 3.0 against 2.5 ms); _environment reads them once per server
            # (~/.netrc is not read: the key comes from the environment).
            session.trust_env = False
        return session

    def _environment(self, server: Server) -> dict:
        """The proxies and CA bundle the environment names for ``server``, as requests would read them."""
        import requests

        with self._settings_lock:
            settings = self._settings.get(server.url)
            if settings is None:
                verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
                settings = self._settings[server.url] = {
                    "proxies": requests.utils.get_environ_proxies(server.url), "verify": verify}
            return settings

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _send(self, server: Server, payload: dict) -> tuple[dict | None, str, float | None]:
        """One request to ``server``: (the reply, "", None), or (None, what went wrong, Retry-After) for a
        failure worth another try; raises for one that is not."""
        import requests

        url = f"{server.url}/chat/completions"
        try:
            response = self._session().post(url, json=payload, headers=self._headers(), timeout=self.config.timeout_s,
                                            **self._environment(server))
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            return None, type(exc).__name__, None
        if response.status_code == 200:
            try:
                return response.json(), "", None
            except ValueError:
                return None, "a reply that is not JSON", None
        if response.status_code in (401, 403):
            raise TranslationModelError(
                f"The translation API at {server.name} refused the request (HTTP {response.status_code}): "
                f"set a valid key in ${API_KEY_ENVS[0]} (or ${API_KEY_ENVS[1]})."
            )
        if response.status_code == 404:
            raise TranslationModelError(
                f"The translation API at {server.name} has no /chat/completions or no model "
                f"{self.config.model!r} (HTTP 404): check base_url (it usually ends in /v1) and model."
            )
        if response.status_code in RETRY_STATUSES:
            retry_after = response.headers.get("Retry-After", "")
            return None, f"HTTP {response.status_code}", (
                min(MAX_BACKOFF_S, float(retry_after)) if retry_after.replace(".", "", 1).isdigit() else None)
        raise TranslationAPIError(
            f"The translation API at {server.name} answered HTTP {response.status_code}: {response.text[:200]}"
        )

    def _post(self, payload: dict) -> dict:
        """The reply to ``payload`` from a server of the pool: a failed request goes to another server at once
        (to the same one, after a backoff, only when every server is down)."""
        last, failed, retry_after = "", None, None
        for attempt in range(self.config.retries + 1):
            server, up = self.pool.pick(avoid=failed)
            if attempt and not up:
                pause = min(MAX_BACKOFF_S, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
                pause = max(pause, retry_after or 0.0)
                log.warning("translation API %s: %s; retry %d of %d in %.1f s", server.name, last, attempt,
                            self.config.retries, pause)
                time.sleep(pause)
            try:
                data, error, retry_after = self._send(server, payload)
            except BaseException:
                self.pool.released(server)
                raise
            if data is not None:
                if self.pool.succeeded(server):
                    log.warning("translation server %s answers again", server.name)
                return data
            last, failed = f"{error} from {server.name}", server
            if self.pool.failed(server, error, retry_after) and len(self.pool.servers) > 1:
                others = len(self.pool.up())
                log.warning("translation server %s is down (%s): %s; it is tried again in %.0f s",
                            server.name, error, f"its requests go to the others ({others} up)" if others else
                            "no server is up", self.pool.cooldown(server))
        raise TranslationAPIError(self._gave_up(last))

    def _gave_up(self, last: str) -> str:
        fix = (f"Check that the server{'s' if len(self.pool.servers) > 1 else ''} run and answer, or set "
               f"${ENVIRONMENT['base_url']} (--base-url, the translator resource's base_url) to ones that do.")
        down = self.pool.down()
        if len(self.pool.servers) > 1 and len(down) == len(self.pool.servers):
            return (f"Every translation server is down: {', '.join(s.describe() for s in down)}; a request failed "
                    f"{self.config.retries + 1} times (last: {last}). {fix}")
        return f"The translation API at {self.base_url} failed {self.config.retries + 1} times (last: {last}). {fix}"

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
        outputs: list[str | None] = [None] * len(units)
        pool = ThreadPoolExecutor(max_workers=min(self.max_in_flight, len(units)), thread_name_prefix="hf-daily-api")
        try:
            # Longest first: the last requests to finish are then short ones, so the servers stay busy to the end.
            order = sorted(range(len(units)), key=lambda i: -len(units[i]))
            pending = {pool.submit(self._one, units[i], kind, hints.get(units[i])): i for i in order}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    i = pending.pop(future)
                    outputs[i] = future.result()  # the first failure ends the call; the rest are cancelled
                    if on_unit is not None:
                        on_unit(i)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return outputs  # type: ignore[return-value]


def openai_model_id(model: str, urls: tuple[str, ...], provider: str | None) -> str:
    """The cache key's model id: the model and who serves it, never which servers or how many.

    ``provider`` when set; else the host name shared by every URL (one server: the id it always had, the
    port and path changing nothing); else, for servers on several hosts, the model name alone.
    """
    hosts = {urlsplit(url).hostname for url in urls}
    served_by = provider or (hosts.pop() if len(hosts) == 1 else None)
    return f"openai:{model}{f'@{served_by}' if served_by else ''}#{PROMPT_VERSION}"
