"""The local cluster as a pytest fixture, started once per test session (PostgreSQL pass).

    from threehours.testing.cluster_fixtures import cluster  # noqa: F401  (the fixture)

    @pytest.mark.postgres
    def test_something(cluster):
        urllib.request.urlopen(cluster.url + "/healthz")

The cluster runs on a database of its own beside the test database (`<name>_cluster`, made
afresh at the session's start: the nodes see only committed rows, never a test's transaction)
and on the Redis database THREEHOURS_TEST_CLUSTER_REDIS_URL (default redis://127.0.0.1:6379/15,
flushed at the start). Put data in with `cluster.manage("demo_data", "--force")`, or through
the HTTP API, or by connecting to `cluster.database_url`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from threehours.testing.cluster import Cluster, nginx_binary

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def cluster_database_url(database_url: str) -> str:
    """The test run's DATABASE_URL with the database `<name>_cluster`, dropped and made again."""
    import psycopg

    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/') or 'threehours'}_cluster"
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise RuntimeError(f"refusing to drop a database named {name!r}")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path=f"/{name}"))


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@pytest.fixture(scope="session")
def cluster():
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL)")
    if nginx_binary() is None:
        pytest.fail("the cluster tests need Debian's nginx (apt-get install nginx; CI installs it)")
    redis_url = os.environ.get("THREEHOURS_TEST_CLUSTER_REDIS_URL", DEFAULT_REDIS_URL)
    _flush_redis(redis_url)
    directory = Path(tempfile.mkdtemp(prefix="threehours-cluster-"))
    running = Cluster(
        database_url=cluster_database_url(database_url),
        redis_url=redis_url,
        directory=directory,
        nodes=2,
        workers=1,
    )
    running.up()
    try:
        yield running
    finally:
        running.down()
        shutil.rmtree(directory, ignore_errors=True)
