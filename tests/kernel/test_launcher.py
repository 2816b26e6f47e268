"""`cxm run` (what `make run` calls) on a fresh data folder: embedded services, migrations, the
Demo workspace, web + worker + beat, a clean stop, and a second start that re-seeds nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _token(base: str, password: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token/",
        data=json.dumps({"username": "admin", "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Platform:
    """`cxm run` on `data_dir`, in its own process group (as under a terminal) when `own_group`."""

    def __init__(self, data_dir: Path, port: int, *, own_group: bool = False, **settings: str):
        self.data_dir, self.port = data_dir, port
        self.log = data_dir.parent / f"run-{time.monotonic_ns()}.log"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "CXM_TESTING", "CXM_ADMIN_PASSWORD", "CXM_BASE_URL"}
        }
        env.update(
            {
                "CXM_DATA_DIR": str(data_dir),
                "PORT": str(port),
                "CXM_WEB_WORKERS": "1",
                "CXM_WORKER_CONCURRENCY": "1",
                "PYTHONUNBUFFERED": "1",
                **settings,
            }
        )
        self.handle = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cxm", "run"],
            cwd=ROOT,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=own_group,
        )
        self.base = f"http://127.0.0.1:{port}"

    def output(self) -> str:
        return self.log.read_text()

    def wait_ready(self, timeout: float = 240) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise AssertionError("cxm run exited:\n" + self.output()[-4000:])
            try:
                status, _ = _get(f"{self.base}/readyz")
            except OSError:
                status = None
            if status == 200:
                return time.monotonic() - started
            time.sleep(0.5)
        raise AssertionError("not ready in time:\n" + self.output()[-4000:])

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self.handle.close()
        return code


def _children_gone(data_dir: Path, port: int) -> bool:
    with socket.socket() as sock:
        port_closed = sock.connect_ex(("127.0.0.1", port)) != 0
    return port_closed and not (data_dir / "pg" / "postmaster.pid").exists()


def test_run_starts_everything_stops_cleanly_and_restarts_without_reseeding(tmp_path):
    data_dir = tmp_path / "data"
    port = _free_port()

    first = Platform(data_dir, port)
    try:
        first.wait_ready()
        status, html = _get(f"{first.base}/accounts/login/")
        assert status == 200 and "Log in to CXM" in html
        output = first.output()
        assert f"http://127.0.0.1:{port}/" in output
        password = re.search(r"Log in as admin with password: (\S+)", output).group(1)
        assert _token(first.base, password) == 200
    finally:
        assert first.stop() == 0
    assert _children_gone(data_dir, port), first.output()[-3000:]

    second = Platform(data_dir, port)
    try:
        second.wait_ready()
        output = second.output()
        assert "Log in as admin with password" not in output
        assert "set up on an earlier start" in output
        assert _token(second.base, password) == 200  # the data survived the restart
    finally:
        assert second.stop() == 0
    assert _children_gone(data_dir, port)
