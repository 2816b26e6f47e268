"""Reading configuration from the environment.

Kept free of Django settings so the launcher can use it before settings load.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


# The Celery queues, one per concern (settings route each task to one); `default` holds the
# kernel's own work. Here rather than in settings so that the launcher can name them unloaded.
QUEUES = ("ingest", "publish", "care", "ads", "alerts", "transformation", "default")

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def envbool(name: str, default: bool = False) -> bool:
    """A yes/no setting: true/false, 1/0, yes/no or on/off in any case; unset or empty is the
    default. Anything else stops the start-up: `CXM_HTTPS=ture` must not quietly mean "no"."""
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is not a yes/no value; use true or false (also 1/0, yes/no, on/off)."
    )


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def queue_groups(spec: str) -> list[list[str]]:
    """`CXM_WORKER_QUEUES`: one group of queues per worker, groups separated by spaces and queues
    in a group by commas (`ingest publish care,ads,alerts,transformation,default`); empty: one
    group of every queue. Every queue must be in a group, or its work would wait for ever."""
    groups = [[queue.strip() for queue in group.split(",") if queue.strip()] for group in spec.split()]
    if not groups:
        return [list(QUEUES)]
    named = [queue for group in groups for queue in group]
    unknown = sorted(set(named) - set(QUEUES))
    if unknown:
        raise ImproperlyConfigured(f"unknown queue {', '.join(unknown)}; the queues are {', '.join(QUEUES)}")
    missing = [queue for queue in QUEUES if queue not in named]
    if missing:
        raise ImproperlyConfigured(f"no worker would consume {', '.join(missing)}; name every queue once")
    return groups


def launcher_base_url(*, bind: str, port: str | int) -> str:
    """The address `cxm run` serves, as a browser on this machine reaches it."""
    host = "127.0.0.1" if bind in {"", "0.0.0.0", "::"} else bind  # noqa: S104 (a wildcard bind)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def base_url(*, debug: bool) -> str:
    """CXM_BASE_URL, the address in links sent to customers and in alerts. `cxm run` sets it to
    where it serves; anywhere else an unset one falls back to CXM_BIND and PORT, which behind a
    proxy or on another host is wrong, so production settings say so at startup."""
    value = os.environ.get("CXM_BASE_URL", "").strip().rstrip("/")
    if value:
        return value
    fallback = launcher_base_url(bind=os.environ.get("CXM_BIND", "127.0.0.1"), port=envint("PORT", 8000))
    if not debug and not envbool("CXM_TESTING"):
        logging.getLogger("cxm").warning(
            "cxm: warning: CXM_BASE_URL is not set; links in e-mails, surveys and alerts will point "
            "at %s. Set CXM_BASE_URL to the address people open the platform at.",
            fallback,
        )
    return fallback


def data_dir() -> Path:
    return Path(os.environ.get("CXM_DATA_DIR") or BASE_DIR / "var").resolve()


def parse_database_url(url: str) -> dict:
    """Turn a postgres:// URL into Django's DATABASES entry.

    A Unix socket directory may be given as the host (percent-encoded) or as `?host=/path`,
    which is the form the embedded server reports.
    """
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "postgresql+psycopg"}:
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, not {parsed.scheme}://")
    query = parse_qs(parsed.query)
    host = query.pop("host", [unquote(parsed.hostname or "")])[0]
    if parsed.netloc and "%2f" in parsed.netloc.lower():
        host = unquote(parsed.netloc.rsplit("@", 1)[-1].split(":")[0])
    options = {key: values[0] for key, values in query.items()}
    return {
        "ENGINE": "cxm.db.backend",
        "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": host,
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
    }


def redis_client_url(url: str) -> str:
    """Celery names a Unix-socket Redis `redis+socket://path?virtual_host=N`; redis-py wants
    `unix://path?db=N`."""
    if url.startswith("redis+socket://"):
        return "unix://" + url[len("redis+socket://") :].replace("virtual_host=", "db=")
    return url


def celery_broker_url(url: str) -> str:
    if url.startswith("unix://"):
        return "redis+socket://" + url[len("unix://") :].replace("db=", "virtual_host=")
    return url


def redis_url_with_database(url: str, number: int) -> str:
    """The same Redis server, its numbered database `number` (in either spelling of the URL)."""
    base, _, query = url.partition("?")
    if base.startswith(("unix://", "redis+socket://")):
        key = "db" if base.startswith("unix://") else "virtual_host"
        kept = [
            pair for pair in query.split("&") if pair and pair.split("=")[0] not in ("db", "virtual_host")
        ]
        return base + "?" + "&".join([*kept, f"{key}={number}"])
    scheme, _, rest = base.partition("://")
    server = rest.split("/")[0]
    return f"{scheme}://{server}/{number}" + (f"?{query}" if query else "")
