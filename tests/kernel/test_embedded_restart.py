"""Under `make run` the launcher starts a dead embedded PostgreSQL or Redis again (on the same
data, backing off between failed tries) and says so; these drive the same supervision on servers
of their own, killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import time

import pytest
import redis

from cxm import embedded
from cxm.embedded import EmbeddedServices, postmaster_pid


def _supervise_until(services: EmbeddedServices, back, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not back():
        assert time.monotonic() < deadline, "not back in time"
        services.supervise()
        time.sleep(0.1)


@pytest.fixture
def services(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded, "SHARED_BUFFERS", "128MB")
    said: list[str] = []
    started = EmbeddedServices(data_dir=tmp_path / "data", say=said.append)
    started.said = said
    yield started
    started.stop()


def test_a_killed_redis_is_started_again_with_its_data(services):
    url = services.start_redis()
    client = redis.Redis(unix_socket_path=url.removeprefix("redis+socket://"))
    client.set("queued", "kept")
    time.sleep(1.5)  # the append-only file is synced every second
    os.kill(services._redis_process.pid, signal.SIGKILL)

    _supervise_until(services, lambda: embedded.EmbeddedServices._answers(client))

    assert client.get("queued") == b"kept"
    assert services.said[0] == "embedded Redis stopped unexpectedly; starting it again"
    assert services.said[-1].startswith("embedded Redis is back after ")


def test_a_killed_postgres_is_started_again_with_its_data(services):
    services.start_postgres()
    # The cluster `make run` keeps is durable; only the suite's own runs without fsync.
    for name in embedded.NOT_DURABLE:
        assert "on" in services._pg_server.psql(f"SHOW {name};")
    services._pg_server.psql("CREATE TABLE kept (id int); INSERT INTO kept VALUES (7);")
    pgdata = services._pg_server.pgdata
    os.kill(postmaster_pid(pgdata), signal.SIGKILL)
    while postmaster_pid(pgdata) is not None:  # SIGKILL lands a moment after kill() returns
        time.sleep(0.01)

    _supervise_until(services, lambda: postmaster_pid(pgdata) is not None)

    assert "7" in services._pg_server.psql("SELECT id FROM kept;")
    assert services.said[0] == "embedded PostgreSQL stopped unexpectedly; starting it again"
    assert services.said[-1].startswith("embedded PostgreSQL is back after ")
