"""Shared fixtures: two workspaces in every test that asks for tenancy, a member per role,
API clients, a real Celery worker process, and a headless Chromium; and how the suite shares out
its work between pytest-xdist processes (each with its own database and Redis database)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from rest_framework.test import APIClient

try:
    from _pytest.nodeid import coerce_node_id
except ImportError:  # pytest < 9 keeps node ids as plain strings
    coerce_node_id = None

from cxm.api.services import api_token_issue
from cxm.tenancy.models import Role
from tests.browser import BrowserProblems, close_watched, watched_context
from tests.database_template import copy_template, ensure_template
from tests.factories import PASSWORD, MembershipFactory, WorkspaceFactory

# Playwright's sync API keeps an event loop in the main thread; the ORM calls made by
# browser tests between page actions are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Fixtures several apps' tests share (members by role, a business unit, a webhook receiver...).
pytest_plugins = ["tests.fixtures"]

CHROMIUM = os.environ.get("CXM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in the test client leaves its language active in the thread; the next test starts
    in the default language whatever the last one asked for."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def workspace_a(db):
    return WorkspaceFactory(name="Acme")


@pytest.fixture
def workspace_b(db):
    return WorkspaceFactory(name="Globex")


@pytest.fixture(autouse=True)
def _second_workspace(request):
    """A test that makes workspace A gets workspace B beside it, so a query that forgets its
    workspace filter meets another tenant's rows instead of passing with the only one there."""
    if "workspace_a" in request.fixturenames and "workspace_b" not in request.fixturenames:
        request.getfixturevalue("workspace_b")


@pytest.fixture
def member(db):
    """member(workspace, role) -> Membership of a new user (or of `user` when given)."""

    def make(workspace, role=Role.ADMIN, user=None):
        if user is not None:
            return MembershipFactory(workspace=workspace, role=role, user=user)
        return MembershipFactory(workspace=workspace, role=role)

    return make


@pytest.fixture
def api(db):
    """api(membership) -> an APIClient authenticated with a token of that member."""

    def make(membership=None, *, workspace_header: bool = True):
        client = APIClient()
        if membership is not None:
            key = api_token_issue(user=membership.user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
            if workspace_header:
                client.defaults["HTTP_X_WORKSPACE"] = str(membership.workspace_id)
        return client

    return make


@pytest.fixture
def password():
    return PASSWORD


def _test_database_url() -> str:
    from django.db import connection

    settings = connection.settings_dict
    host = settings["HOST"]
    if host.startswith("/"):
        return f"postgresql://{settings['USER']}:@/{settings['NAME']}?host={host}"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return f"postgresql://{auth}@{host}{port}/{settings['NAME']}"


class WorkerProcess:
    """A real `celery worker` process on the test database and the test Redis."""

    def __init__(self, extra_env: dict[str, str] | None = None, concurrency: int = 2):
        self.env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "CXM_DB_CONN_MAX_AGE": "0",
            # The stub platforms listen on 127.0.0.1, and the worker does not see the pytest
            # `settings` fixture that allows private targets in the test process.
            "CXM_WEBHOOK_ALLOW_PRIVATE": "1",
            **(extra_env or {}),
        }
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        from django.conf import settings

        from cxm.health import redis_client

        # Two workers on one queue would share out a test's tasks: a test that starts its own
        # worker first stops the one tests share.
        _stop_shared_worker()
        redis_client().delete(settings.CELERY_WORKER_HEARTBEAT_KEY)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cxm",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                str(self.concurrency),
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            env=self.env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while redis_client().get(settings.CELERY_WORKER_HEARTBEAT_KEY) is None:
            if self.process.poll() is not None:
                raise RuntimeError("the Celery worker exited during start-up")
            if time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start within 60 s")
            time.sleep(0.1)
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its pool children), as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


# One worker serves every test that asks for `celery_worker_process` in a row (starting one costs
# seconds); a test that kills it gets a new one. Those tests run last in each process
# (pytest_collection_modifyitems), and the worker stops before any test that does not ask for it,
# since tests without a worker leave their tasks queued in Redis on purpose.
_shared_worker: WorkerProcess | None = None
_KEYS_THE_WORKER_OWNS = ("_kombu.binding.", "unacked")


def _stop_shared_worker() -> None:
    global _shared_worker
    if _shared_worker is not None:
        worker, _shared_worker = _shared_worker, None
        worker.stop()


def _clear_redis_but_the_workers_own() -> None:
    from django.conf import settings

    from cxm.health import redis_client

    client = redis_client()
    keep = (*_KEYS_THE_WORKER_OWNS, settings.CELERY_WORKER_HEARTBEAT_KEY)
    doomed = [key for key in client.scan_iter(count=1000) if not key.decode().startswith(keep)]
    if doomed:
        client.delete(*doomed)


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real worker for the test; tests using it must commit their data (transactional_db)."""
    global _shared_worker
    from cxm.health import redis_client

    if _shared_worker is not None and _shared_worker.alive():
        _clear_redis_but_the_workers_own()
    else:
        _stop_shared_worker()
        redis_client().flushdb()
        _shared_worker = WorkerProcess().start()
    yield _shared_worker
    # Stopped here, before transactional_db empties the tables: a task still running would
    # otherwise write rows after the flush, and the next tests of this process would meet them.
    if _next_item is None or "celery_worker_process" not in getattr(_next_item, "fixturenames", ()):
        _stop_shared_worker()


_next_item = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    global _next_item
    _next_item = nextitem
    yield


def _uses_worker(item) -> bool:
    return "celery_worker_process" in getattr(item, "fixturenames", ()) or item.get_closest_marker("worker")


# Tests that start the whole platform or kill its servers run in one process, one at a time.
_ALONE = ("tests/kernel/test_launcher", "tests/kernel/test_embedded_restart")


def _set_nodeid(item, nodeid: str) -> None:
    """pytest 9 keeps a node's id structured (`_id`); earlier releases kept the string."""
    if coerce_node_id is not None and hasattr(item, "_id"):
        item._id = coerce_node_id(nodeid)
    else:
        item._nodeid = nodeid


def pytest_collection_modifyitems(config, items):
    # Schemathesis names each operation's test `test_x[GET /path]` but gives all of them the
    # node id `test_x`; pytest-xdist schedules by node id and would run only one of them.
    for item in items:
        if not item.nodeid.endswith(item.name):
            _set_nodeid(item, f"{item.nodeid.rpartition('::')[0]}::{item.name}")
    # The platform tests come first, as one group in one process (pytest-xdist reads the `@group`
    # suffix, which its own marker handling cannot add under pytest 9), so their long share of work
    # starts at once. Tests with a real Celery worker come last in every process: work a worker
    # finishes after a test may leave rows behind, and only other worker tests follow them.
    items.sort(key=lambda item: 0 if item.nodeid.startswith(_ALONE) else 2 if _uses_worker(item) else 1)
    grouping = bool(getattr(config.option, "loadgroup", False)) or config.getoption("dist", "no") == "loadgroup"
    for item in items:
        if grouping and item.nodeid.startswith(_ALONE) and not item.nodeid.endswith("@platform"):
            _set_nodeid(item, f"{item.nodeid}@platform")


def pytest_sessionstart(session):
    """Build (or find) the migrated template database once, before any test process copies it."""
    if hasattr(session.config, "workerinput"):
        return
    from django.conf import settings

    os.environ["CXM_TEST_TEMPLATE_DATABASE"] = ensure_template(settings.DATABASES["default"])


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """The test database of this process is a copy of the template, then brought up to date."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    template = os.environ.get("CXM_TEST_TEMPLATE_DATABASE")
    with django_db_blocker.unblock():
        if template:
            name = connection.creation._get_test_db_name()
            copy_template(connection.settings_dict, template, name)
        databases = setup_databases(verbosity=0, interactive=False, keepdb=bool(template))
    yield
    with django_db_blocker.unblock():
        teardown_databases(databases, verbosity=0, keepdb=False)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_problems():
    """What the test's browser contexts report; the test fails at teardown on any it did not expect."""
    problems = BrowserProblems()
    yield problems
    unexpected = problems.unexpected()
    if unexpected:
        pytest.fail("the browser reported problems:\n" + "\n".join(unexpected), pytrace=False)


@pytest.fixture
def page(browser, browser_problems):
    context = watched_context(browser, browser_problems, locale="en-GB", timezone_id="Asia/Jakarta")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    close_watched(context)


@pytest.fixture
def session_in_page(page, live_server):
    """session_in_page(membership, language=None): the `page` is signed in as that member (a
    session made on the server, no sign-in form), optionally in the given UI language."""
    from django.conf import settings
    from django.test import Client

    def sign_in(membership, language: str | None = None):
        client = Client()
        client.force_login(membership.user)
        cookies = [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            }
        ]
        if language:
            cookies.append({"name": settings.LANGUAGE_COOKIE_NAME, "value": language})
        page.context.add_cookies([{**cookie, "url": live_server.url} for cookie in cookies])
        return page

    return sign_in
