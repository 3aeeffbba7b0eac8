"""The deployment kit on one machine (deploy/local-cluster): Debian's nginx in front of two
`threehours serve` nodes and a worker, on PostgreSQL and Redis. PostgreSQL pass only."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from email.message import Message

import pytest

from threehours.testing.cluster_fixtures import cluster  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get(url: str, **headers: str) -> tuple[int, Message, bytes]:
    """(status, headers (names in any case: granian sends them lower-case), body)."""
    request = urllib.request.Request(url, headers={"Accept-Language": "en", **headers})
    try:
        with _opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def demo(cluster):  # noqa: F811
    cluster.manage("demo_data", "--force")
    return cluster


def test_the_demo_and_an_activity_page_come_through_nginx_from_both_nodes(demo):
    status, headers, body = get(demo.url + "/")
    assert status == 200
    assert headers["Server"] == "nginx"
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"]), "nginx names each request"
    ids = re.findall(rb'href="/activities/(\d+)/"', body) or re.findall(
        rb"/activities/(\d+)/", get(demo.url + "/activities/")[2]
    )
    assert ids, "the demo lists activities"
    status, _, page = get(f"{demo.url}/activities/{ids[0].decode()}/")
    assert status == 200
    assert b"<html" in page
    # Both nodes serve the same database: the same page straight from each.
    for node in demo.node_urls:
        assert get(f"{node}/activities/{ids[0].decode()}/")[0] == 200


def test_a_clients_request_id_is_passed_on_and_returned(cluster):  # noqa: F811
    status, headers, _ = get(cluster.url + "/healthz", **{"X-Request-ID": "abc-123"})
    assert status == 200
    assert headers["X-Request-ID"] == "abc-123"
    assert json.loads(get(cluster.url + "/healthz")[2]) == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
    }


def test_static_files_come_from_nginx_with_a_years_immutable_cache(cluster):  # noqa: F811
    manifest = json.loads((cluster.static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/app.css"]
    assert hashed != "css/app.css", "the build names files by their content"
    status, headers, body = get(f"{cluster.url}/static/{hashed}", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["X-Served-By"] == "nginx-static", "nginx served it, not a node"
    assert headers.get("Content-Encoding") == "gzip"
    assert get(f"{cluster.url}/static/no-such-file.css")[0] == 404


def test_private_files_are_never_served_by_nginx_public_media_is(cluster):  # noqa: F811
    (cluster.private_media_root / "scans").mkdir(parents=True, exist_ok=True)
    (cluster.private_media_root / "scans" / "id-card.txt").write_text("secret")
    cluster.media_root.mkdir(parents=True, exist_ok=True)
    (cluster.media_root / "logo.txt").write_text("public")

    status, headers, body = get(cluster.url + "/media/logo.txt")
    assert (status, body) == (200, b"public")
    assert headers["X-Content-Type-Options"] == "nosniff"
    for path in (
        "/private/scans/id-card.txt",
        "/media/private/scans/id-card.txt",
        "/media/../private/scans/id-card.txt",
        "/media/scans/id-card.txt",
        "/media/%2e%2e/private/scans/id-card.txt",
    ):
        status, _, body = get(cluster.url + path)
        assert status in (400, 404), path
        assert b"secret" not in body, path


def test_django_sees_https_only_when_nginx_says_so(cluster):  # noqa: F811
    """Behind TLS termination nginx sends X-Forwarded-Proto: https and Django takes the request
    as secure (HSTS appears); a client's own X-Forwarded-Proto on plain HTTP is overwritten."""
    status, headers, _ = get(cluster.https_url + "/")
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=60")
    status, headers, _ = get(cluster.url + "/", **{"X-Forwarded-Proto": "https"})
    assert status == 200
    assert "Strict-Transport-Security" not in headers


def test_a_node_down_is_skipped_for_reads(cluster):  # noqa: F811
    """Passive health: with one node killed, nginx passes GETs to the other; the node comes
    back on the same port."""
    cluster.kill_node(1)
    try:
        for _ in range(6):
            assert get(cluster.url + "/healthz")[0] == 200
    finally:
        cluster.start_node(1)
    assert get(cluster.node_urls[1] + "/healthz")[0] == 200
