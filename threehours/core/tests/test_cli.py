"""`threehours serve`: the command it runs, and the real server answering pages and the API."""

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from threehours import cli

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def serve_command(monkeypatch):
    ran: list[list[str]] = []
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: None)
    monkeypatch.setattr(cli.os, "execv", lambda path, command: ran.append(command))

    def run(**overrides) -> list[str]:
        args = argparse.Namespace(
            migrate=False, workers=None, bind=None, access_log=False, build=False
        )
        for key, value in overrides.items():
            setattr(args, key, value)
        cli.serve(args)
        return ran[-1]

    return run


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_serve_runs_granian_with_two_threads_a_worker_and_no_access_log(serve_command, settings):
    settings.DEBUG = False
    command = serve_command(workers=3, bind="0.0.0.0:8080")
    assert command[1:3] == ["-m", "granian"]
    assert _option(command, "--interface") == "wsgi"
    assert _option(command, "--workers") == "3"
    assert _option(command, "--blocking-threads") == "2"
    assert (_option(command, "--host"), _option(command, "--port")) == ("0.0.0.0", "8080")
    assert "--no-access-log" in command
    assert command[-1] == "config.wsgi:application"


def test_serve_logs_access_when_asked(serve_command, settings):
    settings.DEBUG = False
    assert "--access-log" in serve_command(access_log=True)


def test_serve_with_gunicorn_gives_each_worker_its_own_socket(serve_command, settings):
    settings.DEBUG = False
    settings.SERVE_SERVER = "gunicorn"
    command = serve_command(workers=3)
    assert command[1:3] == ["-m", "gunicorn"]
    assert _option(command, "--workers") == "3"
    assert "--reuse-port" in command
    assert "--access-logfile" not in command


def test_serve_with_gunicorn_can_share_one_socket_and_log_access(serve_command, settings):
    settings.DEBUG = False
    settings.SERVE_SERVER = "gunicorn"
    settings.SERVE_REUSE_PORT = False
    command = serve_command(access_log=True)
    assert "--reuse-port" not in command
    assert _option(command, "--access-logfile") == "-"


# --- the real server ---------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers):
    """(status, headers — case-insensitive: granian sends lower-case names —, body)."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_threehours_serve_answers_pages_and_the_api(server, tmp_path):
    """Production settings (debug off) on a throwaway SQLite database: the process
    `threehours serve` starts serves the health check, JSON, translated errors and pages."""
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        and not key.startswith("THREEHOURS_")
    }
    env.update(
        THREEHOURS_DEBUG="false",
        THREEHOURS_SECRET_KEY="serve-test-" + "x" * 50,
        THREEHOURS_FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        THREEHOURS_ALLOWED_HOSTS="127.0.0.1",
        THREEHOURS_SSL_REDIRECT="false",
        THREEHOURS_VAR_DIR=str(tmp_path),
        THREEHOURS_WEB_SERVER=server,
        THREEHOURS_LOG_LEVEL="WARNING",
    )
    command = [sys.executable, "-m", "threehours.cli", "serve", "--build", "--migrate"]
    command += ["--workers", "1"]
    command += ["--bind", f"127.0.0.1:{port}"]
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                status, _, body = _get(f"{base}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.2)
        assert status == 200
        assert json.loads(body)["database"] == "ok"

        status, headers, body = _get(f"{base}/api/v1/activities")
        assert status == 200
        assert headers["Content-Type"].startswith("application/json")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert json.loads(body) == {"items": [], "next_cursor": None}

        status, _, body = _get(f"{base}/api/v1/me", **{"Accept-Language": "en"})
        assert status == 401
        assert json.loads(body)["message"].startswith("Please log in")
        status, _, body = _get(f"{base}/api/v1/me", **{"Accept-Language": "zh-hans"})
        assert json.loads(body)["code"] == "unauthorized"
        assert "Please log in" not in json.loads(body)["message"]

        status, headers, body = _get(f"{base}/")
        assert status == 200
        assert headers["Content-Security-Policy"]
        assert "threehours" in body.decode() or "公益" in body.decode()
        status, headers, _ = _get(f"{base}/static/css/app.css")
        assert status == 200, "whitenoise serves the collected static files"
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
        log.close()


def test_the_process_environment_does_not_reach_request_meta(monkeypatch):
    """granian copies os.environ into every request's environ; config.wsgi drops it again."""
    import config.wsgi as wsgi

    monkeypatch.setattr(wsgi, "_PROCESS_KEYS", ("THREEHOURS_SECRET_KEY", "DATABASE_URL", "HOME"))
    environ = {
        "THREEHOURS_SECRET_KEY": "s3cret",
        "DATABASE_URL": "postgres://u:pw@db/x",
        "HOME": "/root",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/healthz",
        "HTTP_USER_AGENT": "phone",
        "wsgi.url_scheme": "http",
    }
    assert wsgi.without_process_environment(environ) == {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/healthz",
        "HTTP_USER_AGENT": "phone",
        "wsgi.url_scheme": "http",
    }


def test_the_keys_dropped_are_the_process_environment_but_never_the_request():
    import config.wsgi as wsgi

    assert "PATH" in wsgi._PROCESS_KEYS or "HOME" in wsgi._PROCESS_KEYS
    assert not {"REQUEST_METHOD", "PATH_INFO", "REMOTE_ADDR"} & set(wsgi._PROCESS_KEYS)
    assert not [key for key in wsgi._PROCESS_KEYS if key.startswith("HTTP_")]


def test_what_the_worker_loaded_is_frozen_out_of_the_garbage_collectors_reach():
    """A full collection walking Django's long-lived objects stalled the requests in flight:
    the check-in burst's p99 fell from 166 to 83–93 ms with gc.freeze() (bench/README.md)."""
    import gc

    import config.wsgi  # noqa: F401  (loading it is what a server worker does)

    assert gc.get_freeze_count() > 10_000


def _cli_env(**extra: str) -> dict[str, str]:
    """This process's environment without the project's variables, plus `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("THREEHOURS_")
        and name not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(extra)
    return env


def _threehours(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("threehours")  # the installed console script
    return subprocess.run(
        [str(script), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_manage_works_beside_the_demo_database_without_debug(tmp_path):
    demo = _threehours(
        "manage", "migrate", "--verbosity", "0",
        env=_cli_env(THREEHOURS_DEBUG="true", THREEHOURS_VAR_DIR=str(tmp_path)),
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout + demo.stderr
    plain = _cli_env(THREEHOURS_VAR_DIR=str(tmp_path))  # no THREEHOURS_DEBUG

    result = _threehours(
        "manage", "shell", "-c",
        "from django.conf import settings; from threehours.accounts.models import User; "
        "print(User.objects.count(), settings.DEBUG, settings.SECRET_KEY)",
        env=plain,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    kept_key = (tmp_path / "secret_key").read_text()
    assert result.stdout.splitlines()[-1].split() == ["0", "False", kept_key]


def test_the_demos_kept_keys_never_stand_in_for_a_production_databases(tmp_path):
    (tmp_path / "secret_key").write_text("a-key-left-by-a-demo-" * 3)
    env = _cli_env(
        THREEHOURS_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'other.sqlite3'}"
    )

    result = _threehours("manage", "check", env=env)

    assert result.returncode != 0
    assert "THREEHOURS_SECRET_KEY is required" in result.stderr


def _children_of(pid: int) -> list[int]:
    """The ids of the processes whose parent is `pid` (Linux /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be read


def test_sigterm_stops_the_demo_and_its_server_and_worker(tmp_path):
    port = _free_port()
    env = _cli_env(THREEHOURS_VAR_DIR=str(tmp_path), THREEHOURS_LOG_LEVEL="WARNING")
    log = (tmp_path / "demo.log").open("w")
    command = [sys.executable, "-m", "threehours.cli", "demo", "--port", str(port)]
    # Its own session, so that the clean-up below can reach anything left behind.
    demo = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 240  # migrations and demo data first
        while True:
            assert demo.poll() is None, (tmp_path / "demo.log").read_text()
            try:
                status, _, _ = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, (tmp_path / "demo.log").read_text()
                time.sleep(0.5)
        assert status == 200
        children = _children_of(demo.pid)
        assert len(children) == 2, children  # the server and the worker

        demo.send_signal(signal.SIGTERM)

        assert demo.wait(timeout=15) == 0
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if _alive(pid)], (tmp_path / "demo.log").read_text()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(demo.pid, signal.SIGKILL)
        demo.wait(timeout=30)
        log.close()


def _production_env(tmp_path, **extra) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        and not key.startswith("THREEHOURS_")
    }
    env.update(
        THREEHOURS_DEBUG="false",
        THREEHOURS_SECRET_KEY="serve-test-" + "x" * 50,
        THREEHOURS_FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        THREEHOURS_ALLOWED_HOSTS="127.0.0.1",
        THREEHOURS_VAR_DIR=str(tmp_path / "var"),
        THREEHOURS_STATIC_ROOT=str(tmp_path / "static"),
        **extra,
    )
    return env


def test_serve_refuses_an_install_that_is_not_built_and_build_makes_it(tmp_path):
    """A production install is built once (`threehours build`); `serve` never writes the
    static files at start (the install may be read-only) and says what to run instead."""
    env = _production_env(tmp_path)
    command = [sys.executable, "-m", "threehours.cli"]
    refused = subprocess.run(
        [*command, "serve", "--bind", "127.0.0.1:9"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert "threehours build" in refused.stderr
    assert not (tmp_path / "static").exists(), "nothing was written"

    built = subprocess.run(
        [*command, "build"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert built.returncode == 0, built.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/app.css"]
    assert (tmp_path / "static" / hashed).exists()
    assert (tmp_path / "static" / (hashed + ".gz")).exists(), "nginx's gzip_static uses these"
    assert (ROOT / "threehours/locale/zh_Hans/LC_MESSAGES/django.mo").exists()
