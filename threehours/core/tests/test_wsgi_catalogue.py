"""`gunicorn config.wsgi` (or an ASGI server) on a fresh clone, where nothing has compiled the
translations yet, serves Chinese: the server modules compile the catalogues on first import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

WSGI_REQUEST = """
import threehours
from wsgiref.util import setup_testing_defaults
from config.wsgi import application
environ = {"PATH_INFO": "/login/", "HTTP_HOST": "127.0.0.1"}
setup_testing_defaults(environ)
status = []
body = b"".join(application(environ, lambda s, h, *a: status.append(s)))
print(threehours.__file__)
print(status[0])
print(body.decode())
"""

ASGI_REQUEST = """
import asyncio
import threehours
from config.asgi import application

async def main():
    sent = []
    scope = {"type": "http", "method": "GET", "path": "/login/", "raw_path": b"/login/",
             "query_string": b"", "headers": [(b"host", b"127.0.0.1")],
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000), "scheme": "http",
             "root_path": "", "http_version": "1.1", "asgi": {"version": "3.0"}}
    requests = [{"type": "http.request", "body": b"", "more_body": False}]
    async def receive():
        if requests:
            return requests.pop()
        await asyncio.Future()  # the client stays connected
    async def send(message):
        sent.append(message)
    await application(scope, receive, send)
    print(threehours.__file__)
    print(sent[0]["status"])
    print(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body").decode())

asyncio.run(main())
"""


@pytest.fixture
def fresh_clone(tmp_path) -> Path:
    """The project's sources as a clone has them: no compiled .mo anywhere."""
    clone = tmp_path / "clone"
    ignore = shutil.ignore_patterns("*.mo", "*.mo.*", "__pycache__")
    for name in ["config", "threehours"]:
        shutil.copytree(ROOT / name, clone / name, ignore=ignore)
    assert not list(clone.rglob("*.mo"))
    return clone


def _run(clone: Path, script: str, var: Path) -> list[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("THREEHOURS_")
        and name not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(THREEHOURS_DEBUG="true", THREEHOURS_VAR_DIR=str(var), PYTHONPATH=str(clone))
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("script", [WSGI_REQUEST, ASGI_REQUEST], ids=["wsgi", "asgi"])
def test_the_server_modules_compile_the_catalogue_and_serve_chinese(fresh_clone, tmp_path, script):
    module_file, status, *body = _run(fresh_clone, script, tmp_path / "var")

    assert Path(module_file).is_relative_to(fresh_clone)  # the clone's code, not the worktree's
    assert status.startswith("200")
    page = "\n".join(body)
    assert 'lang="zh-hans"' in page
    assert "手机号" in page and "Phone number" not in page
    assert (fresh_clone / "threehours/locale/zh_Hans/LC_MESSAGES/django.mo").exists()


def test_a_stale_catalogue_is_compiled_again(fresh_clone, tmp_path):
    po = fresh_clone / "threehours/locale/zh_Hans/LC_MESSAGES/django.po"
    _run(fresh_clone, WSGI_REQUEST, tmp_path / "var")
    mo = po.with_suffix(".mo")
    os.utime(mo, (po.stat().st_mtime - 60,) * 2)  # the .po was edited after the last compile
    before = mo.stat().st_mtime

    _run(fresh_clone, WSGI_REQUEST, tmp_path / "var")

    assert mo.stat().st_mtime > before
