"""deploy/: the nginx site as nginx itself reads it, the systemd units as systemd reads them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from threehours.testing.cluster import Cluster, nginx_binary, render_site

ROOT = Path(__file__).resolve().parents[3]
SYSTEMD = ROOT / "deploy" / "systemd"


def _cluster(tmp_path: Path) -> Cluster:
    cluster = Cluster(
        database_url="postgres://postgres@127.0.0.1:5432/unused",
        redis_url="redis://127.0.0.1:6379/15",
        directory=tmp_path,
        nodes=3,
    )
    cluster.node_ports = [18001, 18002, 18003]
    cluster._nginx_port, cluster._https_port = 18080, 18443
    return cluster


@pytest.mark.skipif(nginx_binary() is None, reason="needs nginx (apt-get install nginx)")
def test_the_generated_nginx_configuration_passes_nginx_t(tmp_path):
    cluster = _cluster(tmp_path)
    cluster.write_nginx_config()
    output = cluster.check_nginx_config()
    assert "test is successful" in output
    site = (tmp_path / "nginx" / "threehours.conf").read_text()
    assert site.count("max_fails=2 fail_timeout=5s;") == 3
    assert "least_conn;" in site


def test_every_placeholder_is_filled_and_posts_are_never_retried_blindly(tmp_path):
    site, locations = render_site(
        nodes=["10.0.0.1:8000", "10.0.0.2:8000"],
        listen="80",
        server_name="example.org",
        static_root=Path("/srv/threehours/static"),
        media_root=Path("/srv/threehours/media"),
        locations_file=Path("/etc/nginx/threehours-locations.conf"),
        proxy_file=Path("/etc/nginx/threehours-proxy.conf"),
    )
    lines = [line for line in (site + locations).splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in lines if "@@" in line]
    assert "alias /srv/threehours/static/;" in locations
    proxy = (ROOT / "deploy" / "nginx" / "threehours-proxy.conf").read_text()
    retry = [line for line in proxy.splitlines() if line.startswith("proxy_next_upstream ")]
    assert retry == ["proxy_next_upstream error timeout http_502 http_503;"]
    assert "non_idempotent" not in retry[0]
    assert "location /private/ {\n    return 404;" in locations


def test_nginx_takes_uploads_as_large_as_the_app_does(settings):
    """client_max_body_size must not be below what Django accepts (a 413 from nginx for an
    upload the app allows), nor far above it."""
    locations = (ROOT / "deploy" / "nginx" / "threehours-locations.conf").read_text()
    size_mb = int(locations.split("client_max_body_size ")[1].split("m;")[0])
    app_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    assert app_mb <= size_mb <= app_mb + 2


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (systemd)"
)
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    # verify resolves ExecStart= binaries; the units name /opt/threehours/.venv/bin/threehours,
    # so the check runs on copies that point at a binary that exists here.
    units = []
    for unit in ("threehours-web@.service", "threehours-worker.service"):
        text = (SYSTEMD / unit).read_text()
        text = text.replace("/opt/threehours/.venv/bin/threehours", "/bin/true")
        (tmp_path / unit).write_text(text)
        units.append(tmp_path / unit)
    instance = tmp_path / "threehours-web@8001.service"
    instance.symlink_to(tmp_path / "threehours-web@.service")
    done = subprocess.run(
        ["systemd-analyze", "verify", str(instance), str(units[1])],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        # A container without systemd running, or without the dedicated user, says so; neither
        # is a fault in the unit files.
        if line.strip() and "threehours" in line and "User" not in line
    ]
    assert done.returncode == 0 or not problems, done.stdout + done.stderr
    assert not problems, "\n".join(problems)
