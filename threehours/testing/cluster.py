"""A production-shaped cluster on one machine: Debian's nginx in front of N `threehours serve`
nodes, M `threehours worker` processes, one PostgreSQL database and Redis.

Used by `deploy/local-cluster` (a person trying the deployment kit), by the PostgreSQL pass's
integration tests (threehours/testing/cluster_fixtures.py) and by the benchmarks. Everything it
writes is under `directory`: the generated nginx configuration and its logs, the nodes' logs,
the shared media and private media, the build output, the keys, and `state.json` (what runs).

The nginx configuration is deploy/nginx/*.conf with its placeholders filled: what is tested is
what is deployed.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
NGINX_DIR = DEPLOY / "nginx"
NGINX_BINARIES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
STATE_FILE = "state.json"


class ClusterError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_binary() -> str | None:
    for path in NGINX_BINARIES:
        if os.access(path, os.X_OK):
            return path
    return None


def render_site(
    *,
    nodes: list[str],
    listen: str,
    server_name: str,
    static_root: Path,
    media_root: Path,
    locations_file: Path,
    proxy_file: Path,
    extra_servers: str = "",
    max_fails: int = 2,
    fail_timeout: str = "5s",
) -> tuple[str, str]:
    """deploy/nginx/threehours.conf and threehours-locations.conf with their placeholders
    filled: (site, locations)."""
    upstream = "\n".join(
        f"    server {node} max_fails={max_fails} fail_timeout={fail_timeout};" for node in nodes
    )
    site = (NGINX_DIR / "threehours.conf").read_text()
    locations = (NGINX_DIR / "threehours-locations.conf").read_text()
    values = {
        "UPSTREAM_SERVERS": upstream,
        "LISTEN": listen,
        "SERVER_NAME": server_name,
        "STATIC_ROOT": str(static_root).rstrip("/"),
        "MEDIA_ROOT": str(media_root).rstrip("/"),
        "LOCATIONS_FILE": str(locations_file),
        "PROXY_FILE": str(proxy_file),
        "EXTRA_SERVERS": extra_servers,
    }
    for name, value in values.items():
        site = site.replace(f"@@{name}@@", value)
        locations = locations.replace(f"@@{name}@@", value)
    for text in (site, locations):
        # The comment lines name the placeholders; a line of configuration must not keep one.
        for line in text.splitlines():
            if "@@" in line and not line.lstrip().startswith("#"):
                raise ClusterError(f"unfilled placeholder in: {line.strip()}")
    return site, locations


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (ended, not yet reaped by its parent) is not alive.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class Cluster:
    """nginx + `nodes` web nodes + `workers` job workers, all under `directory`.

    `up()` migrates the database and builds the static files once, then starts everything and
    waits until nginx and every node answer /healthz. `down()` stops what runs (SIGTERM to each
    process group, SIGKILL after a grace period); idempotent. Each process runs in a session of
    its own, so `kill_node(i)` kills the node's server with all its workers."""

    def __init__(
        self,
        *,
        database_url: str,
        redis_url: str,
        directory: Path,
        nodes: int = 2,
        workers: int = 1,
        env: dict[str, str] | None = None,
        web_workers: int = 1,
        startup_timeout_s: float = 60,
    ) -> None:
        if nodes < 1:
            raise ClusterError("a cluster needs at least one web node")
        self.database_url = database_url
        self.redis_url = redis_url
        self.directory = Path(directory).resolve()
        self.nodes = nodes
        self.workers = workers
        self.extra_env = dict(env or {})
        self.web_workers = web_workers
        self.startup_timeout_s = startup_timeout_s
        self.url = ""
        self.https_url = ""  # nginx's stand-in for TLS termination (X-Forwarded-Proto: https)
        self.node_urls: list[str] = []
        self.node_ports: list[int] = []
        self.node_pids: list[int] = []
        self.worker_pids: list[int] = []
        self.nginx_pid = 0
        self._procs: dict[int, subprocess.Popen] = {}
        self._nginx_port = 0
        self._https_port = 0

    # --- paths -----------------------------------------------------------------------------
    @property
    def static_root(self) -> Path:
        return self.directory / "static"

    @property
    def media_root(self) -> Path:
        return self.directory / "media"

    @property
    def private_media_root(self) -> Path:
        return self.directory / "private"

    @property
    def log_dir(self) -> Path:
        return self.directory / "logs"

    @property
    def nginx_prefix(self) -> Path:
        return self.directory / "nginx"

    @property
    def nginx_conf(self) -> Path:
        return self.nginx_prefix / "nginx.conf"

    def node_log(self, i: int) -> Path:
        return self.log_dir / f"node-{i}.log"

    def worker_log(self, i: int) -> Path:
        return self.log_dir / f"worker-{i}.log"

    # --- environment -----------------------------------------------------------------------
    def _secret(self, name: str, make) -> str:
        path = self.directory / "keys" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.parent.chmod(0o700)
            path.write_text(make())
            path.chmod(0o600)
        return path.read_text().strip()

    def environment(self) -> dict[str, str]:
        """What every node and worker runs with: the same keys, database, Redis and shared
        media; production settings (no debug) except the HTTPS redirect and secure cookies,
        since the cluster speaks plain HTTP on 127.0.0.1."""
        from cryptography.fernet import Fernet

        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("THREEHOURS_", "DJANGO_", "DATABASE_", "REDIS_", "PYTEST"))
        }
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "THREEHOURS_DEBUG": "false",
                "THREEHOURS_SECRET_KEY": self._secret(
                    "secret_key", lambda: secrets.token_urlsafe(50)
                ),
                "THREEHOURS_FIELD_ENCRYPTION_KEYS": self._secret(
                    "field_encryption_keys", lambda: Fernet.generate_key().decode()
                ),
                "THREEHOURS_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "THREEHOURS_VAR_DIR": str(self.directory / "var"),
                "THREEHOURS_STATIC_ROOT": str(self.static_root),
                "THREEHOURS_MEDIA_ROOT": str(self.media_root),
                "THREEHOURS_PRIVATE_MEDIA_ROOT": str(self.private_media_root),
                "THREEHOURS_SSL_REDIRECT": "false",
                "THREEHOURS_SECURE_COOKIES": "false",
                # Short, so that a test sees the header on requests nginx marks as HTTPS.
                "THREEHOURS_HSTS_SECONDS": "60",
                "THREEHOURS_SITE_URL": self.url or "http://127.0.0.1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def _run(self, *args: str, log_name: str) -> None:
        log = self.log_dir / log_name
        with log.open("a") as out:
            done = subprocess.run(  # noqa: S603 (our interpreter, fixed arguments)
                [sys.executable, "-m", "threehours.cli", *args],
                cwd=REPO,
                env=self.environment(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if done.returncode != 0:
            command = " ".join(args)
            raise ClusterError(f"`threehours {command}` failed ({done.returncode}):\n{_tail(log)}")

    def manage(self, *args: str) -> str:
        """`threehours manage …` with the cluster's environment (its database, keys, media):
        the command's output. ClusterError when it fails."""
        done = subprocess.run(  # noqa: S603 (our interpreter, fixed arguments)
            [sys.executable, "-m", "threehours.cli", "manage", *args],
            cwd=REPO,
            env=self.environment(),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            command = " ".join(args)
            raise ClusterError(f"`threehours manage {command}` failed:\n{done.stderr[-4000:]}")
        return done.stdout

    # --- nginx configuration ---------------------------------------------------------------
    def write_nginx_config(self) -> Path:
        """nginx.conf (the main context, everything under the prefix) around the deploy/
        site file, for `nginx -p PREFIX -c nginx.conf`."""
        prefix = self.nginx_prefix
        for sub in ("temp", "logs"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        locations_file = prefix / "threehours-locations.conf"
        proxy_file = prefix / "threehours-proxy.conf"
        # The stand-in for the TLS server: what nginx passes on when it terminated TLS.
        https_standin = (
            "\n# Local cluster only: a plain port that passes X-Forwarded-Proto: https, standing\n"
            "# in for the TLS server (no certificate on a test machine).\n"
            "server {\n"
            f"    listen 127.0.0.1:{self._https_port};\n"
            "    server_name _;\n"
            "    set $threehours_proto https;\n"
            f"    include {locations_file};\n"
            "}\n"
        )
        site, locations = render_site(
            nodes=[f"127.0.0.1:{port}" for port in self.node_ports],
            listen=f"127.0.0.1:{self._nginx_port}",
            server_name="127.0.0.1 localhost",
            static_root=self.static_root,
            media_root=self.media_root,
            locations_file=locations_file,
            proxy_file=proxy_file,
            extra_servers=https_standin,
        )
        (prefix / "threehours.conf").write_text(site)
        locations_file.write_text(locations)
        proxy_file.write_text((NGINX_DIR / "threehours-proxy.conf").read_text())
        temp = prefix / "temp"
        # As root, nginx's workers would switch to `nobody`, who cannot read a private test
        # directory; the local cluster keeps them as the user who started it.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        main = (
            f"# Generated by threehours/testing/cluster.py for the local cluster.\n"
            f"{user}"
            "worker_processes 1;\n"
            "daemon off;\n"
            f"pid {prefix / 'nginx.pid'};\n"
            f"error_log {prefix / 'logs' / 'error.log'} warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            "    include /etc/nginx/mime.types;\n"
            "    default_type application/octet-stream;\n"
            "    sendfile on;\n"
            "    tcp_nopush on;\n"
            "    keepalive_timeout 65;\n"
            "    server_tokens off;\n"
            f"    client_body_temp_path {temp / 'body'};\n"
            f"    proxy_temp_path {temp / 'proxy'};\n"
            f"    fastcgi_temp_path {temp / 'fastcgi'};\n"
            f"    uwsgi_temp_path {temp / 'uwsgi'};\n"
            f"    scgi_temp_path {temp / 'scgi'};\n"
            f"    include {prefix / 'threehours.conf'};\n"
            f"    access_log {prefix / 'logs' / 'access.log'} threehours_json;\n"
            "}\n"
        )
        self.nginx_conf.write_text(main)
        return self.nginx_conf

    def check_nginx_config(self) -> str:
        """`nginx -t` on the generated configuration: its output; ClusterError when it fails."""
        binary = nginx_binary()
        if binary is None:
            raise ClusterError("nginx is not installed (Debian: apt-get install nginx)")
        done = subprocess.run(  # noqa: S603 (nginx, fixed arguments)
            [binary, "-t", "-p", f"{self.nginx_prefix}/", "-c", str(self.nginx_conf)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise ClusterError(f"nginx -t failed:\n{done.stderr}")
        return done.stderr

    # --- lifecycle -------------------------------------------------------------------------
    def prepare(self) -> None:
        """Directories, the database's migrations and the build (once: skipped when done)."""
        for path in (self.directory, self.log_dir, self.media_root, self.private_media_root):
            path.mkdir(parents=True, exist_ok=True)
        self._run("manage", "migrate", "--no-input", "-v", "0", log_name="prepare.log")
        if not (self.static_root / "staticfiles.json").exists():
            self._run("build", log_name="prepare.log")

    def up(self) -> None:
        if nginx_binary() is None:
            raise ClusterError("nginx is not installed (Debian: apt-get install nginx)")
        self._nginx_port = self._nginx_port or free_port()
        self._https_port = self._https_port or free_port()
        self.url = f"http://127.0.0.1:{self._nginx_port}"
        self.https_url = f"http://127.0.0.1:{self._https_port}"
        if not self.node_ports:
            self.node_ports = [free_port() for _ in range(self.nodes)]
        self.node_urls = [f"http://127.0.0.1:{port}" for port in self.node_ports]
        self.node_pids = [0] * self.nodes
        self.worker_pids = [0] * self.workers
        self.prepare()
        try:
            for i in range(self.nodes):
                self._spawn_node(i)
            for i in range(self.workers):
                self.start_worker(i)
            self.write_nginx_config()
            self.check_nginx_config()
            self._start_nginx()
            for i in range(self.nodes):
                self._wait_node(i)
            self._wait_healthy(self.url, what="nginx", log=self.nginx_prefix / "logs/error.log")
        except BaseException:
            self.down()
            raise
        self.save_state()

    def _spawn(self, command: list[str], log: Path) -> subprocess.Popen:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            proc = subprocess.Popen(  # noqa: S603 (our interpreter or nginx, no shell)
                command,
                cwd=REPO,
                env=self.environment(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._procs[proc.pid] = proc
        return proc

    def _spawn_node(self, i: int) -> None:
        command = [sys.executable, "-m", "threehours.cli", "serve", "--workers"]
        command += [str(self.web_workers), "--bind", f"127.0.0.1:{self.node_ports[i]}"]
        self.node_pids[i] = self._spawn(command, self.node_log(i)).pid

    def start_node(self, i: int) -> None:
        """Start node `i` again (on its port) and wait until it answers."""
        if _alive(self.node_pids[i]):
            return
        self._spawn_node(i)
        self._wait_node(i)
        self.save_state()

    def _wait_node(self, i: int) -> None:
        self._wait_healthy(
            self.node_urls[i], what=f"node {i}", log=self.node_log(i), pid=self.node_pids[i]
        )

    def start_worker(self, i: int) -> None:
        if _alive(self.worker_pids[i]):
            return
        command = [sys.executable, "-m", "threehours.cli", "worker"]
        self.worker_pids[i] = self._spawn(command, self.worker_log(i)).pid
        self.save_state()

    def _start_nginx(self) -> None:
        command = [nginx_binary() or "nginx", "-p", f"{self.nginx_prefix}/", "-c"]
        command.append(str(self.nginx_conf))
        self.nginx_pid = self._spawn(command, self.log_dir / "nginx.log").pid

    def _wait_healthy(self, url: str, *, what: str, log: Path, pid: int | None = None) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if pid is not None and not _alive(pid):
                raise ClusterError(f"{what} stopped at start:\n{_tail(log)}")
            try:
                health = f"{url}/healthz"  # http://127.0.0.1:<port>, ours
                with urllib.request.urlopen(health, timeout=5) as response:  # noqa: S310
                    body = json.loads(response.read())
                    if response.status == 200 and body.get("redis") == "ok":
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                pass
            time.sleep(0.2)
        raise ClusterError(f"{what} did not answer {url}/healthz in time:\n{_tail(log)}")

    def kill_node(self, i: int, sig: int = signal.SIGKILL) -> None:
        self._signal_group(self.node_pids[i], sig)
        if sig == signal.SIGKILL:
            self._reap(self.node_pids[i])

    def kill_worker(self, i: int, sig: int = signal.SIGKILL) -> None:
        self._signal_group(self.worker_pids[i], sig)
        if sig == signal.SIGKILL:
            self._reap(self.worker_pids[i])

    def _signal_group(self, pid: int, sig: int) -> None:
        if not pid:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)

    def _reap(self, pid: int, timeout_s: float = 10) -> bool:
        """Wait until `pid` has ended (reaping it when this process started it)."""
        proc = self._procs.get(pid)
        if proc is not None:
            try:
                proc.wait(timeout=timeout_s)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout_s
        while _alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def down(self, grace_s: float = 15) -> None:
        """SIGTERM to nginx, the nodes and the workers (each process group), SIGKILL to what
        has not ended after `grace_s`. Idempotent."""
        pids = [self.nginx_pid, *self.node_pids, *self.worker_pids]
        pids = [pid for pid in pids if pid]
        for pid in pids:
            if _alive(pid):
                self._signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for pid in pids:
            if not self._reap(pid, timeout_s=max(0.1, deadline - time.monotonic())):
                self._signal_group(pid, signal.SIGKILL)
                self._reap(pid, timeout_s=5)
        # Whatever a killed server left in its group (granian's workers).
        for pid in pids:
            self._signal_group(pid, signal.SIGKILL)
        self.nginx_pid = 0
        self.node_pids = [0] * len(self.node_pids)
        self.worker_pids = [0] * len(self.worker_pids)
        self.save_state()

    # --- state (for `deploy/local-cluster down|status`) ------------------------------------
    def save_state(self) -> None:
        if not self.directory.exists():
            return
        state = {
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "nodes": self.nodes,
            "workers": self.workers,
            "env": self.extra_env,
            "web_workers": self.web_workers,
            "url": self.url,
            "https_url": self.https_url,
            "node_urls": self.node_urls,
            "node_ports": self.node_ports,
            "node_pids": self.node_pids,
            "worker_pids": self.worker_pids,
            "nginx_pid": self.nginx_pid,
            "nginx_port": self._nginx_port,
            "https_port": self._https_port,
        }
        path = self.directory / STATE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(path)

    @classmethod
    def from_state(cls, directory: Path) -> Cluster:
        path = Path(directory) / STATE_FILE
        if not path.exists():
            raise ClusterError(f"no cluster state in {directory} ({STATE_FILE} is missing)")
        state = json.loads(path.read_text())
        cluster = cls(
            database_url=state["database_url"],
            redis_url=state["redis_url"],
            directory=Path(directory),
            nodes=state["nodes"],
            workers=state["workers"],
            env=state.get("env") or {},
            web_workers=state.get("web_workers", 1),
        )
        cluster.url = state["url"]
        cluster.https_url = state.get("https_url", "")
        cluster.node_urls = state["node_urls"]
        cluster.node_ports = state["node_ports"]
        cluster.node_pids = state["node_pids"]
        cluster.worker_pids = state["worker_pids"]
        cluster.nginx_pid = state["nginx_pid"]
        cluster._nginx_port = state.get("nginx_port", 0)
        cluster._https_port = state.get("https_port", 0)
        return cluster

    def status(self) -> dict[str, object]:
        return {
            "url": self.url,
            "nginx": {"pid": self.nginx_pid, "alive": _alive(self.nginx_pid)},
            "nodes": [
                {"url": url, "pid": pid, "alive": _alive(pid)}
                for url, pid in zip(self.node_urls, self.node_pids, strict=False)
            ],
            "workers": [{"pid": pid, "alive": _alive(pid)} for pid in self.worker_pids],
        }

    def __enter__(self) -> Cluster:
        self.up()
        return self

    def __exit__(self, *exc) -> None:
        self.down()


def _tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return f"({path} is missing)"
