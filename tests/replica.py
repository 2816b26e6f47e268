"""A real streaming replica (hot standby) of the test database server, for the tests of reads on a
replica: `pg_basebackup -R` of the running cluster with the server's own binaries (pgserver ships
them), started on a socket directory of its own, streaming from the primary."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from pgserver import postgres_server

from cxm.processes import die_with_parent
from cxm.replica import lsn_number

BIN = postgres_server.POSTGRES_BIN_PATH
# pgserver runs PostgreSQL as this system user when started by root (PostgreSQL refuses root).
SYSTEM_USER = "pgserver" if os.geteuid() == 0 else None


class StreamingReplica:
    """A hot standby of the server behind `primary` (a Django settings dict); dies with this process."""

    def __init__(self, primary: dict) -> None:
        self.primary = primary
        self.folder = Path(tempfile.mkdtemp(prefix="cxm-replica-"))
        self.data = self.folder / "data"
        self.process: subprocess.Popen | None = None

    def _primary_args(self) -> list[str]:
        args = ["-U", self.primary["USER"] or "postgres"]
        if self.primary["HOST"]:
            args += ["-h", self.primary["HOST"]]
        if self.primary["PORT"]:
            args += ["-p", str(self.primary["PORT"])]
        return args

    def start(self, timeout: float = 60) -> StreamingReplica:
        if SYSTEM_USER:
            shutil.chown(self.folder, SYSTEM_USER, SYSTEM_USER)
        env = {**os.environ, "PGPASSWORD": self.primary["PASSWORD"] or ""}
        command = [
            str(BIN / "pg_basebackup"),
            *self._primary_args(),
            *("-D", str(self.data), "-R", "-X", "stream", "-c", "fast"),
        ]
        for attempt in range(3):
            # A copy begun while the primary is still busy starting (the suite's first minutes)
            # can be refused; a fresh folder and a second try take it.
            done = subprocess.run(command, user=SYSTEM_USER, env=env, capture_output=True)
            if done.returncode == 0:
                break
            shutil.rmtree(self.data, ignore_errors=True)
            time.sleep(2 * (attempt + 1))
        else:
            raise RuntimeError(f"pg_basebackup failed: {done.stderr.decode(errors='replace')[-2000:]}")
        self.process = subprocess.Popen(
            # Its own socket directory, no TCP; a small cache: it holds the suite's few rows.
            [
                str(BIN / "postgres"),
                "-D",
                str(self.data),
                "-k",
                str(self.folder),
                "-h",
                "",
                "-c",
                "shared_buffers=64MB",
            ],
            user=SYSTEM_USER,
            stdout=(self.folder / "log").open("w"),
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self._standby() as standby:
                    assert standby.execute("SELECT pg_is_in_recovery()").fetchone()[0]
                break
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the replica did not start:\n{(self.folder / 'log').read_text()}"
                    ) from None
                time.sleep(0.05)
        # One committed transaction to replay, so the replica knows its replay time (its lag).
        with self._primary() as primary:
            primary.execute("SELECT txid_current()")
        self.wait_caught_up()
        return self

    def _primary(self) -> psycopg.Connection:
        return psycopg.connect(
            dbname="postgres",
            user=self.primary["USER"] or "postgres",
            password=self.primary["PASSWORD"] or None,
            host=self.primary["HOST"] or None,
            port=self.primary["PORT"] or None,
            autocommit=True,
        )

    def _standby(self) -> psycopg.Connection:
        return psycopg.connect(dbname="postgres", user="postgres", host=str(self.folder), autocommit=True)

    def database_settings(self) -> dict:
        """The primary's Django settings, pointed at this replica's socket."""
        return {**self.primary, "HOST": str(self.folder), "PORT": "", "PASSWORD": "", "USER": "postgres"}

    def wait_caught_up(self, timeout: float = 300) -> None:
        """Until it has replayed everything the primary has written so far. The replica copies
        the whole server, so after a pause it replays what the suite's other process wrote
        meanwhile too, which on a loaded machine can take minutes."""
        with self._primary() as primary:
            target = lsn_number(primary.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0])
        deadline = time.monotonic() + timeout
        with self._standby() as standby:
            while lsn_number(standby.execute("SELECT pg_last_wal_replay_lsn()").fetchone()[0]) < target:
                if time.monotonic() > deadline:
                    raise RuntimeError("the replica did not catch up")
                time.sleep(0.02)

    def pause(self) -> None:
        """Stop replaying (it goes on receiving): the primary's next writes are not on it yet."""
        with self._standby() as standby:
            standby.execute("SELECT pg_wal_replay_pause()")
            while standby.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":
                time.sleep(0.01)

    def resume(self) -> None:
        with self._standby() as standby:
            standby.execute("SELECT pg_wal_replay_resume()")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
