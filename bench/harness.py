"""What the benchmarks share: printing, the database they drop and recreate, Django in this
process, the real server on a free port, and the machine's CPU counters.

Imported by checkin_burst.py, discovery.py and registration_rush.py (run as scripts, so this
directory is on sys.path). Each script keeps its own data, load and report.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def log(message: str = "") -> None:
    print(message, flush=True)


def ms(us: float) -> str:
    """Microseconds (as wrk reports them) in milliseconds, one decimal."""
    return f"{us / 1000:.1f}"


# --- database and Django ---------------------------------------------------------------------
def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def recreate_database(url: str) -> None:
    """Drop and create the database `url` names (only a plain lower-case name)."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"refusing to drop a database named {name!r}")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def django_setup(env: dict[str, str], *, defaults: dict[str, str] | None = None) -> None:
    """Django in this process, on `env` (set) and `defaults` (set unless already set)."""
    os.environ.update(env)
    for name, value in (defaults or {}).items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


# --- server ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    env: dict[str, str],
    *,
    root: Path,
    port: int,
    workers: int,
    ready_path: str = "/healthz",
    ready_message: str | None = None,
    needs_redis: bool = False,
    timeout_s: int = 60,
    request_timeout_s: float | None = None,
    log_path: Path | None = None,
    drop: tuple[str, ...] = (),
) -> subprocess.Popen:
    """`threehours serve` of the checkout `root` in a session of its own, on this process's
    environment plus `env` (without DJANGO_SETTINGS_MODULE and the `drop` names), once it
    answers `ready_path` with 200 (and, with `needs_redis`, its health reports Redis ok).
    With `log_path` its output goes to that file, shown if it stops. `request_timeout_s`: how
    long one readiness request may take (None: as long as the first answer takes)."""
    full = {**os.environ, **env}
    for name in ("DJANGO_SETTINGS_MODULE", *drop):
        full.pop(name, None)
    # --build: `threehours serve` no longer collects static files itself (issue #17).
    command = ["uv", "run", "threehours", "serve", "--build", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}"]
    output = {}
    if log_path is not None:
        log_file = open(log_path, "w")  # noqa: SIM115
        output = {"stdout": log_file, "stderr": log_file}
    server = subprocess.Popen(command, cwd=root, env=full, start_new_session=True, **output)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            message = f"the server stopped with status {server.returncode}"
            if log_path is not None:
                message += f":\n{log_path.read_text()}"
            raise SystemExit(message)
        try:
            url = f"http://127.0.0.1:{port}{ready_path}"
            with urllib.request.urlopen(url, timeout=request_timeout_s) as r:
                if r.status == 200 and (
                    not needs_redis or json.loads(r.read()).get("redis") == "ok"
                ):
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    stop_server(server)
    raise SystemExit(
        ready_message or f"the server did not answer {ready_path} within {timeout_s} s"
    )


def stop_server(server: subprocess.Popen, *, timeout_s: int = 20) -> None:
    """SIGTERM to the server's session, SIGKILL when it has not stopped within `timeout_s`."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


# --- timing ----------------------------------------------------------------------------------
def cpu_busy() -> tuple[int, int]:
    """The machine's busy and total CPU ticks so far (/proc/stat): two readings give how busy
    all cores were in between."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)
