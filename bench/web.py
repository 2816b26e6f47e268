"""The platform's web server for the benchmarks that go through HTTP: gunicorn started with the
command `cxm run` uses (`cxm.cli.web_command`), on a free loopback port, against the database and
Redis the benchmark set up (their addresses are in this process's environment), and an API token
obtained as a client obtains one (`POST /api/v1/auth/token/`)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

from bench.common import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebServer:
    """gunicorn as `cxm run` serves (`--workers`/`--threads` from CXM_WEB_WORKERS/THREADS, default
    2 x 4), with `env` added to its environment; its output goes to `log`."""

    def __init__(self, *, workers: int | None = None, threads: int | None = None, env=None, log=None):
        self.port = free_port()
        self.env = dict(env or {})
        if workers is not None:
            self.env["CXM_WEB_WORKERS"] = str(workers)
        if threads is not None:
            self.env["CXM_WEB_THREADS"] = str(threads)
        self.log = Path(log) if log else None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def workers(self) -> int:
        return int(self.env.get("CXM_WEB_WORKERS") or os.environ.get("CXM_WEB_WORKERS") or 2)

    @property
    def threads(self) -> int:
        return int(self.env.get("CXM_WEB_THREADS") or os.environ.get("CXM_WEB_THREADS") or 4)

    def __enter__(self) -> WebServer:
        import httpx

        from cxm.cli import web_command

        output = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            web_command(bind="127.0.0.1", port=str(self.port)),
            cwd=ROOT,
            env={**os.environ, **self.env},
            start_new_session=True,
            stdout=output,
            stderr=output,
        )
        if output is not subprocess.DEVNULL:
            output.close()  # the child holds its own copy
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode} (log: {self.log})")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("gunicorn did not come up within 90 s")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def api_member(*, workspace, url: str, role: str = "admin") -> str:
    """A member of `workspace` with a password, and the API token the API issues them for it."""
    import httpx

    from cxm.tenancy.models import User
    from cxm.tenancy.services import membership_add

    password = secrets.token_urlsafe(16)
    user = User.objects.create_user(username=f"bench-{secrets.token_hex(4)}", password=password)
    membership_add(workspace=workspace, user=user, role=role, by=None)
    response = httpx.post(
        f"{url}/api/v1/auth/token/", json={"username": user.username, "password": password}, timeout=60
    )
    response.raise_for_status()
    return response.json()["token"]
