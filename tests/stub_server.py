"""The small HTTP server every platform stand-in in the tests is built on (the Meta Graph API,
Mastodon, Bluesky, a feed host, webhook receivers): a thread on 127.0.0.1, routes registered by
method and path, JSON answers, every request recorded, and the two ways a real server lets a
client down, hanging and closing the connection without an answer.

A stub subclasses `StubServer`, registers its routes in `__init__` and answers from them:

    class Hello(StubServer):
        def __init__(self):
            super().__init__()
            self.route("GET", r"/hello/(\\w+)", lambda request, name: (200, {"hello": name}))

    with Hello() as stub:
        httpx.get(stub.base_url + "/hello/ana").json()  # {"hello": "ana"}
        stub.requests[0].path                            # "/hello/ana"

`serve(request)` is the one place a stub puts what applies to every request (authentication,
injected faults, rate-limit headers) around `dispatch(request)`, which finds the route. `serve_stub`
turns a stub into a fixture: started before the test, stopped after it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

Body = Any  # JSON-able, or bytes sent as they are
Handler = Callable[..., "tuple[int, Body] | tuple[int, Body, dict[str, str]] | Answer"]


@dataclass
class Request:
    """One request as the stub received it; `status` is what it was answered (0: no answer)."""

    method: str
    target: str  # the path and query as sent
    headers: dict[str, str]  # as sent, in their spelling; `header()` looks one up in any case
    raw: bytes = b""
    status: int = 0

    @cached_property
    def path(self) -> str:
        return urlsplit(self.target).path

    @cached_property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    @property
    def content_type(self) -> str:
        return self.header("Content-Type").split(";")[0].strip().lower()

    def header(self, name: str, default: str = "") -> str:
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), default)

    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.raw.decode(), keep_blank_values=True) if self.raw else {}


@dataclass
class Answer:
    status: int
    body: Body = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # act on the request, then close the connection instead of answering


class Reply(Exception):
    """Raised anywhere under `serve` to answer at once (an error, usually)."""

    def __init__(self, status: int, body: Body = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}

    def answer(self) -> Answer:
        return Answer(self.status, self.body, dict(self.headers))


class Drop(Exception):
    """Raised under `serve` to close the connection without an answer."""


class StubServer:
    name = "stub"
    content_type = "application/json; charset=utf-8"
    request_class: type[Request] = Request
    # A short poll interval: shutdown() waits for it, once per test.
    poll_interval = 0.02
    # 0 picks a free port; a stand-in run beside `cxm run` names a fixed one (tests/standins.py).
    port = 0

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.request_queue_size = 1024
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": self.poll_interval},
            name=f"{self.name}-stub",
            daemon=True,
        )
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- lifecycle ----------------------------------------------------------------------------------

    def start(self: S) -> S:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases handlers that are hanging
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- answering ----------------------------------------------------------------------------------

    def route(self, method: str, path: str, handler: Handler) -> None:
        """`handler(request, *groups of path)` answers a request whose path matches `path` (a
        regular expression, matched whole) with `method` ("*" for any)."""
        self._routes.append((method, re.compile(path), handler))

    def dispatch(self, request: Request) -> Answer:
        for method, pattern, handler in self._routes:
            found = pattern.fullmatch(request.path)
            if found is not None and method in ("*", request.method):
                return _as_answer(handler(request, *found.groups()))
        return _as_answer(self.unrouted(request))

    def unrouted(self, request: Request) -> tuple[int, Body] | Answer:
        return 404, {"error": "not found"}

    def serve(self, request: Request) -> Answer:
        return self.dispatch(request)

    def hang(self, seconds: float) -> None:
        """Answer nothing for `seconds` (or until the stub stops), then close the connection."""
        self._stopping.wait(seconds)
        raise Drop()

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def encode(self, answer: Answer) -> tuple[bytes, dict[str, str]]:
        if isinstance(answer.body, bytes):
            return answer.body, answer.headers
        return json.dumps(answer.body).encode(), {"Content-Type": self.content_type, **answer.headers}


S = TypeVar("S", bound=StubServer)


def serve_stub(stub: S) -> Iterator[S]:
    """For a fixture: `yield from serve_stub(GraphStub())` runs the stub for one test."""
    with stub:
        yield stub


def _as_answer(value: Any) -> Answer:
    if isinstance(value, Answer):
        return value
    return Answer(*value)


def _handler_for(stub: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; without this each answer waits for a delayed ACK.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = stub.request_class(method, self.path, dict(self.headers.items()), raw)
            stub.record(request)
            try:
                try:
                    answer = stub.serve(request)
                except Reply as reply:
                    answer = reply.answer()
            except Drop:
                self.close_connection = True
                return
            request.status = answer.status
            if answer.drop:
                self.close_connection = True
                return
            body, headers = stub.encode(answer)
            try:
                self.send_response(answer.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if answer.status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if answer.status != 304:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler
