"""Reads on a PostgreSQL streaming replica, chosen read path by read path.

The Explorer, the listening dashboard, care reports, ads insights and mention exports ask
`read_alias(reader=...)` which database alias their selectors read through (`using=`). It names the replica (DATABASE_REPLICA_URL)
only when the replica answers, is in recovery, is within CXM_REPLICA_MAX_LAG_SECONDS of the
primary, and has replayed the reader's own last write; otherwise the primary. Nothing else reads
there, and nothing ever writes there (`PrimaryRouter`).

Read-your-writes: after each write request of a signed-in person, `WriteMarkerMiddleware`
records the primary's WAL position in Redis for that person; until the replica has replayed past
it, that person's reads go to the primary. A marker outlives the longest lag the replica may have
while it is read (plus a margin), after which a replica that still has not replayed it is too far
behind to be read by anyone.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The primary's WAL position changes with every write; the lag figure may be this old.
PRIMARY_POSITION_SECONDS = 1.0
# After a failed attempt to reach the replica, read paths leave it alone this long.
DOWN_RETRY_SECONDS = 5.0
MARKER_MARGIN_SECONDS = 60


def replica_configured() -> bool:
    return REPLICA in connections.settings


def lsn_number(lsn: str) -> int:
    """A WAL position as PostgreSQL prints it (`16/B374D848`) as a number that compares."""
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass(frozen=True)
class ReplicaState:
    """What the replica says about itself, next to the primary's WAL position."""

    configured: bool
    reachable: bool = False
    in_recovery: bool = False
    replay_position: int | None = None
    lag_bytes: int | None = None
    lag_seconds: float | None = None
    error: str = ""

    def readable(self, max_lag_seconds: float) -> bool:
        return (
            self.reachable
            and self.in_recovery
            and self.lag_seconds is not None
            and self.lag_seconds <= max_lag_seconds
        )

    def as_json(self) -> dict:
        """The replica in /readyz: whether reads go there, and how far behind it is."""
        if not self.configured:
            return {"configured": False}
        body = {
            "configured": True,
            "reachable": self.reachable,
            "serving_reads": self.readable(settings.CXM_REPLICA_MAX_LAG_SECONDS),
            "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 3),
            "lag_bytes": self.lag_bytes,
            "max_lag_seconds": settings.CXM_REPLICA_MAX_LAG_SECONDS,
        }
        if self.error:
            body["error"] = self.error
        return body


class _Cache(threading.local):
    """Per thread, like Django's connections: the primary's last WAL position read, and when
    the replica last failed to answer."""

    primary_position: int | None = None
    primary_read_at: float = 0.0
    down_until: float = 0.0


_cache = _Cache()


def _primary_position(*, fresh: bool) -> int:
    now = time.monotonic()
    if fresh or _cache.primary_position is None or now - _cache.primary_read_at > PRIMARY_POSITION_SECONDS:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            _cache.primary_position = lsn_number(cursor.fetchone()[0])
        _cache.primary_read_at = now
    return _cache.primary_position


def _lag_seconds(behind: int, replayed_at: datetime | None, now: datetime) -> float | None:
    """No WAL left to replay: no lag. Otherwise the age of the last transaction it replayed
    (None: it has replayed none since it started, so the lag is unknown)."""
    if behind <= 0:
        return 0.0
    if replayed_at is None:
        return None
    return max(0.0, (now - replayed_at).total_seconds())


def replica_state(*, fresh: bool = True) -> ReplicaState:
    """Ask the replica how far it has replayed. `fresh=False` (the read paths) reuses the
    primary's WAL position of the last second and skips a replica that just failed to answer."""
    if not replica_configured():
        return ReplicaState(configured=False)
    if not fresh and time.monotonic() < _cache.down_until:
        return ReplicaState(configured=True, error="replica unreachable (retrying shortly)")
    replica = connections[REPLICA]
    try:
        with replica.cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn(), pg_last_xact_replay_timestamp(), now()"
            )
            in_recovery, replayed, replayed_at, now = cursor.fetchone()
    except DatabaseError as exc:
        replica.close()  # the next attempt opens a new connection
        _cache.down_until = time.monotonic() + DOWN_RETRY_SECONDS
        return ReplicaState(configured=True, error=f"replica unreachable: {exc.__class__.__name__}")
    if not in_recovery or replayed is None:
        return ReplicaState(configured=True, reachable=True, error="not a standby (not in recovery)")
    position = lsn_number(replayed)
    behind = max(0, _primary_position(fresh=fresh) - position)
    return ReplicaState(
        configured=True,
        reachable=True,
        in_recovery=True,
        replay_position=position,
        lag_bytes=behind,
        lag_seconds=_lag_seconds(behind, replayed_at, now),
        error="" if replayed_at is not None or not behind else "lag unknown: nothing replayed yet",
    )


def _marker_key(user_id: int) -> str:
    return f"replica:written:{user_id}"


def _reader_wrote_after(user_id: int, replay_position: int) -> bool:
    try:
        marker = cache.get(_marker_key(user_id))
    except redis.RedisError:
        return True  # cannot tell: the primary is always right
    return marker is not None and lsn_number(marker) > replay_position


def read_alias(*, reader=None) -> str:
    """The alias a read path (Explorer, dashboards, reports, exports) reads through for `reader`
    (a user, or None for no one in particular): the replica when it may, else the primary."""
    if not replica_configured():
        return DEFAULT_DB_ALIAS
    state = replica_state(fresh=False)
    if not state.readable(settings.CXM_REPLICA_MAX_LAG_SECONDS):
        return DEFAULT_DB_ALIAS
    user_id = getattr(reader, "pk", None)
    if user_id is not None and _reader_wrote_after(user_id, state.replay_position):
        return DEFAULT_DB_ALIAS
    return REPLICA


def write_record(*, user_id: int) -> None:
    """Remember where the primary's WAL stood after this person's write (read-your-writes)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        position = cursor.fetchone()[0]
    keep = int(settings.CXM_REPLICA_MAX_LAG_SECONDS) + MARKER_MARGIN_SECONDS
    cache.set(_marker_key(user_id), position, timeout=keep)


class WriteMarkerMiddleware:
    """After a signed-in person's write request (page or API), their reads go to the primary until
    the replica has replayed it. Costs nothing without a replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in UNSAFE_METHODS and replica_configured():
            user = getattr(request, "user", None)  # the API's token user too: DRF sets it here
            if user is not None and user.is_authenticated:
                try:
                    write_record(user_id=user.pk)
                except (DatabaseError, redis.RedisError) as exc:
                    # The write itself is done; only this person's next reads may lag behind it.
                    logger.warning("could not record a write for read-your-writes: %s", exc)
        return response


class PrimaryRouter:
    """Every write goes to the primary, and only the primary is migrated; a read goes wherever its
    queryset's `using` says (the primary unless a read path chose the replica)."""

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
