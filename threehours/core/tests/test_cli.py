"""`threehours serve`: the gunicorn command it runs."""

import argparse

import pytest

from threehours import cli


@pytest.fixture
def serve_command(monkeypatch):
    ran: list[list[str]] = []
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: None)
    monkeypatch.setattr(cli.os, "execv", lambda path, command: ran.append(command))

    def run(**overrides) -> list[str]:
        args = argparse.Namespace(migrate=False, workers=None, bind=None, access_log=False)
        for key, value in overrides.items():
            setattr(args, key, value)
        cli.serve(args)
        return ran[-1]

    return run


def test_serve_gives_each_worker_its_own_socket_and_keeps_no_access_log(serve_command, settings):
    settings.DEBUG = False
    command = serve_command(workers=3)
    assert command[command.index("--workers") + 1] == "3"
    assert "--reuse-port" in command
    assert "--access-logfile" not in command


def test_serve_can_share_one_socket_and_log_access(serve_command, settings):
    settings.DEBUG = False
    settings.SERVE_REUSE_PORT = False
    command = serve_command(access_log=True)
    assert "--reuse-port" not in command
    assert command[command.index("--access-logfile") + 1] == "-"
