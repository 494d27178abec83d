"""A scripted HTTP server on 127.0.0.1 for tests that must not touch the network.

Typical use::

    with LoopbackServer() as server:            # or the ``loopback`` pytest fixture
        server.script(
            Reply(status=503),                   # answered to the 1st request
            Reply(action="reset"),               # 2nd: TCP reset, no response
            Reply.json([...]),                   # 3rd: 200 with a JSON body
        )
        client = DailyPapersClient(base_url=server.base_url, ...)
        ...
        assert [r.params["p"] for r in server.requests] == ["0", "0", "0"]

Requests are answered in order from the script. An entry may also be a callable
``(Request) -> Reply`` to answer from the request itself (for example slicing a
list of papers by ``p``). When the script runs out, ``fallback`` answers (set it
to a Reply or a callable); without one the server answers HTTP 501 with an
explanation and records the request in ``unexpected``, so a test that scripted
too few replies fails loudly instead of hanging.

Faults a Reply can stage (``action``):

- ``"normal"``: status, headers and body, with a correct Content-Length.
- ``"truncate"``: a Content-Length for the whole body but only ``truncate_at``
  bytes of it (default: half), then the connection is closed. Clients see an
  incomplete read (requests: ``ChunkedEncodingError``).
- ``"chunked_truncate"``: ``Transfer-Encoding: chunked``, the first chunk, then
  close without the terminating chunk.
- ``"close"``: read the request, then close without sending a byte
  (requests: ``ConnectionError``, "RemoteDisconnected").
- ``"reset"``: read the request, then abort the connection with a TCP RST
  (requests: ``ConnectionError``, "Connection reset by peer").

``delay`` (seconds) waits before answering, to provoke client read timeouts;
it is cut short when the server stops, so a test never waits on it at exit.

Every request is recorded, in arrival order, as a :class:`Request` in
``server.requests`` (method, path, query parameters, headers, body).

Also here: :func:`fake_papers` / :func:`fake_papers_body`, items in the shape of
``GET /api/daily_papers``.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest

__all__ = [
    "LoopbackServer",
    "Reply",
    "Request",
    "fake_papers",
    "fake_papers_body",
    "loopback",
]

ACTIONS = ("normal", "truncate", "chunked_truncate", "close", "reset")


@dataclass
class Reply:
    """One canned response. ``body`` may be str (sent as UTF-8) or bytes."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    action: str = "normal"
    truncate_at: int | None = None
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}; expected one of {ACTIONS}")

    @classmethod
    def json(cls, data: object, status: int = 200, headers: dict[str, str] | None = None, **kwargs) -> Reply:
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status=status, body=json.dumps(data, ensure_ascii=False), headers=merged, **kwargs)

    @property
    def body_bytes(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class Request:
    """A request as the server saw it. ``headers`` keys are lower-cased."""

    method: str
    target: str  # path and query, exactly as sent
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def params(self) -> dict[str, str]:
        """Query parameters with one value each (the last, if repeated)."""
        return {key: values[-1] for key, values in self.query.items()}

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


Responder = Reply | Callable[[Request], Reply]


class _Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1 so clients keep connections alive, as they do against real servers.
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; with Nagle on, delayed ACKs add ~40 ms to each.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            target=self.path,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
        )
        reply = self.server.owner._next_reply(request)
        if reply.delay and self.server.owner._stopping.wait(reply.delay):
            self.close_connection = True
            return
        getattr(self, f"_send_{reply.action}")(reply)

    def _send_head(self, reply: Reply, length: int | None) -> None:
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if length is not None and not any(k.lower() == "content-length" for k in reply.headers):
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send_normal(self, reply: Reply) -> None:
        data = reply.body_bytes
        self._send_head(reply, len(data))
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def _send_truncate(self, reply: Reply) -> None:
        data = reply.body_bytes
        cut = len(data) // 2 if reply.truncate_at is None else reply.truncate_at
        self._send_head(reply, len(data))
        self.wfile.write(data[:cut])
        self.wfile.flush()
        self.close_connection = True

    def _send_chunked_truncate(self, reply: Reply) -> None:
        data = reply.body_bytes
        cut = len(data) // 2 if reply.truncate_at is None else reply.truncate_at
        reply = Reply(reply.status, data, {**reply.headers, "Transfer-Encoding": "chunked"})
        self._send_head(reply, None)
        if cut:
            self.wfile.write(b"%x\r\n%s\r\n" % (cut, data[:cut]))
        self.wfile.flush()
        self.close_connection = True

    def _send_close(self, reply: Reply) -> None:
        self.close_connection = True

    def _send_reset(self, reply: Reply) -> None:
        # Linger 0 turns close() into an RST instead of an orderly FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass  # requests are recorded in server.requests; stderr noise only hides test output


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # Do not join handler threads at close: one stuck in a fault must not hang the test run.
    block_on_close = False
    owner: LoopbackServer

    def handle_error(self, request, client_address) -> None:
        # Staged faults make handlers fail on purpose (writing to a reset socket);
        # keep the traceback text for debugging instead of printing it.
        import traceback

        self.owner.errors.append(traceback.format_exc())


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 and an ephemeral port, answering from a script."""

    def __init__(self, *replies: Responder, fallback: Responder | None = None) -> None:
        self._lock = threading.Lock()
        self._script: deque[Responder] = deque(replies)
        self.fallback = fallback
        self.requests: list[Request] = []
        self.unexpected: list[Request] = []
        self.errors: list[str] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> LoopbackServer:
        if self._server is not None:
            raise RuntimeError("LoopbackServer already started")
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        # poll_interval bounds how long stop() waits for serve_forever to notice; it runs once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="loopback", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LoopbackServer is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, target: str = "/") -> str:
        return self.base_url + (target if target.startswith("/") else "/" + target)

    # -- script ------------------------------------------------------------
    def script(self, *replies: Responder) -> LoopbackServer:
        """Append replies, answered in order to the next requests."""
        with self._lock:
            self._script.extend(replies)
        return self

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script)

    def _next_reply(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            responder = self._script.popleft() if self._script else self.fallback
            if responder is None:
                self.unexpected.append(request)
        if responder is None:
            return Reply(
                status=501,
                body=f"loopback: no reply scripted for request #{len(self.requests)}: {request.method} {request.target}",
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        return responder(request) if callable(responder) else responder


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A running LoopbackServer, stopped after the test."""
    with LoopbackServer() as server:
        yield server


def fake_papers(
    n: int,
    day: dt.date = dt.date(2025, 12, 26),
    start: int = 1,
    id_prefix: str | None = None,
) -> list[dict]:
    """``n`` items shaped like ``GET /api/daily_papers``, ids ``{yymm}.{start:05d}`` onwards.

    Ids are strings such as "2512.00001" (as arXiv's are), never numbers.
    """
    prefix = id_prefix if id_prefix is not None else day.strftime("%y%m")
    submitted = f"{day.isoformat()}T00:43:27.241Z"
    published = f"{(day - dt.timedelta(days=2)).isoformat()}T14:59:49.000Z"
    items = []
    for number in range(start, start + n):
        paper_id = f"{prefix}.{number:05d}"
        title = f"Fake Paper {number}: Scaling Loopback Servers"
        summary = f"We study paper {number}. It has two sentences."
        items.append(
            {
                "paper": {
                    "id": paper_id,
                    "authors": [
                        {"_id": f"a{number:05d}0", "name": f"Author {number} A", "hidden": False},
                        {"_id": f"a{number:05d}1", "name": f"Author {number} B", "hidden": False},
                    ],
                    "publishedAt": published,
                    "submittedOnDailyAt": submitted,
                    "title": title,
                    "summary": summary,
                    "upvotes": number % 37,
                    "discussionId": f"d{number:05d}",
                },
                "publishedAt": published,
                "title": title,
                "summary": summary,
                "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{paper_id}.png",
                "numComments": 0,
                "isAuthorParticipating": False,
            }
        )
    return items


def fake_papers_body(n: int, **kwargs) -> str:
    """The JSON text of :func:`fake_papers`, pretty-printed like the real API captures."""
    return json.dumps(fake_papers(n, **kwargs), indent=2, ensure_ascii=False)
