"""Reading configuration from the environment.

Kept free of Django imports so the launcher can use it before settings load.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


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
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": host,
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
    }


def redis_client_url(url: str) -> str:
    """Celery names a Unix-socket Redis `redis+socket://path`; redis-py wants `unix://path`."""
    if url.startswith("redis+socket://"):
        return "unix://" + url[len("redis+socket://") :]
    return url


def celery_broker_url(url: str) -> str:
    if url.startswith("unix://"):
        return "redis+socket://" + url[len("unix://") :]
    return url
