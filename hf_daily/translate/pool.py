"""Which of several model servers gets the next request: the one with the fewest outstanding, skipping the down.

Plain bookkeeping, no HTTP: the openai backend asks :meth:`ServerPool.pick` for a server, sends, and
reports the outcome with :meth:`ServerPool.succeeded` or :meth:`ServerPool.failed`. A server that fails
is down for a cool-down (1 s, doubling each time it goes down again, at most a minute); then it gets one
request at a time (a probe) until one succeeds. While any server is up, no request goes to a down one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

FIRST_COOLDOWN_S = 1.0
MAX_COOLDOWN_S = 60.0


def display_url(url: str) -> str:
    """``url`` as logs and errors may show it: no user name, password, query or fragment (they may hold secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass
class Server:
    url: str  # as configured: requests are sent here
    name: str  # display_url(url): what logs and errors show
    outstanding: int = 0  # requests sent and not yet answered
    sent: int = 0
    answered: int = 0
    downs: int = 0  # times gone down since it last answered
    down_until: float | None = None  # monotonic time; None while up
    last_error: str = ""

    def describe(self) -> str:
        return f"{self.name} ({self.last_error})" if self.last_error else self.name


class ServerPool:
    def __init__(self, urls: Sequence[str], clock: Callable[[], float] = time.monotonic) -> None:
        if not urls:
            raise ValueError("a server pool needs at least one URL")
        self.servers = [Server(url, display_url(url)) for url in urls]
        self._clock = clock
        self._lock = threading.Lock()

    def _eligible(self, server: Server, now: float) -> bool:
        if server.down_until is None:
            return True
        # Past its cool-down a down server is probed by one request at a time.
        return server.down_until <= now and server.outstanding == 0

    def pick(self, avoid: Server | None = None) -> tuple[Server, bool]:
        """The server for the next request, counted as outstanding, and whether it is up.

        Among the servers that are up (or due a probe), the one with the fewest outstanding requests,
        then the fewest sent; ``avoid`` (where this request just failed) only when no other is. When every
        server is down, the one that comes back first, and False: the caller waits its backoff first.
        """
        with self._lock:
            now = self._clock()
            ready = [s for s in self.servers if self._eligible(s, now)]
            others = [s for s in ready if s is not avoid]
            choice = min(others or ready, key=lambda s: (s.outstanding, s.sent), default=None)
            up = choice is not None and choice is not avoid
            if choice is None:
                choice = min(self.servers, key=lambda s: (s.down_until or 0.0, s.outstanding))
            choice.outstanding += 1
            choice.sent += 1
            return choice, up

    def succeeded(self, server: Server) -> bool:
        """Count an answer; True when it brings a down server back."""
        with self._lock:
            server.outstanding -= 1
            server.answered += 1
            back = server.down_until is not None
            server.down_until, server.downs, server.last_error = None, 0, ""
            return back

    def failed(self, server: Server, error: str, cooldown: float | None = None) -> bool:
        """Count a failure and put ``server`` down; True when that is news (it was up, or its probe failed).

        ``cooldown`` (a Retry-After) replaces the doubling cool-down when it is longer.
        """
        with self._lock:
            server.outstanding -= 1
            server.last_error = error
            now = self._clock()
            if server.down_until is not None and server.down_until > now:
                return False  # already down: requests sent before it went down are failing too
            wait = min(MAX_COOLDOWN_S, FIRST_COOLDOWN_S * 2**server.downs)
            server.down_until = now + max(wait, cooldown or 0.0)
            server.downs += 1
            return True

    def cooldown(self, server: Server) -> float:
        with self._lock:
            return max(0.0, (server.down_until or 0.0) - self._clock())

    def released(self, server: Server) -> None:
        """Forget a request that ended without an answer either way (an error not the server's fault)."""
        with self._lock:
            server.outstanding -= 1

    def up(self) -> list[Server]:
        with self._lock:
            return [s for s in self.servers if s.down_until is None]

    def down(self) -> list[Server]:
        with self._lock:
            return [s for s in self.servers if s.down_until is not None]
