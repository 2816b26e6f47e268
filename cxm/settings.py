"""Settings, read from the environment only. Every knob is listed in README.md."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from cxm.conf import (
    BASE_DIR,
    QUEUES,
    base_url,
    celery_broker_url,
    data_dir,
    envbool,
    envfloat,
    envint,
    envlist,
    parse_database_url,
    redis_client_url,
    redis_url_with_database,
)

DATA_DIR = data_dir()
DEBUG = envbool("CXM_DEBUG")
TESTING = envbool("CXM_TESTING")


def _secret_key() -> str:
    """The key comes from CXM_SECRET_KEY; a self-hosted single box keeps a generated one in its data dir."""
    if os.environ.get("CXM_SECRET_KEY"):
        return os.environ["CXM_SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("CXM_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CXM_CSRF_TRUSTED_ORIGINS")

# Behind TLS (CXM_HTTPS=1) cookies are secure and plain HTTP is redirected.
HTTPS = envbool("CXM_HTTPS")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("CXM_BEHIND_PROXY") else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "cxm.db",
    "cxm.tenancy",
    "cxm.audit",
    "cxm.channels",
    "cxm.customers",
    "cxm.privacy",
    "cxm.api",
    "cxm.web",
    "listening",
    "publishing",
    "care",
    "ads",
    "transformation",
]

MIDDLEWARE = [
    # Outermost, so an unreachable database or Redis answers 503 wherever it shows up.
    "cxm.health.OutageMiddleware",
    "cxm.api.middleware.ApiErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "cxm.web.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the locale is chosen, so its refusals speak the caller's language.
    "cxm.api.middleware.ApiRequestLimitsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication, so that on the way out it knows who wrote (the API's token user too).
    "cxm.replica.WriteMarkerMiddleware",
    "cxm.web.time_zone.ReaderTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "cxm.tenancy.middleware.WorkspaceMiddleware",
]

ROOT_URLCONF = "cxm.urls"
WSGI_APPLICATION = "cxm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cxm.web.context_processors.shell",
                "publishing.context_processors.publishing",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    # Only reached when settings are loaded outside the launcher (e.g. a bare `manage.py`);
    # the launcher always exports DATABASE_URL, embedded or not.
    DATABASE_URL = f"postgresql://postgres:@/cxm?host={DATA_DIR / 'pg'}"
DATABASES = {"default": parse_database_url(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = envint("CXM_DB_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("CXM_TEST_DATABASE_NAME") or None}
# A streaming replica of DATABASE_URL for the read paths that can take data a few seconds old
# (the Explorer, dashboards, reports, exports: cxm/replica.py), when it has replayed the reader's
# own writes and lags at most CXM_REPLICA_MAX_LAG_SECONDS; else they read the primary as well.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
CXM_REPLICA_MAX_LAG_SECONDS = envfloat("CXM_REPLICA_MAX_LAG_SECONDS", 10)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = parse_database_url(DATABASE_REPLICA_URL)
    DATABASES["replica"]["OPTIONS"].setdefault("connect_timeout", "3")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # The suite builds no database there: a replica named in its environment reads the primary's.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["cxm.replica.PrimaryRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tenancy.User"

REDIS_URL = os.environ.get("REDIS_URL") or f"redis+socket://{DATA_DIR / 'redis' / 'redis.sock'}"
# Each pytest-xdist process of the suite (gw0, gw1, ...) keeps its queues, locks and cache in a
# Redis database of its own; the Celery workers its tests start inherit the variable.
if TESTING and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    REDIS_URL = redis_url_with_database(REDIS_URL, 1 + int(os.environ["PYTEST_XDIST_WORKER"][2:]))
REDIS_CLIENT_URL = redis_client_url(REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_CLIENT_URL,
        "KEY_PREFIX": os.environ.get("CXM_REDIS_PREFIX", "cxm"),
        "TIMEOUT": 300,
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Production hashes passwords with Django's salted PBKDF2 (hundreds of thousands of rounds, on
# purpose slow). The suite signs in thousands of users, so under `cxm test` a fast hasher comes
# first; tests/kernel/test_password_hashing.py holds the production hashers to their word.
if TESTING:
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *global_settings.PASSWORD_HASHERS,
    ]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("id", _("Bahasa Indonesia"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("CXM_STATIC_ROOT") or DATA_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# A built image runs collectstatic and serves hashed files (CXM_STATIC_MANIFEST=1); everywhere
# else whitenoise serves straight from the source folders, so nothing has to be collected first.
STATIC_MANIFEST = envbool("CXM_STATIC_MANIFEST")
# Post media live under DATA_DIR/media, or in an S3-compatible bucket when one is named
# (install the "s3" extra: pip install '.[s3]').
MEDIA_S3_BUCKET = os.environ.get("CXM_MEDIA_S3_BUCKET", "")
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": os.environ.get("CXM_MEDIA_S3_ENDPOINT") or None,
            "access_key": os.environ.get("CXM_MEDIA_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("CXM_MEDIA_S3_SECRET_KEY") or None,
            "region_name": os.environ.get("CXM_MEDIA_S3_REGION") or None,
        },
    }
    if MEDIA_S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = DEBUG

# The largest request body (bytes): JSON and form bodies, and uploads (multipart, e.g. CSV
# imports). A larger one is refused with 413 before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("CXM_MAX_BODY_BYTES", 10 * 1024 * 1024)
CXM_MAX_UPLOAD_BYTES = envint("CXM_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cxm.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["cxm.api.permissions.IsWorkspaceMember"],
    "DEFAULT_PAGINATION_CLASS": "cxm.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["cxm.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "cxm.api.schema.AutoSchema",
    # A JSON API held to its OpenAPI document (cxm.api.contract); only the upload endpoints (CSV
    # imports, feeds) also take multipart, and say so.
    "DEFAULT_PARSER_CLASSES": ["cxm.api.contract.ContractJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "cxm.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per token/user and per anonymous address; an exceeded rate answers 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "cxm.api.throttling.UserRateThrottle",
        "cxm.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # The suite keeps throttling on, with limits no test run reaches.
        "user": os.environ.get("CXM_API_RATE_USER") or ("100000/minute" if TESTING else "1200/minute"),
        "anon": os.environ.get("CXM_API_RATE_ANON") or ("100000/minute" if TESTING else "60/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CXM platform API",
    "DESCRIPTION": "Listening, publishing, care and ads for every workspace you belong to. "
    "Authenticate with `POST /api/v1/auth/token/` and send `Authorization: Token <key>`; "
    "pick a workspace with the `X-Workspace` header (its id) when you belong to several; without "
    "it a call acts in your default workspace (`PATCH /api/v1/me/`), and someone in several "
    "workspaces without a default gets 400 `workspace_required`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cxm.api.schema.error_responses",
    ],
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for a choice set several fields share.
    "ENUM_NAME_OVERRIDES": {
        "ConnectablePlatformEnum": "cxm.channels.api.CONNECTABLE_PLATFORMS",
        "AlertDeliveryStatusEnum": "cxm.channels.models.AlertDeliveryStatus",
        "CaseStatusEnum": "care.models.CaseStatus",
        "AccountStatusEnum": "cxm.channels.models.AccountStatus",
        "AdNewStatusEnum": "ads.api.shared.NEW_STATUS_CHOICES",
        "VariantStatusEnum": "ads.models.VariantStatus",
        "ReportPlatformEnum": "ads.models.IMPORT_PLATFORMS",
        "TemplatePlatformEnum": "ads.variants.PLATFORMS",
        "RoleEnum": "cxm.tenancy.models.Role",
    },
}

CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only when it has finished, and re-queued if its worker dies, so a
# crash never loses work; every task is written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_VISIBILITY_TIMEOUT = envint("CXM_BROKER_VISIBILITY_TIMEOUT", 3600)
# Every countdown/ETA in the code stays below this (tests/kernel/test_celery_settings.py):
# a message not acknowledged within it is delivered again. Long-range schedules live in the
# database and beat polls them.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "socket_timeout": 10,
    "socket_connect_timeout": 5,
    "retry_on_timeout": True,
    "health_check_interval": 10,
}
# When Redis goes away, workers and beat keep trying to reconnect for as long as it takes.
# The longest countdown a task may ask of the broker (cxm.celery.broker_countdown).
CELERY_BROKER_COUNTDOWN_MAX = 300
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task still running when the broker connection drops is redelivered; stop the old run
# rather than let two copies race.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Each concern's tasks have a queue of their own, so its workers can be placed and scaled apart
# (docs/operations.md): a worker given `-Q publish` runs only publishing's work, and a worker
# started without -Q consumes every queue. `default` holds the kernel's own work (audit exports,
# data-subject requests, retention) and anything not routed below.
CXM_QUEUES = QUEUES
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = {name: {"routing_key": name} for name in CXM_QUEUES}
# Exact names first, then each module's tasks by prefix (Celery tries the patterns in order);
# tests/kernel/test_queues.py holds every registered task to a queue in CXM_QUEUES.
CELERY_TASK_ROUTES = {
    "listening.alerts_detect": {"queue": "alerts"},
    "listening.alert_deliver": {"queue": "alerts"},
    "ads.comment_alert_deliver": {"queue": "alerts"},
    "channels.*": {"queue": "ingest"},
    "listening.*": {"queue": "ingest"},
    "publishing.*": {"queue": "publish"},
    "care.*": {"queue": "care"},
    "ads.*": {"queue": "ads"},
    "transformation.*": {"queue": "transformation"},
    "audit.*": {"queue": "default"},
    "privacy.*": {"queue": "default"},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_WORKER_HEARTBEAT_KEY = "cxm:worker-heartbeat"
CELERY_WORKER_HEARTBEAT_INTERVAL = 10
CELERY_BEAT_SCHEDULE = {
    "channels-poll-due": {"task": "channels.poll_due", "schedule": envint("CXM_POLL_TICK_SECONDS", 10)},
    "listening-alerts": {"task": "listening.alerts_detect", "schedule": 300},
    "care-tick": {"task": "care.tick", "schedule": envint("CXM_CARE_TICK_SECONDS", 60)},
    "ads-tick": {"task": "ads.tick", "schedule": envint("CXM_ADS_TICK_SECONDS", 5)},
    "ads-sync-due": {"task": "ads.sync_due", "schedule": 30},
    "ads-insights-due": {"task": "ads.insights_due", "schedule": envint("CXM_ADS_INSIGHTS_SECONDS", 3600)},
    "ads-comments-pull": {"task": "ads.comments_pull", "schedule": envint("CXM_ADS_COMMENTS_SECONDS", 180)},
    # Every minute it looks for URL feeds whose refresh interval has passed.
    "ads-feeds-refresh": {"task": "ads.feeds_refresh", "schedule": 60},
    "publishing-dispatch": {
        "task": "publishing.dispatch_due",
        "schedule": envint("CXM_PUBLISH_TICK_SECONDS", 5),
    },
    "publishing-metrics": {"task": "publishing.metrics_pull", "schedule": 900},
    # Hourly: mentions and closed cases past each workspace's retention, in short batches.
    "privacy-retention-purge": {"task": "privacy.retention_purge", "schedule": 3600},
    # Data-subject requests whose task was lost or whose worker died are queued again.
    "privacy-requests-resume": {"task": "privacy.requests_resume", "schedule": 300},
    # Today's KPI snapshot stays fresh; yesterday's is finished after midnight.
    "transformation-snapshots": {
        "task": "transformation.snapshots_daily",
        "schedule": envint("CXM_TRANSFORMATION_SNAPSHOT_SECONDS", 900),
    },
}
EMAIL_BACKEND = os.environ.get("CXM_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("CXM_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("CXM_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("CXM_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CXM_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = envbool("CXM_EMAIL_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("CXM_EMAIL_FROM", "cxm@localhost")
# Where people reach the site: links in alert emails, surveys and webhooks are built on it.
CXM_BASE_URL = base_url(debug=DEBUG)
# The Meta app behind Pages, Instagram and WhatsApp: its one webhook endpoint (/hooks/meta/) checks
# deliveries with the app secret and answers the subscription handshake for the verify token; the
# "Connect Facebook & Instagram" flow signs in with the app id. The Graph host and the login
# dialog are settings so that tests and `make run` can point them at a stand-in.
CXM_META_APP_ID = os.environ.get("CXM_META_APP_ID", "")
CXM_META_APP_SECRET = os.environ.get("CXM_META_APP_SECRET", "")
CXM_META_VERIFY_TOKEN = os.environ.get("CXM_META_VERIFY_TOKEN", "")
CXM_META_API_VERSION = os.environ.get("CXM_META_API_VERSION", "v21.0")
CXM_META_GRAPH_URL = os.environ.get("CXM_META_GRAPH_URL", "https://graph.facebook.com").rstrip("/")
CXM_META_DIALOG_URL = os.environ.get(
    "CXM_META_DIALOG_URL", f"https://www.facebook.com/{CXM_META_API_VERSION}/dialog/oauth"
)
# YouTube (Data API v3): where access tokens are refreshed and the API is called (settings so that
# tests can point them at a stand-in), and the daily quota of units each Google project (OAuth
# client) has, of which polling leaves the reserve to replies and moderation. "Connect YouTube"
# signs in with the project's OAuth client (a web application client, id and secret) on Google's
# consent page.
CXM_YOUTUBE_CLIENT_ID = os.environ.get("CXM_YOUTUBE_CLIENT_ID", "")
CXM_YOUTUBE_CLIENT_SECRET = os.environ.get("CXM_YOUTUBE_CLIENT_SECRET", "")
CXM_YOUTUBE_AUTHORIZE_URL = os.environ.get(
    "CXM_YOUTUBE_AUTHORIZE_URL", "https://accounts.google.com/o/oauth2/v2/auth"
)
CXM_YOUTUBE_TOKEN_URL = os.environ.get("CXM_YOUTUBE_TOKEN_URL", "https://oauth2.googleapis.com/token")
CXM_YOUTUBE_API_URL = os.environ.get("CXM_YOUTUBE_API_URL", "https://www.googleapis.com/youtube/v3").rstrip(
    "/"
)
CXM_YOUTUBE_DAILY_UNITS = envint("CXM_YOUTUBE_DAILY_UNITS", 10_000)
CXM_YOUTUBE_RESERVE_UNITS = envint("CXM_YOUTUBE_RESERVE_UNITS", 1_000)

# The X app behind "Connect X": its OAuth 2.0 client (a confidential one, with a secret). The
# consent page and the API host are settings so that tests can point them at a stand-in.
CXM_X_CLIENT_ID = os.environ.get("CXM_X_CLIENT_ID", "")
CXM_X_CLIENT_SECRET = os.environ.get("CXM_X_CLIENT_SECRET", "")
CXM_X_AUTHORIZE_URL = os.environ.get("CXM_X_AUTHORIZE_URL", "https://x.com/i/oauth2/authorize")
CXM_X_API_URL = os.environ.get("CXM_X_API_URL", "https://api.x.com").rstrip("/")
# The Bot API host Telegram bots call unless an account names its own (a self-hosted Bot API
# server); a setting so that stand-ins can take its place.
CXM_TELEGRAM_API_URL = os.environ.get("CXM_TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
# Production (the Docker image) refuses to store secrets without keys from the environment.
CXM_REQUIRE_SECRET_KEYS = envbool("CXM_REQUIRE_SECRET_KEYS")
if CXM_REQUIRE_SECRET_KEYS and not os.environ.get("CXM_SECRET_KEYS", "").strip():
    # Refuse to start at all, rather than at the first secret someone saves.
    raise ImproperlyConfigured("CXM_REQUIRE_SECRET_KEYS is on but CXM_SECRET_KEYS is not set")
# Sign-in throttling: failed attempts allowed per username and per client address, and the
# sliding windows they are counted over (cxm.tenancy.login_throttle).
CXM_LOGIN_FAILURES_PER_ACCOUNT = envint("CXM_LOGIN_FAILURES_PER_ACCOUNT", 5)
CXM_LOGIN_ACCOUNT_WINDOW_MINUTES = envint("CXM_LOGIN_ACCOUNT_WINDOW_MINUTES", 15)
CXM_LOGIN_FAILURES_PER_IP = envint("CXM_LOGIN_FAILURES_PER_IP", 20)
CXM_LOGIN_IP_WINDOW_MINUTES = envint("CXM_LOGIN_IP_WINDOW_MINUTES", 60)
# API tokens stop working this many days after they are issued (0: they last until revoked).
CXM_API_TOKEN_TTL_DAYS = envint("CXM_API_TOKEN_TTL_DAYS", 0)
# How long an invitation link stays good (days); it works once.
CXM_INVITATION_DAYS = 7
# Outbound webhooks and feed fetches may reach private, loopback and link-local addresses
# everywhere (a deployment whose receivers all live on its own network); off by default, and
# a workspace admin can allow it for one workspace instead (cxm.channels.outbound).
CXM_WEBHOOK_ALLOW_PRIVATE = envbool("CXM_WEBHOOK_ALLOW_PRIVATE")
# After a webhook signing secret is rotated, the previous one keeps signing for this long.
CXM_WEBHOOK_SECRET_GRACE_HOURS = envint("CXM_WEBHOOK_SECRET_GRACE_HOURS", 24)
# Today's transformation figures older than this are measured again when a page reads them (the
# beat normally refreshes them first).
CXM_TRANSFORMATION_STALE_MINUTES = envint("CXM_TRANSFORMATION_STALE_MINUTES", 60)
# How often a product feed with a URL is fetched again (minutes).
CXM_ADS_FEED_REFRESH_MINUTES = envint("CXM_ADS_FEED_REFRESH_MINUTES", 60)
# How often an open page asks the server again (seconds, fractions allowed): the care inbox and
# a case's conversation for new messages, and a status still under way (a reply being delivered,
# a data-subject request running) until it settles (cxm/web/templatetags/polling.py).
CXM_INBOX_POLL_SECONDS = envfloat("CXM_INBOX_POLL_SECONDS", 4)
CXM_STATUS_POLL_SECONDS = envfloat("CXM_STATUS_POLL_SECONDS", 2)
# The website chat (cxm.channels.webchat): how often an open widget asks for new messages, and
# the rates it is held to per visitor and per client address (fixed windows counted in Redis).
CXM_WEBCHAT_POLL_SECONDS = envfloat("CXM_WEBCHAT_POLL_SECONDS", 2)
CXM_WEBCHAT_MESSAGES_PER_MINUTE = envint("CXM_WEBCHAT_MESSAGES_PER_MINUTE", 20)
CXM_WEBCHAT_READS_PER_MINUTE = envint("CXM_WEBCHAT_READS_PER_MINUTE", 120)
CXM_WEBCHAT_REQUESTS_PER_MINUTE_PER_IP = envint("CXM_WEBCHAT_REQUESTS_PER_MINUTE_PER_IP", 600)
CXM_WEBCHAT_VISITORS_PER_HOUR_PER_IP = envint("CXM_WEBCHAT_VISITORS_PER_HOUR_PER_IP", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CXM_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # httpx logs each request's full URL at INFO, Meta's token exchange carries the code and
        # the app secret in its query, and every Telegram Bot API path the bot token: only its
        # warnings are logged.
        "httpx": {"level": "WARNING"},
    },
}

CXM_DEMO = envbool("CXM_DEMO", True)
if CXM_DEMO:
    # Demo colleagues answer cases and demo customers answer surveys in the Demo workspace.
    CELERY_BEAT_SCHEDULE["care-demo-activity"] = {
        "task": "care.demo_activity",
        "schedule": envint("CXM_DEMO_ACTIVITY_SECONDS", 60),
    }
    # ...and the capability scores follow what they do within minutes, not a quarter of an hour.
    CELERY_BEAT_SCHEDULE["transformation-snapshots"]["schedule"] = envint(
        "CXM_TRANSFORMATION_SNAPSHOT_SECONDS", 120
    )
