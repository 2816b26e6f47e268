"""The `cxm` command line: `cxm run`, `cxm test`, `cxm migrate`, `cxm setup`, `cxm manage ...`,
and one process at a time for several machines: `cxm web`, `cxm worker`, `cxm beat`.

They start embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL point at real servers,
then start the platform's processes (or the test suite) against them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from cxm.conf import QUEUES, data_dir, envint, launcher_base_url, queue_groups
from cxm.embedded import EmbeddedUnavailable, prepare_environment
from cxm.processes import die_with_parent
from cxm.watchdog import Watchdog

CHROMIUM = "/usr/bin/chromium"


def _python(*args: str) -> list[str]:
    return [sys.executable, *args]


def _manage(*args: str) -> list[str]:
    return _python("-m", "cxm", "manage", *args)


def _say(message: str) -> None:
    print(f"cxm: {message}", flush=True)


def _prepare(folder: Path, watchdog: Watchdog | None = None, *, durable: bool = True):
    embedded = not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))
    if embedded:
        _say(f"starting embedded services in {folder}")
    try:
        return prepare_environment(folder, watchdog=watchdog, say=_say, durable=durable)
    except EmbeddedUnavailable as exc:
        raise SystemExit(f"cxm: {exc}") from None


def _migrate() -> None:
    subprocess.run(_manage("migrate", "--no-input", "-v", "0"), check=True)


# What `cxm run` does to the database before it starts serving, in order, in one process (each
# Django start costs seconds). The demo seeds do nothing when CXM_DEMO is off.
SETUP_COMMANDS = [
    ["migrate", "--no-input", "-v", "0"],
    ["cxm_bootstrap"],
    ["listening_seed_demo"],
    ["publishing_seed_demo"],
    ["demo_seed"],
    ["ads_seed_demo"],
]


def cmd_setup(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxm.settings")
    import django
    from django.core.management import call_command

    django.setup()
    for name, *options in SETUP_COMMANDS:
        call_command(name, *options)
    return 0


class ProcessGroup:
    """Child processes that live and die together; each in its own session, so Ctrl-C reaches
    only this launcher, which then stops them in order. Each dies with the launcher too."""

    def __init__(self, watchdog: Watchdog) -> None:
        self.children: dict[str, subprocess.Popen] = {}
        self.watchdog = watchdog
        self.stopping = False

    def start(self, name: str, command: list[str]) -> None:
        self.children[name] = subprocess.Popen(
            command,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.watchdog.watch_group(self.children[name].pid)

    def first_exited(self) -> str | None:
        for name, process in self.children.items():
            if process.poll() is not None:
                return name
        return None

    def stop(self, timeout: float = 20) -> None:
        self.stopping = True
        for process in self.children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.children.values():
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # What a child left behind in its session (a worker of a killed master) goes with it.
        for process in self.children.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)


class StopRequest:
    """The first SIGINT or SIGTERM interrupts whatever the launcher is doing (a migration, a seed,
    the supervising loop) with KeyboardInterrupt; every later one is ignored, so a second Ctrl-C
    or the SIGTERM that follows a group signal can never abandon the stop half-way."""

    def __init__(self) -> None:
        self.requested = False

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.on_signal)

    def on_signal(self, signum, frame) -> None:
        if self.requested:
            return
        self.requested = True
        raise KeyboardInterrupt

    def hold(self) -> None:
        """From here on the stop runs to its end: nothing interrupts it any more."""
        self.requested = True
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


def web_command(*, bind: str, port: str) -> list[str]:
    """gunicorn as `cxm run` serves the platform (the benchmarks start the same one)."""
    return _python(
        "-m",
        "gunicorn",
        "cxm.wsgi",
        "--bind",
        f"{bind}:{port}",
        "--workers",
        str(envint("CXM_WEB_WORKERS", 2)),
        "--threads",
        str(envint("CXM_WEB_THREADS", 4)),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
    )


def worker_command(*, queues: list[str], name: str, concurrency: int | None = None) -> list[str]:
    """A Celery worker consuming `queues`, as `cxm run` and `cxm worker` start one."""
    return _python(
        "-m",
        "celery",
        "-A",
        "cxm",
        "worker",
        "--loglevel",
        "INFO",
        "--queues",
        ",".join(queues),
        "--concurrency",
        str(concurrency or envint("CXM_WORKER_CONCURRENCY", 2)),
        "--hostname",
        f"{name}@%h",
        # Workers share nothing but the broker and the database: no start-up wait for neighbours to
        # answer (mingle), no event chatter between them (gossip).
        "--without-mingle",
        "--without-gossip",
    )


def beat_command(*, schedule: Path) -> list[str]:
    return _python("-m", "celery", "-A", "cxm", "beat", "--loglevel", "INFO", "--schedule", str(schedule))


def _worker_groups() -> list[list[str]]:
    try:
        return queue_groups(os.environ.get("CXM_WORKER_QUEUES", ""))
    except ImproperlyConfigured as exc:
        raise SystemExit(f"cxm: CXM_WORKER_QUEUES: {exc}") from None


def cmd_run(args: argparse.Namespace) -> int:
    stop = StopRequest()
    stop.install()
    watchdog = Watchdog()
    services = None
    group = ProcessGroup(watchdog)
    try:
        folder = data_dir()
        groups = _worker_groups()
        services = _prepare(folder, watchdog)
        port = str(envint("PORT", 8000))
        bind = os.environ.get("CXM_BIND", "127.0.0.1")
        # Links in e-mails, surveys and alerts point where this launcher actually serves.
        os.environ.setdefault("CXM_BASE_URL", launcher_base_url(bind=bind, port=port))
        subprocess.run(_python("-m", "cxm", "setup"), check=True)
        group.start("web", web_command(bind=bind, port=port))
        for queues in groups:
            # One worker on every queue is "worker"; each of several is named after its queues.
            name = "worker" if len(groups) == 1 else "-".join(queues)
            group.start(name, worker_command(queues=queues, name=name))
        group.start("beat", beat_command(schedule=folder / "celerybeat-schedule"))
        _say(f"platform running at {launcher_base_url(bind=bind, port=port)}/  (Ctrl-C stops it)")
        while True:
            exited = group.first_exited()
            if exited:
                _say(f"{exited} exited unexpectedly; stopping the platform")
                return 1
            services.supervise()
            time.sleep(0.5)
    except KeyboardInterrupt:
        _say("stopping")
        return 0
    except subprocess.CalledProcessError:
        if stop.requested:  # a seed or migration stopped by the same signal
            _say("stopping")
            return 0
        raise
    finally:
        stop.hold()
        group.stop()
        if services is not None:
            services.stop()
        watchdog.release(all_stopped=services is not None)
        _say("stopped")


def _foreground(command: list[str]) -> int:
    """One of the platform's processes in the foreground, on DATABASE_URL and REDIS_URL or else on
    this data folder's embedded servers (shared with a `cxm run` serving it already). The first
    SIGINT, SIGTERM or SIGHUP stops it gracefully (SIGTERM to it); later ones are ignored."""
    stop = StopRequest()
    stop.install()
    services = child = None
    try:
        services = _prepare(data_dir())
        child = subprocess.Popen(command, start_new_session=True, preexec_fn=die_with_parent)
        return child.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop.hold()
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if services is not None:
            services.stop()


def cmd_web(args: argparse.Namespace) -> int:
    return _foreground(web_command(bind=args.bind, port=str(args.port)))


def cmd_worker(args: argparse.Namespace) -> int:
    queues = [queue.strip() for queue in args.queues.split(",") if queue.strip()]
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown or not queues:
        raise SystemExit(f"cxm: unknown queue {', '.join(unknown)}; the queues are {', '.join(QUEUES)}")
    name = args.name or ("worker" if queues == list(QUEUES) else "-".join(queues))
    return _foreground(worker_command(queues=queues, name=name, concurrency=args.concurrency))


def cmd_beat(args: argparse.Namespace) -> int:
    return _foreground(beat_command(schedule=data_dir() / "celerybeat-schedule"))


def ensure_test_tools() -> None:
    """The suite drives Debian's chromium and validates the compose file with docker compose;
    install what is missing when we are allowed to, or say exactly what to install."""
    missing = []
    if not (os.environ.get("CXM_CHROMIUM") or Path(CHROMIUM).exists()):
        missing.append("chromium")
    if not shutil.which("docker-compose") and not _docker_compose_plugin():
        missing.append("docker-compose")
    if not missing:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        _say(f"installing Debian packages the tests need: {' '.join(missing)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", *missing], check=True, env=env, stdout=subprocess.DEVNULL
        )
        return
    raise SystemExit(
        f"cxm: the test suite needs {' and '.join(missing)}. Install with "
        f"`sudo apt-get install {' '.join(missing)}` (Debian/Ubuntu); set CXM_CHROMIUM to use another "
        "Chromium binary."
    )


def _docker_compose_plugin() -> bool:
    if not shutil.which("docker"):
        return False
    result = subprocess.run(["docker", "compose", "version"], capture_output=True)
    return result.returncode == 0


# Intervals (seconds) the suite runs with; each is a setting listed in README.md.
TEST_INTERVALS = {
    "CXM_INBOX_POLL_SECONDS": "0.5",
    "CXM_STATUS_POLL_SECONDS": "0.3",
}


def _parallel(pytest_args: list[str]) -> list[str]:
    """The whole suite runs in one pytest-xdist process per core (CXM_TEST_WORKERS overrides);
    a run that names its tests, or its own -n, runs as asked."""
    names_tests = any(not arg.startswith("-") for arg in pytest_args)
    if any(arg == "-n" or arg.startswith(("-n", "--numprocesses")) for arg in pytest_args):
        return pytest_args
    workers = envint("CXM_TEST_WORKERS", 1 if names_tests else (os.cpu_count() or 1))
    if workers <= 1:
        return pytest_args
    return ["-n", str(workers), "--dist", "loadgroup", *pytest_args]


def cmd_test(args: argparse.Namespace) -> int:
    ensure_test_tools()
    # Tests keep their own servers, apart from the data `cxm run` shows.
    folder = data_dir() / "test"
    os.environ["CXM_TESTING"] = "1"
    # Its own test database, so two runs sharing the test servers never collide.
    os.environ.setdefault("CXM_TEST_DATABASE_NAME", f"test_cxm_{os.getpid()}")
    # Pages and beat ticks the suite waits on come round quickly instead of on production intervals.
    for name, seconds in TEST_INTERVALS.items():
        os.environ.setdefault(name, seconds)
    # The test cluster holds nothing worth an fsync: it runs without one (cxm.embedded).
    services = _prepare(folder, durable=False)
    try:
        return subprocess.run(_python("-m", "pytest", *_parallel(args.pytest_args))).returncode
    finally:
        services.stop()


def cmd_migrate(args: argparse.Namespace) -> int:
    services = _prepare(data_dir())
    try:
        _migrate()
        return 0
    finally:
        services.stop()


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxm.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["cxm manage", *args.manage_args])
    return 0


def cmd_shell_env(args: argparse.Namespace) -> int:
    """Start the embedded services and print their URLs, for running tools by hand."""
    services = _prepare(data_dir())
    print(f"export DATABASE_URL='{os.environ['DATABASE_URL']}'")
    print(f"export REDIS_URL='{os.environ['REDIS_URL']}'")
    _say("services running; Ctrl-C stops them")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        services.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cxm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start web, Celery worker(s) and beat").set_defaults(func=cmd_run)
    web = sub.add_parser("web", help="start only the web server (gunicorn)")
    web.add_argument("--bind", default=os.environ.get("CXM_BIND", "127.0.0.1"))
    web.add_argument("--port", type=int, default=envint("PORT", 8000))
    web.set_defaults(func=cmd_web)
    worker = sub.add_parser("worker", help="start one Celery worker on the queues named")
    worker.add_argument(
        "-Q",
        "--queues",
        default=",".join(QUEUES),
        help=f"comma-separated, of: {', '.join(QUEUES)} (default: all)",
    )
    worker.add_argument(
        "-c", "--concurrency", type=int, default=None, help="pool processes (CXM_WORKER_CONCURRENCY)"
    )
    worker.add_argument("-n", "--name", default="", help="the node name before @host (default: its queues)")
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("beat", help="start only Celery beat (run exactly one)").set_defaults(func=cmd_beat)
    test = sub.add_parser("test", help="run the test suite")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    test.set_defaults(func=cmd_test)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("setup", help="migrate and seed the database the services use").set_defaults(
        func=cmd_setup
    )
    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("manage_args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    sub.add_parser("rotate-keys", help="re-encrypt stored secrets under the newest key").set_defaults(
        func=lambda args: cmd_manage(argparse.Namespace(manage_args=["rotate_keys"]))
    )
    sub.add_parser("services", help="start only the embedded database and Redis").set_defaults(
        func=cmd_shell_env
    )
    args, extra = parser.parse_known_args(argv)
    if args.command == "test":
        args.pytest_args = extra + args.pytest_args
    elif args.command == "manage":
        args.manage_args = extra + args.manage_args
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args.func(args)
