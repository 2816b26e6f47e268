"""Nothing `cxm run` started outlives it, even when it is killed with SIGKILL.

Two layers. Each direct child asks the kernel for SIGTERM when the launcher dies
(`cxm.processes.die_with_parent`, Linux's PR_SET_PDEATHSIG). That cannot reach the embedded PostgreSQL, whose
postmaster is started through pg_ctl and so is not the launcher's child, nor the grandchildren a
child leaves behind; so a small watchdog process (`python -m cxm.watchdog`) holds the read end of
a pipe from the launcher. The launcher writes what it started; when the pipe closes without a
final `done` (the launcher died however it died), the watchdog stops all of it.

Lines on the pipe:
    group <pgid>              a child's process group (each child runs in its own session)
    postgres <pgdata> <pid>   the embedded server, held by launcher <pid> through pgserver's list
    done                      the launcher stopped everything itself; nothing left to do
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cxm.embedded import postgres_release, postmaster_pid
from cxm.processes import group_alive, process_alive

GRACE_SECONDS = 10


class Watchdog:
    """The launcher's side: start the watchdog and tell it what to stop."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cxm.watchdog"],
            stdin=subprocess.PIPE,
            start_new_session=True,  # signals meant for the launcher's group must not reach it
            text=True,
        )

    def _send(self, line: str) -> None:
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()

    def watch_group(self, pgid: int) -> None:
        self._send(f"group {pgid}")

    def watch_postgres(self, pgdata: Path) -> None:
        self._send(f"postgres {pgdata} {os.getpid()}")

    def release(self, *, all_stopped: bool) -> None:
        """Close the pipe. When the launcher stopped everything itself the watchdog just leaves;
        otherwise (interrupted while the servers were starting) it stops what it was told of."""
        with contextlib.suppress(BrokenPipeError, ValueError):
            if all_stopped:
                self._send("done")
            self.process.stdin.close()
        if all_stopped:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)


def stop_groups(groups: list[int]) -> None:
    """SIGTERM every group, SIGKILL what is still there after the grace period."""
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while any(group_alive(pgid) for pgid in groups) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def stop_postgres(pgdata: Path, holder: int) -> None:
    """Drop the dead launcher from pgserver's list of holders; stop the server if no live holder
    is left (another launcher sharing the data folder keeps it)."""
    if not postgres_release(pgdata, holder):
        return
    pid = postmaster_pid(pgdata)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
        deadline = time.monotonic() + GRACE_SECONDS
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if process_alive(pid):
            os.kill(pid, signal.SIGQUIT)  # immediate shutdown; recovery runs on the next start


def main() -> int:
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    groups: list[int] = []
    postgres: list[tuple[Path, int]] = []
    for line in sys.stdin:
        kind, _, rest = line.strip().partition(" ")
        if kind == "done":
            return 0
        if kind == "group":
            groups.append(int(rest))
        elif kind == "postgres":
            folder, _, holder = rest.rpartition(" ")
            postgres.append((Path(folder), int(holder)))
    # The launcher is gone without saying it stopped everything: the clients first, then the servers.
    stop_groups(groups)
    for folder, holder in postgres:
        stop_postgres(folder, holder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
