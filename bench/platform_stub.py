"""A stand-in social platform for the publishing benchmarks, in its own process.

It answers the two calls the Mastodon connector makes to publish (GET /api/v2/instance and
POST /api/v1/statuses, honouring Idempotency-Key as Mastodon does) and counts what reached it:
every POST with its arrival time, how many created a status, and how many repeated a key that
had already created one. GET /_stats returns the counts; GET /_stats?since=<unix time> also
counts arrivals after that moment.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "bench-token"  # noqa: S105 (the stub platform's only token)


def _serve(port_box, delay: float) -> None:
    lock = threading.Lock()
    state = {"statuses": {}, "posts": 0, "repeats": 0, "arrivals": []}

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body in separate writes must not wait on ACKs
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, status: int, body) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            split = urlsplit(self.path)
            if split.path == "/api/v2/instance":
                statuses = {"max_characters": 500, "max_media_attachments": 4}
                return self._send(200, {"domain": "bench.local", "configuration": {"statuses": statuses}})
            if split.path == "/_stats":
                since = float(parse_qs(split.query).get("since", ["0"])[0])
                with lock:
                    return self._send(
                        200,
                        {
                            "posts": state["posts"],
                            "created": len(state["statuses"]),
                            "repeats": state["repeats"],
                            "after": sum(1 for t in state["arrivals"] if t > since) if since else 0,
                            "last_arrival": max(state["arrivals"], default=0),
                        },
                    )
            return self._send(404, {"error": "Record not found"})

        def do_POST(self):
            arrived = time.time()
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._send(401, {"error": "The access token is invalid"})
            if urlsplit(self.path).path != "/api/v1/statuses":
                return self._send(404, {"error": "Record not found"})
            if delay:
                time.sleep(delay)
            key = self.headers.get("Idempotency-Key") or f"none-{arrived}"
            with lock:
                state["posts"] += 1
                state["arrivals"].append(arrived)
                status = state["statuses"].get(key)
                if status is None:
                    number = len(state["statuses"]) + 1
                    status = {
                        "id": str(number),
                        "url": f"https://bench.local/@brand/{number}",
                        "content": body.get("status", ""),
                    }
                    state["statuses"][key] = status
                else:
                    state["repeats"] += 1
            return self._send(200, status)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 1024
    port_box.value = server.server_address[1]
    server.serve_forever()


class PlatformStub:
    def __init__(self, delay: float = 0.0):
        context = multiprocessing.get_context("spawn")
        self._port = context.Value("i", 0)
        self._process = context.Process(target=_serve, args=(self._port, delay), daemon=True)

    def __enter__(self) -> PlatformStub:
        self._process.start()
        deadline = time.monotonic() + 10
        while not self._port.value:
            if time.monotonic() > deadline:
                raise RuntimeError("the stub platform did not start")
            time.sleep(0.01)
        self.base_url = f"http://127.0.0.1:{self._port.value}"
        return self

    def __exit__(self, *exc) -> None:
        self._process.terminate()
        self._process.join(5)

    def stats(self, since: float = 0.0) -> dict:
        import httpx

        return httpx.get(f"{self.base_url}/_stats", params={"since": since} if since else None).json()
