"""The local Graph API (tests/ads/stubs/graph_server.py) in its own process, for the ads
benchmarks: the benchmark's own process and its workers stay off the stub's CPU and lock.

Control goes over HTTP: POST /_seed (campaigns=N, status=ACTIVE), POST /_config (delay,
rate_limit_ratio, rate_limit_reset), GET /_stats?since=<unix time>.
"""

from __future__ import annotations

import multiprocessing
import time

import httpx

TOKEN = "stub-graph-token"  # noqa: S105 (the stub's only token)


def _serve(port_box, options: dict) -> None:
    from tests.ads.stubs.graph_server import GraphStub

    stub = GraphStub(account_id=options.get("account_id", "1001"), currency=options.get("currency", "USD"))
    stub.delay = options.get("delay", 0.0)
    stub.rate_limit_reset = options.get("rate_limit_reset", 1)
    stub.start()
    port_box.value = int(stub.base_url.rsplit(":", 1)[1])
    while True:
        time.sleep(3600)


class GraphStubProcess:
    def __init__(self, **options):
        context = multiprocessing.get_context("spawn")
        self._port = context.Value("i", 0)
        self._process = context.Process(target=_serve, args=(self._port, options), daemon=True)
        self.account_path = f"act_{options.get('account_id', '1001')}"
        self.page_id = "5550001"

    def __enter__(self) -> GraphStubProcess:
        self._process.start()
        deadline = time.monotonic() + 20
        while not self._port.value:
            if time.monotonic() > deadline:
                raise RuntimeError("the Graph stub did not start")
            time.sleep(0.01)
        self.base_url = f"http://127.0.0.1:{self._port.value}"
        self._http = httpx.Client(base_url=self.base_url, timeout=30)
        return self

    def __exit__(self, *exc) -> None:
        self._http.close()
        self._process.terminate()
        self._process.join(5)

    def seed(self, campaigns: int, status: str = "ACTIVE") -> list[str]:
        return self._http.post("/_seed", data={"campaigns": campaigns, "status": status}).json()["ids"]

    def configure(self, **values) -> None:
        self._http.post("/_config", data={k: str(v) for k, v in values.items()}).raise_for_status()

    def stats(self, since: float = 0.0) -> dict:
        return self._http.get("/_stats", params={"since": since}).json()
