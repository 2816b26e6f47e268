"""How long `make run` takes to serve again after its embedded PostgreSQL or Redis is killed.

Starts `cxm run` on its own data folder (a fresh one unless --data-dir names one), waits for
/readyz to answer 200, then, round after round, kills the postgres postmaster or the
redis-server with SIGKILL and measures until /readyz answers 200 again, and (for Redis) until the
Celery worker's heartbeat is fresh again, which shows the worker has reconnected to the broker.

    .venv/bin/python -m bench.embedded_recovery --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.common import ROOT

POLL = 0.1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ready(base: str) -> dict | None:
    """/readyz's body when it answers 200, else None."""
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=3) as answer:  # noqa: S310 (loopback http)
            return json.loads(answer.read()) if answer.status == 200 else None
    except (OSError, urllib.error.URLError, ValueError):
        return None


def _wait_ready(base: str, launcher: subprocess.Popen, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if launcher.poll() is not None:
            raise SystemExit("cxm run exited")
        if _ready(base) is not None:
            return time.monotonic() - started
        time.sleep(POLL)
    raise SystemExit(f"/readyz did not answer 200 within {timeout:.0f} s")


def _redis_pid(data_dir: Path) -> int:
    found = subprocess.run(
        ["pgrep", "-f", f"redis-server unixsocket:{data_dir / 'redis'}"], capture_output=True, text=True
    ).stdout.split()
    return int(found[0])


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])


def _heartbeat_after(data_dir: Path, moment: float, timeout: float) -> float:
    """Seconds from `moment` until the worker's heartbeat in Redis is newer than it."""
    import redis

    client = redis.Redis(unix_socket_path=str(_socket_from_config(data_dir)), socket_timeout=2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            raw = client.get("cxm:worker-heartbeat")
        except redis.RedisError:
            raw = None
        if raw and float(raw.decode().split(" ", 1)[0]) > moment:
            return time.time() - moment
        time.sleep(POLL)
    raise SystemExit("the worker's heartbeat did not come back")


def _socket_from_config(data_dir: Path) -> Path:
    for line in (data_dir / "redis" / "redis.conf").read_text().splitlines():
        if line.startswith("unixsocket "):
            return Path(line.split(" ", 1)[1])
    raise SystemExit("no Redis socket in redis.conf")


def _kill_and_time(pid: int, base: str, launcher: subprocess.Popen) -> float:
    """Seconds from SIGKILL until /readyz answers 200 again, once it has noticed the loss."""
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    while _ready(base) is not None and time.monotonic() - killed < 2:
        time.sleep(POLL)
    _wait_ready(base, launcher, timeout=300)
    return time.monotonic() - killed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="cxm-recovery-")) / "data").resolve()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"CXM_DATA_DIR": str(data_dir), "PORT": str(port), "CXM_DEMO": env.get("CXM_DEMO", "0")})
    log = data_dir.parent / "run.log"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "cxm", "run"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            print(f"cxm run on {data_dir} (log: {log})")
            print(f"first start: ready after {_wait_ready(base, launcher, timeout=600):.1f} s")
            figures: dict[str, list[float]] = {"PostgreSQL": [], "Redis": [], "Redis (worker heartbeat)": []}
            for _ in range(args.rounds):
                figures["PostgreSQL"].append(_kill_and_time(_postmaster_pid(data_dir), base, launcher))
                killed_at = time.time()
                figures["Redis"].append(_kill_and_time(_redis_pid(data_dir), base, launcher))
                figures["Redis (worker heartbeat)"].append(_heartbeat_after(data_dir, killed_at, timeout=120))
            for name, values in figures.items():
                print(
                    f"{name:26} killed {len(values)}x: back in median {statistics.median(values):.1f} s, "
                    f"max {max(values):.1f} s  ({', '.join(f'{value:.1f}' for value in values)})"
                )
        finally:
            launcher.send_signal(signal.SIGTERM)
            launcher.wait(timeout=120)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
