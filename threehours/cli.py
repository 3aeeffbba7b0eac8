"""`threehours`: the one command that runs the platform.

threehours demo      migrate the SQLite database, load demo data, serve on :8000 with a job worker
threehours build     collect the static files and compile the translations (before serving)
threehours serve     production web server (granian, or gunicorn)
threehours worker    the job worker (huey consumer)
threehours manage …  any Django management command
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DEMO_PHONES = ",".join(f"1380000000{i}:123456" for i in range(1, 6))


def _setup_django(*, build_catalogues: bool | None = None) -> None:
    """Django in this process. The message catalogues are compiled first when asked
    (`build_catalogues`), or by default only in debug (a checkout): a production install is
    built once by `threehours build` and never written to at start (it may be read-only)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    from threehours.core.i18n import compile_messages, stale_catalogues

    if build_catalogues is None:
        build_catalogues = settings.DEBUG
    if build_catalogues:
        compile_messages()
    elif stale_catalogues():
        print(
            "threehours: the translations are not compiled (run `threehours build`); "
            "pages will be in English.",
            file=sys.stderr,
        )
    import django

    django.setup()


def _missing_build(settings) -> list[str]:
    """What `threehours build` makes that is not there: the static files' manifest (when the
    storage names files by their hash) and the compiled catalogues."""
    from django.contrib.staticfiles.storage import ManifestFilesMixin
    from django.core.files.storage import storages

    from threehours.core.i18n import stale_catalogues

    missing = [str(po.with_suffix(".mo")) for po in stale_catalogues()]
    storage = storages["staticfiles"]
    if isinstance(storage, ManifestFilesMixin):
        manifest = Path(settings.STATIC_ROOT) / storage.manifest_name
        if not manifest.exists():
            missing.append(str(manifest))
    return missing


def _build() -> None:
    """collectstatic into STATIC_ROOT (THREEHOURS_STATIC_ROOT) and the .mo catalogues beside
    their .po files. Run at install time, by a user who may write there."""
    from django.conf import settings
    from django.core.management import call_command

    from threehours.core.i18n import compile_messages

    compile_messages()
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)


def build(args: argparse.Namespace) -> int:
    _setup_django(build_catalogues=True)
    from django.conf import settings

    _build()
    print(f"threehours: built the static files into {settings.STATIC_ROOT} and the translations.")
    return 0


def _manage(args: list[str]) -> None:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["threehours manage", *args])


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()


def _interrupt_on_sigterm() -> None:
    """Treat SIGTERM (a service manager, `kill`, a container stop) as Ctrl-C, so the demo
    stops its server and worker instead of leaving them running without it."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def demo(args: argparse.Namespace) -> int:
    _interrupt_on_sigterm()
    os.environ.setdefault("THREEHOURS_DEBUG", "true")
    os.environ.setdefault("THREEHOURS_TEST_PHONES", DEMO_PHONES)
    os.environ.setdefault("THREEHOURS_SITE_URL", f"http://{args.host}:{args.port}")
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command

    if settings.DATABASE_URL:
        print(
            "threehours demo runs on the embedded SQLite database; unset DATABASE_URL.",
            file=sys.stderr,
        )
        return 2

    call_command("migrate", interactive=False, verbosity=0)
    call_command("demo_data")
    env = dict(os.environ)
    python = sys.executable
    server = [
        *(python, "-m", "threehours.cli", "manage", "runserver", f"{args.host}:{args.port}"),
        *("--noreload", "--skip-checks"),
    ]
    children: list[subprocess.Popen] = []
    try:
        children.append(subprocess.Popen(server, env=env))
        if not args.no_worker:
            children.append(subprocess.Popen([python, "-m", "threehours.cli", "worker"], env=env))
        print(
            f"\nthreehours is running at http://{args.host}:{args.port}/ — press Ctrl-C to stop.\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        # A second Ctrl-C or SIGTERM must not cut the stopping short: _stop() kills what
        # has not ended after its grace period anyway.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop(children)
    failed = [child.returncode for child in children if child.returncode not in (0, None)]
    return failed[0] if failed else 0


def serve(args: argparse.Namespace) -> int:
    build_first = getattr(args, "build", False)
    _setup_django(build_catalogues=build_first or None)
    from django.conf import settings
    from django.core.management import call_command

    if build_first:
        _build()
    elif missing := _missing_build(settings):
        if not settings.DEBUG:
            print(
                "threehours serve: the install is not built; run `threehours build` first "
                "(or `threehours serve --build` where the install may be written to). "
                "Missing: " + ", ".join(missing),
                file=sys.stderr,
            )
            return 2
        _build()  # debug, a checkout: build into var/ (THREEHOURS_VAR_DIR)
    if args.migrate:
        call_command("migrate", interactive=False, verbosity=0)
    if settings.METRICS_ENABLED:
        # Prometheus multiprocess files of an earlier run would be added to this run's counts.
        from threehours.core.metrics import metrics_dir_clean

        metrics_dir_clean()
    workers = str(args.workers or settings.SERVE_WORKERS)
    bind = args.bind or settings.SERVE_BIND
    access_log = settings.DEBUG or args.access_log
    if settings.SERVE_SERVER == "granian":
        command = _granian_command(settings, workers, bind, access_log)
    else:
        command = _gunicorn_command(settings, workers, bind, access_log)
    os.execv(sys.executable, command)
    return 0  # not reached


def _granian_command(settings, workers: str, bind: str, access_log: bool) -> list[str]:
    """granian: HTTP in Rust, the Django app in each worker's few Python threads. Against
    gunicorn's gthread workers it cut a check-in's server CPU by a third (bench/README.md)."""
    host, _, port = bind.rpartition(":")
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--workers",
        workers,
        "--blocking-threads",
        str(settings.SERVE_THREADS),
        "--host",
        host.strip("[]") or "127.0.0.1",
        "--port",
        port,
        "--workers-kill-timeout",
        "20",
        "--access-log" if access_log else "--no-access-log",
        "config.wsgi:application",
    ]


def _gunicorn_command(settings, workers: str, bind: str, access_log: bool) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--workers",
        workers,
        "--bind",
        bind,
        "--worker-class",
        settings.SERVE_WORKER_CLASS,
        "--threads",
        str(settings.SERVE_THREADS),
        "--graceful-timeout",
        "20",
        "--timeout",
        "60",
    ]
    if settings.SERVE_REUSE_PORT:
        command.append("--reuse-port")
    if access_log:
        # Without the option gunicorn keeps no access log; "/dev/null" still formatted a line
        # for every request.
        command += ["--access-logfile", "-"]
    return command


def worker(args: argparse.Namespace) -> int:
    _manage(["run_huey"])
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["manage"]:
        _manage(argv[1:])
        return 0
    parser = argparse.ArgumentParser(
        prog="threehours", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("demo", help="run the platform with demo data on SQLite")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-worker", action="store_true", help="do not start the job worker")
    p.set_defaults(func=demo)
    p = commands.add_parser(
        "build", help="collect the static files and compile the translations (install time)"
    )
    p.set_defaults(func=build)
    p = commands.add_parser("serve", help="production web server (granian, or gunicorn)")
    p.add_argument("--workers", type=int, help="processes (THREEHOURS_WEB_WORKERS, default 2)")
    p.add_argument("--bind", help="address (THREEHOURS_BIND, default 127.0.0.1:8000)")
    p.add_argument("--migrate", action="store_true", help="apply migrations first")
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.add_argument("--build", action="store_true", help="run `threehours build` first")
    p.set_defaults(func=serve)
    p = commands.add_parser("worker", help="the job worker (huey consumer)")
    p.set_defaults(func=worker)
    commands.add_parser("manage", help="any Django management command", add_help=False)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
