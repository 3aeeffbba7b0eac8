"""How fast is this host today? A hello-world WSGI app under granian, loaded by wrk.

    uv run python bench/calibrate.py            # ≈ 15 s

The shared 2-core machines differ from day to day (on 2026-12-01 the same check-in code ran at
403–658/s as the host's other tenants came and went; bench/README.md). Run this before a
benchmark and write its figure beside the benchmark's: runs compare only on hosts that answer
alike here. Same server shape as `threehours serve --workers 2` (2 granian workers, 2 Python
threads each) and the same load shape as bench/checkin_burst.py (wrk, 2 threads, 32
connections); no Django, no database.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APP = """\
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"granian did not listen on {port} within {timeout:.0f} s")


def wrk(port: int, seconds: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", f"http://127.0.0.1:{port}/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise SystemExit(f"no rate in wrk's output:\n{out}")
    return float(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    granian = Path(sys.executable).with_name("granian")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="threehours-calibrate-") as tmp:
        Path(tmp, "hello.py").write_text(APP)
        server = subprocess.Popen(
            [str(granian), "--interface", "wsgi", "--workers", "2", "--blocking-threads", "2"]
            + ["--host", "127.0.0.1", "--port", str(port), "hello:application"],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_listening(port)
            wrk(port, 2)  # warm-up
            rate = wrk(port, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=10)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"hello-world under granian: {rate:,.0f} requests/s (wrk -t2 -c32, load {load})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
