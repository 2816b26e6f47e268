"""Stopping `cxm run` (what `make run` runs) stops every process it started, the embedded
PostgreSQL and Redis included: with the overlapping signals a terminal, `make` and a supervisor
send, and when the launcher itself is killed with SIGKILL. It also tells its children the
address it serves, for the links they send."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.kernel.test_launcher import Platform, _free_port, _get

SERVE_TIMEOUT = 240  # a first start initialises the cluster and migrates


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        fields = _stat(int(entry)) if entry.isdigit() else None
        if fields:
            tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _processes_of(launcher: int, data_dir: Path) -> dict[int, str]:
    """The launcher's descendants and the embedded postmaster's (started through pg_ctl, so not
    the launcher's child), each with its start time, which tells a reused pid apart."""
    tree = _children()
    roots = [launcher, int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])]
    found: dict[int, str] = {}
    while roots:
        pid = roots.pop()
        fields = _stat(pid)
        if fields and pid not in found:
            found[pid] = fields[19]
            roots.extend(tree.get(pid, []))
    return found


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _left_running(recorded: dict[int, str]) -> list[str]:
    left = []
    for pid, started in recorded.items():
        fields = _stat(pid)
        if fields and fields[19] == started and fields[0] != "Z":
            left.append(f"{pid} {_command(pid)[:120]}")
    return left


def _wait_until_gone(recorded: dict[int, str], timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while (left := _left_running(recorded)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


class Launcher(Platform):
    def __init__(self, data_dir: Path):
        super().__init__(
            data_dir,
            _free_port(),
            own_group=True,  # the test signals the whole group, as a terminal does
            CXM_DEMO="0",
            CXM_EMBEDDED_SHARED_BUFFERS="128MB",
        )

    def wait_serving(self) -> None:
        deadline = time.monotonic() + SERVE_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "cxm run exited:\n" + self.output()[-4000:]
            try:
                if _get(f"{self.base}/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError("not serving in time:\n" + self.output()[-4000:])

    def environment_of(self, pid: int) -> dict[str, str]:
        raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        return dict(item.decode().split("=", 1) for item in raw if b"=" in item)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.handle.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("launcher") / "data"


@pytest.fixture
def launcher(data_dir):
    started = Launcher(data_dir)
    yield started
    started.close()


def test_overlapping_signals_stop_every_process_of_the_platform(launcher, data_dir):
    launcher.wait_serving()
    recorded = _processes_of(launcher.process.pid, data_dir)
    commands = " ".join(_command(pid) for pid in recorded)
    for part in ("gunicorn", "worker", "beat", "redis-server", "postgres", "cxm.watchdog"):
        assert part in commands, part
    web = next(pid for pid in recorded if "gunicorn" in _command(pid))
    assert launcher.environment_of(web)["CXM_BASE_URL"] == launcher.base

    os.killpg(launcher.process.pid, signal.SIGTERM)
    os.kill(launcher.process.pid, signal.SIGINT)
    os.kill(launcher.process.pid, signal.SIGINT)
    time.sleep(0.5)  # the stop is under way: the SIGTERM `make` passes on arrives now
    os.killpg(launcher.process.pid, signal.SIGTERM)

    assert launcher.process.wait(timeout=90) == 0, launcher.output()
    assert _left_running(recorded) == [], launcher.output()
    assert "cxm: stopped" in launcher.output()


def test_the_platform_dies_with_a_launcher_killed_by_sigkill(launcher, data_dir):
    launcher.wait_serving()
    recorded = _processes_of(launcher.process.pid, data_dir)

    launcher.process.kill()

    assert _wait_until_gone(recorded, timeout=30) == [], launcher.output()
    assert not (data_dir / "pg" / "postmaster.pid").exists()
