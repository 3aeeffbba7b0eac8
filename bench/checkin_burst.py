"""Check-in burst (issue #6): 1,000 accepted registrants of one activity check in within one
burst from 32 concurrent clients through the real server on PostgreSQL, then check out.

    uv run python bench/checkin_burst.py                 # ≈ 1 minute on 2 cores, after any wait
    uv run python bench/checkin_burst.py --py-spy        # also profile the workers (uvx py-spy)
    uv run python bench/checkin_burst.py --volunteers 200 --connections 16
    uv run python bench/checkin_burst.py --via page     # the phone's page instead of the API
    uv run python bench/checkin_burst.py --proof code   # the day's 4-digit code, not the QR
    uv run python bench/checkin_burst.py --checkout ../wt-old   # another checkout's code
    uv run python bench/checkin_burst.py --cluster      # through nginx to two nodes (issue #17)

Steps: wait until no other benchmark runs (wrk, `threehours serve`/granian, another bench/*.py;
poll every 30 s, up to 20 min) and print the load average (before the bursts it also waits up to
5 min for other engineers' pytest runs, and names whatever still runs beside each phase);
(re)create the database `threehours_bench_checkin` on 127.0.0.1:5432 (user postgres, trust) and
migrate it; create an
approved organisation, an offline activity for TODAY (Asia/Shanghai) through
activities.services.activity_create/activity_publish, with the daily window check-in = now − 2 h
(whole hour) to check-out = now + 1 h (next 5 minutes) so that "now" lies inside it; 1,000
volunteers with a bound phone and an API token (accounts.services.token_issue) and confirmed
registrations, bulk-created with activity.places_taken set to match (faster than 1,000
signup_create calls, which would also queue 1,000 notifications).

Queries: one extra registrant checks in and out through Django's test Client against the bench
database under CaptureQueriesContext; every statement is printed and counted without
SAVEPOINT/RELEASE but with BEGIN/COMMIT (round trips too; as bench/registration_rush.py counts);
the count without BEGIN/COMMIT, as signups/tests/test_api.py counts, is printed beside it.

Load: `threehours serve --workers 2` (granian, 2 Python threads per worker as configured) on a
free port with THREEHOURS_CHECKIN_QR_SECONDS=600, so one QR token, made here with the server's
THREEHOURS_SECRET_KEY by attendance.codes.qr_token_make, stays valid for the whole run (valid for
2 × 600 s). wrk (Debian) with a Lua script written next to the run: 32 connections on 2 threads,
each thread a disjoint slice of the volunteers, every token used exactly once per phase (a
connection with nothing left to send goes idle), the thread stops after its slice's last
response and this script ends wrk (SIGINT) once every thread reported, so wrk's duration is the
burst's. Phase 1 POSTs /checkin, phase 2 /checkout (the proof, see --proof, + a position 0–60 m
from the meeting point, GCJ-02). Between the phases every attendance's check-in time is moved
back by 6–200 minutes with one UPDATE, standing in for the time volunteers serve: checking out
seconds after checking in credits 0.0 h and writes no ledger entry, which would leave nothing
to verify.
Before each phase the tokens' last-used time is set an hour back, as for phones on the day, so
each request also pays token_authenticate's last-used write (it writes when older than 5 min).

--via page: the same volunteers as phones that scanned the QR code and use the check-in page
(what most do; the API is the mini-program's): each has a session made as a login makes it
(with Redis: stored in the database and in Redis) and a CSRF cookie, and three phases run: the
form's check-in POST (302), the page it redirects to (GET, 200), the check-out POST (302);
positions are sent in WGS-84 as a browser gives them. The issue's targets are for the API;
they are printed for the page too.

--proof qr (the default) or code: what every check-in and check-out (and the warm-up and the
query count) sends as proof of presence. qr: the QR token above (API `qr_token`, page `t` as
from the scanned URL). code: the activity day's 4-digit code, attendance.codes.day_code(activity
id, day) made here with the server's THREEHOURS_SECRET_KEY like the QR token (API `code`
instead of `qr_token`; page: the form's `code` field with an empty `t`, as typed into a page
opened without a token). The service checks a code differently (it also counts the day's wrong
codes), so the two are measured separately; the proof is printed in the header, above each
statement list, in the summary and beside the targets.

--checkout PATH: run the code of another checkout, e.g. a worktree of the commit before a
change, with this script. The script runs itself again as `uv run --directory PATH --frozen
python <this file> …` with THREEHOURS_BENCH_CHECKOUT=PATH, so that everything that imports
the project — migrations, the data, the query count, `threehours serve`, verify_ledger — uses
that checkout's code and environment (its own .venv, made by uv on first use). The checkout
must have what this script imports from the project (attendance.codes, attendance.rules,
core.timeutil, core.geo, the services it calls); a commit without one of them fails at that
import. The header and the summary name the checkout and its commit.

--families N: the family check-in of issue #14 instead: N guardians, each with 2 children
(guarded accounts under a current guardianship) on one confirmed family registration of 3
places, at a parent-child activity. Each family, one client at a time (--connections clients
at once, Python threads here, not wrk), does what a guardian's phone does: the guardian's own
check-in (API, JSON, the proof above and a position), then each child's check-in (API,
multipart: the proof, the position and one JPEG photo generated with Pillow, the same photo
for both children, as one picture shows the whole family). Printed: families/s (families
over the wall time of the burst), each family's latency (p50/p90/p99/max, its three requests
end to end) and each request kind's; verified: 3 attendance rows per family, one ChildPhoto
per child check-in with its file in the private storage, no attempt refused.

--cluster: the same burst through Debian's nginx to two `threehours serve` nodes of
--workers / 2 processes each (the local cluster of issue #17, threehours/testing/cluster.py,
nginx configured from deploy/nginx/), instead of one server direct. The CPU per request also
counts nginx's processes (master and worker, /proc) and prints their share of what the run took.

CPU: wrk's own share (wait4 rusage over wall time × cores), and per request the CPU seconds of
the server's processes and of PostgreSQL (/proc/<pid>/stat), which bound the rate the 2 cores
allow whatever else runs; with --py-spy, the workers' GIL-holding samples by package and frame.

Verification: every registrant has exactly one attendance row, checked in and out, and exactly
one ledger credit whose hours equal attendance.rules.credited_hours() of the times the database
recorded (and the attendance's own hours); `threehours manage verify_ledger` runs against the
bench database. Targets: ≥ 500 check-ins/s, p99 ≤ 100 ms, ≤ 6 SQL queries per check-in.
Exit status 1 when a target is missed or the verification fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import harness
from harness import (
    cpu_busy,
    django_setup,
    free_port,
    log,
    ms,
    recreate_database,
    stop_server,
)

# The checkout whose code runs: this script's own, or --checkout's (then this script runs
# again in that checkout's environment with THREEHOURS_BENCH_CHECKOUT set; see main()).
ROOT = Path(
    os.environ.get("THREEHOURS_BENCH_CHECKOUT") or Path(__file__).resolve().parent.parent
).resolve()
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/threehours_bench_checkin"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
TARGET_CHECKINS_PER_S = 500.0
TARGET_P99_MS = 100.0
TARGET_QUERIES = 6
QR_SECONDS = 600
# The meeting point (GCJ-02) in Xuhui, Shanghai, and its check-in radius.
SITE = (Decimal("31.174500"), Decimal("121.460200"))
RADIUS_M = 500
PROOF_NAMES = {"qr": "the QR token", "code": "the day's 4-digit code"}
LOG_PATH = Path(tempfile.gettempdir()) / "threehours-checkin-server.log"
OWN_SERVER: list[int] = []  # the session ids of the server(s) this script started

LUA = r"""
-- Written by bench/checkin_burst.py. Each line of WRK_REQUESTS is "token<TAB>json body"
-- (WRK_MODE=page: "cookie header<TAB>form body", an empty body for a GET of the page).
-- setup() gives every thread a disjoint slice of the lines; every line is sent exactly once;
-- a connection with nothing left to send goes idle (an empty request writes nothing; the server
-- closes it after its 2 s keep-alive and wrk counts a read error and reconnects); after
-- its slice's last response a thread appends its id to WRK_DONE and stops.
local lines = nil
local counter = 0
local threads = {}

function setup(thread)
  if lines == nil then
    lines = {}
    for line in io.lines(os.getenv("WRK_REQUESTS")) do
      if #line > 0 then lines[#lines + 1] = line end
    end
  end
  local n = tonumber(os.getenv("WRK_THREADS"))
  local per = math.ceil(#lines / n)
  thread:set("id", counter)
  thread:set("first", counter * per + 1)
  thread:set("last", math.min(#lines, (counter + 1) * per))
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local path = os.getenv("WRK_PATH")
  local all = {}
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    if #line > 0 then all[#all + 1] = line end
  end
  local page = os.getenv("WRK_MODE") == "page"
  reqs = {}
  for i = first, last do
    local token, body = all[i]:match("^([^\t]+)\t(.*)$")
    if not page then
      reqs[#reqs + 1] = wrk.format("POST", path, {
        ["Authorization"] = "Bearer " .. token,
        ["Content-Type"] = "application/json",
        ["Accept"] = "application/json",
      }, body)
    elseif body == "" then
      -- The phone's page (the "token" is its Cookie header: session and CSRF cookie).
      reqs[#reqs + 1] = wrk.format("GET", path, {["Cookie"] = token})
    else
      reqs[#reqs + 1] = wrk.format("POST", path, {
        ["Cookie"] = token,
        ["Content-Type"] = "application/x-www-form-urlencoded",
      }, body)
    end
  end
  sent, received = 0, 0
  verify_call = id == 0
  statuses = {}
  first_error = ""
end

function request()
  if verify_call then
    -- wrk calls thread 0's request() once before the run to count pipelined requests:
    -- answer it without using up a line.
    verify_call = false
    return reqs[1]
  end
  if sent >= #reqs then
    return ""
  end
  sent = sent + 1
  return reqs[sent]
end

function response(status, headers, body)
  received = received + 1
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if (status < 200 or status > 399) and first_error == "" then
    first_error = key .. " " .. string.sub(body or "", 1, 300)
  end
  if received >= #reqs then
    local f = io.open(os.getenv("WRK_DONE"), "a")
    f:write(id .. "\n")
    f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local counts = {}
  local sent_total = 0
  local errors = {}
  for _, thread in ipairs(threads) do
    sent_total = sent_total + (thread:get("sent") or 0)
    for k, v in pairs(thread:get("statuses") or {}) do
      counts[k] = (counts[k] or 0) + v
    end
    local e = thread:get("first_error")
    if e and e ~= "" then errors[#errors + 1] = e end
  end
  local parts = {}
  for k, v in pairs(counts) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "sent": %d, "duration_us": %d, "statuses": {%s}, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}\n',
    summary.requests, sent_total, summary.duration, table.concat(parts, ", "),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
  for _, e in ipairs(errors) do
    io.write("WRK_ERROR " .. string.gsub(e, "\n", " ") .. "\n")
  end
end
"""


# --- other benchmarks ------------------------------------------------------------------------
def other_benchmarks(*, tests: bool = False) -> list[str]:
    """Command lines of load generators, servers and bench scripts that are not ours (with
    `tests`, of test runs instead: other engineers' pytest takes the same cores)."""
    mine = {os.getpid(), os.getppid()}
    found = []
    own_server = OWN_SERVER[0] if OWN_SERVER else None
    patterns = [["-x", "wrk"], ["-f", "threehours serve"], ["-f", "gunicorn config.wsgi"]]
    patterns.append(["-f", "granian --interface wsgi"])
    patterns.append(["-f", r"bench/[a-z_]+\.py"])
    if tests:
        patterns = [["-f", r"bin/pytest|-m pytest"]]
    for pattern in patterns:
        result = subprocess.run(["pgrep", "-a", *pattern], capture_output=True, text=True)
        for line in result.stdout.splitlines():
            pid, _, command = line.partition(" ")
            if int(pid) in mine or "checkin_burst" in command:
                continue
            try:
                if own_server is not None and os.getsid(int(pid)) in OWN_SERVER:
                    continue
            except ProcessLookupError:
                continue
            found.append(f"{pid} {command[:100]}")
    return found


def wait_until_quiet(max_wait_s: int, poll_s: int = 30, *, tests: bool = False) -> bool:
    what = "test runs" if tests else "benchmarks"
    deadline = time.monotonic() + max_wait_s
    while True:
        busy = other_benchmarks(tests=tests)
        if not busy:
            return True
        if time.monotonic() >= deadline:
            log(f"Other {what} still running after the wait; measuring anyway:")
            log("\n".join(f"  {b}" for b in busy))
            return False
        log(f"Waiting {poll_s} s for other {what} to finish: {'; '.join(busy)}")
        time.sleep(poll_s)


# --- database and Django ---------------------------------------------------------------------
def server_env(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    """The environment of the server, of `verify_ledger` and of this process (same secret, so
    the QR token made here validates there)."""
    from cryptography.fernet import Fernet

    return {
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "THREEHOURS_DEBUG": "false",
        "THREEHOURS_SECRET_KEY": secrets.token_urlsafe(50),
        "THREEHOURS_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "THREEHOURS_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "THREEHOURS_SSL_REDIRECT": "false",
        "THREEHOURS_SECURE_COOKIES": "false",
        "THREEHOURS_HSTS_SECONDS": "0",
        "THREEHOURS_VAR_DIR": str(var_dir),
        "THREEHOURS_LOG_LEVEL": "WARNING",
        "THREEHOURS_CHECKIN_QR_SECONDS": str(QR_SECONDS),
        "THREEHOURS_WEB_WORKERS": str(args.workers),
    }


def activity_window(now: dt.datetime) -> tuple[dt.time, dt.time] | None:
    """Check-in time now − 2 h (whole hour, not before 00:00), check-out time now + 1 h (next
    5 minutes); None when that would cross midnight (the run needs a few minutes)."""
    start = max(now - dt.timedelta(hours=2), now.replace(hour=0, minute=0, second=0))
    end = now + dt.timedelta(hours=1)
    end += dt.timedelta(minutes=(5 - end.minute % 5) % 5)
    if end.date() != now.date() or end.time() > dt.time(23, 55):
        return None
    return start.time().replace(minute=0, second=0, microsecond=0), end.time().replace(
        second=0, microsecond=0
    )


def create_data(
    *, volunteers: int, window: tuple[dt.time, dt.time], first_consent: bool = False
) -> dict:
    """Organisation, today's activity (through the services), volunteers + tokens + confirmed
    registrations. Returns the activity and [(user id, token)], the last one the extra
    registrant for the query count. The volunteers gave the location consent (issue #16 §1)
    at an earlier check-in, unless `first_consent`: then this check-in is their first, and
    each records it (one write more)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from threehours.accounts.models import User
    from threehours.accounts.services import token_issue
    from threehours.activities import services as activity_services
    from threehours.activities.models import Activity
    from threehours.core.timeutil import local_today
    from threehours.orgs.models import Organisation, Region
    from threehours.signups.models import Signup

    now = timezone.now()
    today = local_today()
    district = Region.objects.filter(code="310104").select_related("parent").first()
    if district is None:
        district = (
            Region.objects.filter(level=Region.Level.DISTRICT).select_related("parent").first()
        )
    city = district.parent
    staff = User.objects.create_user(email="bench-checkin@example.org")
    org = Organisation.objects.create(
        name="徐汇滨江志愿者协会",
        category=Organisation.Category.COMMUNITY,
        province_id=city.parent_id,
        city=city,
        district=district,
        address="龙腾大道 2000 号",
        contact_name="王老师",
        contact_phone="13800138000",
        intro="基准测试用组织。",
        state=Organisation.State.APPROVED,
        applicant=staff,
        approved_at=now,
    )
    # One activity may offer at most the organisation's limit of places (default 100).
    Organisation.objects.filter(pk=org.pk).update(places_limit=volunteers + 1)
    org.refresh_from_db()
    data = {
        "title": "徐汇滨江垃圾分类宣传（签到压测）",
        "description_html": "<p>签到压测活动。</p>",
        "start_date": today,
        "end_date": today,
        "checkin_time": window[0].strftime("%H:%M"),
        "checkout_time": window[1].strftime("%H:%M"),
        "places": volunteers + 1,
        "type": "other",
        "form": "offline_community_service",
        "field": "environment",
        "address": "徐汇滨江龙华港桥东侧",
        "district": district.code,
        "lat": SITE[0],
        "lng": SITE[1],
        "checkin_radius_m": RADIUS_M,
        "contact_name": "王老师",
        "contact_phone": "021-64001234",
        "questions": [],
    }
    activity = activity_services.activity_create(org=org, user=staff, data=data)
    activity_services.activity_publish(activity=activity, user=staff)

    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(
            phone=f"139{i:08d}",
            phone_bound_at=now,
            nickname=f"志愿者{i}",
            password=unusable,
        )
        for i in range(volunteers + 1)
    )
    tokens = [(u.pk, token_issue(user=u, name="bench")) for u in users]
    with transaction.atomic():
        Signup.objects.bulk_create(
            Signup(activity=activity, volunteer=u, status=Signup.Status.CONFIRMED) for u in users
        )
        Activity.objects.filter(pk=activity.pk).update(places_taken=len(users))
    if not first_consent:
        from threehours.accounts.consent import consent_record
        from threehours.accounts.models import Consent

        for u in users:
            consent_record(user=u, kind=Consent.Kind.LOCATION)
    activity.refresh_from_db()
    return {"activity": activity, "tokens": tokens, "today": today}


def body_for(index: int, proof: dict[str, str]) -> str:
    """The API's body: the proof (`{"qr_token": …}` or `{"code": …}`) and a position up to
    ~60 m north-east of the meeting point, in GCJ-02 like the mini-program."""
    jitter = Decimal(index % 97) * Decimal("0.000005")
    return json.dumps(
        {
            **proof,
            "lat": float(SITE[0] + jitter),
            "lng": float(SITE[1] + jitter),
            "coord": "gcj02",
            "location_consent": True,  # the separate consent (issue #16 §1)
        }
    )


def page_cookies(user_ids: list[int]) -> dict[int, str]:
    """The phones of the page path are logged in: a session each (the configured session store,
    as a login makes it: with Redis in the database and in Redis) and a CSRF cookie; returns
    each volunteer's Cookie header."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from threehours.accounts.models import User

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # noqa: N806
    cookies = {}
    for user in User.objects.filter(pk__in=user_ids):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        # Django takes the cookie's 32-character secret itself as the form's token.
        csrf = secrets.token_hex(16)
        cookies[user.pk] = (
            f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={csrf}"
        )
    return cookies


def wgs84_site(index: int) -> tuple[float, float]:
    """The position of body_for() as a phone's browser gives it: WGS-84 (the page sends that,
    the server converts; inverted here by fixed-point iteration of the transform)."""
    from threehours.core.geo import wgs84_to_gcj02

    jitter = float(Decimal(index % 97) * Decimal("0.000005"))
    gcj = (float(SITE[0]) + jitter, float(SITE[1]) + jitter)
    lat, lng = gcj
    for _ in range(10):
        got = wgs84_to_gcj02(lat, lng)
        lat, lng = lat - (got[0] - gcj[0]), lng - (got[1] - gcj[1])
    return lat, lng


def page_form(index: int, proof: dict[str, str], action: str, cookie: str) -> str:
    """What the check-in page's form posts: the action, the proof (`{"t": token}`, the QR
    token of the scanned URL, or `{"t": "", "code": …}`, the code typed into a page opened
    without one), the browser's position and accuracy, and the CSRF token (the cookie's
    secret)."""
    from urllib.parse import urlencode

    lat, lng = wgs84_site(index)
    csrf = cookie.rsplit("=", 1)[1]
    return urlencode(
        {
            "csrfmiddlewaretoken": csrf,
            "action": action,
            **proof,
            "lat": f"{lat:.6f}",
            "lng": f"{lng:.6f}",
            "coord": "wgs84",
            "accuracy": "15",
            "location_consent": "on",  # the separate consent (issue #16 §1)
        }
    )


# --- queries per request ---------------------------------------------------------------------
def served_an_hour(activity_id: int, user_id: int) -> None:
    """The registrant checked in an hour ago, as far as the row knows: a check-out credits."""
    from threehours.attendance.models import Attendance

    Attendance.objects.filter(activity_id=activity_id, volunteer_id=user_id).update(
        checked_in_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=60)
    )


def statements(captured) -> list[str]:
    """The SQL of a CaptureQueriesContext without SAVEPOINT/RELEASE (BEGIN/COMMIT stay)."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if not re.match(r"(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)", q["sql"])
    ]


def measure_queries(
    activity_id: int, user_id: int, token: str, proof: dict[str, str]
) -> dict[str, list[str]]:
    """One fresh registrant checks in (and, an hour later as far as the row knows, out) through
    the test Client; the statements of each request, without SAVEPOINT/RELEASE (BEGIN and
    COMMIT stay: they are round trips). As in the bursts, the token was last used an hour ago,
    so each request also writes its last-used time."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    result = {}
    for action in ("checkin", "checkout"):
        if action == "checkout":
            served_an_hour(activity_id, user_id)
        tokens_last_used_earlier([user_id])
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                f"/api/v1/activities/{activity_id}/{action}",
                data=body_for(0, proof),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
        if response.status_code != 200:
            raise SystemExit(f"test Client {action}: {response.status_code} {response.content!r}")
        result[action] = statements(captured)
    return result


def measure_page_queries(
    activity_id: int, user_id: int, cookie: str, proof: dict[str, str], path: str
) -> dict[str, list[str]]:
    """As measure_queries, through the phone's page: the check-in form's POST, the page the
    redirect leads to, and (an hour later as far as the row knows) the check-out's POST. The
    test Client checks CSRF as the server does."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(enforce_csrf_checks=True)
    for part in cookie.split("; "):
        name, value = part.split("=", 1)
        client.cookies[name] = value
    result = {}
    for step, expected in (("checkin", 302), ("view", 200), ("checkout", 302)):
        if step == "checkout":
            served_an_hour(activity_id, user_id)
        with CaptureQueriesContext(connection) as captured:
            if step == "view":
                response = client.get(path)
            else:
                response = client.post(
                    path,
                    data=page_form(0, proof, step, cookie),
                    content_type="application/x-www-form-urlencoded",
                )
        if response.status_code != expected:
            raise SystemExit(f"test Client page {step}: {response.status_code}")
        result[step] = statements(captured)
    return result


# --- server and load -------------------------------------------------------------------------
def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    # The server's log (one warning per refused request) goes to a file, shown if it fails.
    server = harness.start_server(
        env,
        root=ROOT,
        port=port,
        workers=workers,
        needs_redis=True,
        timeout_s=90,
        request_timeout_s=5,
        log_path=LOG_PATH,
    )
    OWN_SERVER[:] = [server.pid]
    return server


def start_cluster(env: dict[str, str], var_dir: Path, web_workers: int):
    """--cluster: Debian's nginx in front of two `threehours serve` nodes of `web_workers`
    processes each (threehours/testing/cluster.py, as `deploy/local-cluster` starts them), on
    the bench database and Redis, with the server's environment (same secret: the QR token
    made here validates there). No job worker: the burst queues nothing."""
    from threehours.testing.cluster import Cluster

    cluster = Cluster(
        database_url=env["DATABASE_URL"],
        redis_url=env["REDIS_URL"],
        directory=var_dir / "cluster",
        nodes=2,
        workers=0,
        env={k: v for k, v in env.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        web_workers=web_workers,
        startup_timeout_s=120,
    )
    cluster.up()
    OWN_SERVER[:] = [*cluster.node_pids, cluster.nginx_pid]
    return cluster


def send_all(requests: list[urllib.request.Request]) -> dict[str, int]:
    """Send the requests from 8 threads at once; how many answered with each status."""

    def send(request: urllib.request.Request) -> int:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    counts: dict[str, int] = {}
    with ThreadPoolExecutor(8) as pool:
        for status in pool.map(send, requests):
            counts[str(status)] = counts.get(str(status), 0) + 1
    return counts


def warm_up(port: int, activity_id: int, token: str, body: str) -> dict[str, int]:
    """Both workers load every module of the check-in path: the extra registrant (checked in
    and out already) repeats both requests; refused with 409, each leaves an Attempt row."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return send_all(
        [
            urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/activities/{activity_id}/{action}",
                data=body.encode(),
                headers=headers,
            )
            for action in ["checkin", "checkout"] * 16
        ]
    )


def warm_up_page(port: int, path: str, cookie: str, body: str) -> dict[str, int]:
    """warm_up() for the page path: the extra registrant's form POSTs (refused: already in
    and out) and GETs of the page."""
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    return send_all(
        [
            urllib.request.Request(
                f"http://127.0.0.1:{port}{path}",
                data=body.encode() if method == "POST" else None,
                headers=headers,
                method=method,
            )
            for method in ["POST", "GET"] * 16
        ]
    )


def process_cpu(server_sid: int | list[int], nginx_sid: int = 0) -> dict[str, float]:
    """CPU seconds (user + system) so far of the server's processes (the sessions of every
    node with --cluster), of nginx's (master and workers, --cluster) and of every PostgreSQL
    process, read from /proc/<pid>/stat."""
    tick = os.sysconf("SC_CLK_TCK")
    sids = {server_sid} if isinstance(server_sid, int) else set(server_sid)
    totals = {"server": 0.0, "postgres": 0.0, "nginx": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # fields[0] is field 3 (state): session is field 6, utime 14, stime 15.
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(fields[3]) in sids:
            totals["server"] += seconds
        elif nginx_sid and int(fields[3]) == nginx_sid:
            totals["nginx"] += seconds
        elif comm == "postgres" or comm.startswith("postgres:"):
            totals["postgres"] += seconds
    return totals


def py_spy_start(server_sid: int, prefix: Path) -> list[tuple[subprocess.Popen, Path]]:
    """py-spy record (collapsed stacks, GIL-holding samples only) on each server worker."""
    workers = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            parent = int(fields[1])
            if int(fields[3]) == server_sid and (b"gunicorn" in cmdline or b"granian" in cmdline):
                workers.append((int(entry.name), parent))
    pids = {pid for pid, _ in workers}
    # The binary itself (uvx fetches it from PyPI once), so that SIGINT reaches it directly.
    found = subprocess.run(
        ["uvx", "--from", "py-spy", "python", "-c", "import shutil; print(shutil.which('py-spy'))"],
        capture_output=True,
        text=True,
    )
    binary = found.stdout.strip().splitlines()[-1] if found.stdout.strip() else "py-spy"
    spies = []
    for pid, parent in workers:
        if parent not in pids:
            continue  # the arbiter: it only supervises
        out = prefix.with_name(f"{prefix.name}-{pid}.txt")
        command = [binary, "record", "--pid", str(pid), "--format", "raw"]
        # --gil: only samples of the thread holding the GIL, i.e. the worker's Python CPU time.
        command += ["--rate", "250", "--nonblocking", "--gil", "-o", str(out)]
        spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        spies.append((spy, out))
    time.sleep(2)  # py-spy attaches
    return spies


def py_spy_stop(spies: list[tuple[subprocess.Popen, Path]]) -> list[tuple[str, float, float]]:
    """Stop the recorders; the frames (function file:line-less) with the largest inclusive
    share of samples, and their self share."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for spy, out in spies:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=30)
        if not out.exists():
            continue
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = [re.sub(r" \(([^)]*?)(:\d+)?\)$", r" (\1)", f) for f in stack.split(";")]
            frames = [f.replace(str(ROOT) + "/", "") for f in frames]
            frames = [re.sub(r"\S*/site-packages/", "", f) for f in frames]
            for frame in set(frames[1:]):
                inclusive[frame] = inclusive.get(frame, 0) + n
            own[frames[-1]] = own.get(frames[-1], 0) + n
            # Self time by package: the first path component of the innermost frame.
            where = re.search(r"\(([^)/]+)", frames[-1])
            package = f"[self time in package] {where.group(1) if where else '?'}"
            inclusive[package] = inclusive.get(package, 0) + n
    if not total:
        return []
    packages = sorted((f for f in inclusive if f.startswith("[self")), key=inclusive.get)[::-1]
    top = packages[:10]
    top += [f for f in sorted(inclusive, key=inclusive.get, reverse=True) if f not in packages][:45]
    top += [f for f in sorted(own, key=own.get, reverse=True)[:15] if f not in top]
    return [(f, inclusive.get(f, 0) / total, own.get(f, 0) / total) for f in top]


def run_wrk(
    *,
    port: int,
    path: str,
    lines: list[str],
    connections: int,
    threads: int,
    work: Path,
    mode: str = "api",
) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    script, requests, done = work / "checkin.lua", work / "requests.tsv", work / "done"
    script.write_text(LUA)
    requests.write_text("\n".join(lines) + "\n")
    done.unlink(missing_ok=True)
    env = {
        **os.environ,
        "WRK_REQUESTS": str(requests),
        "WRK_PATH": path,
        "WRK_DONE": str(done),
        "WRK_THREADS": str(threads),
        "WRK_MODE": mode,
    }
    # -d is only the upper bound: the run ends when every thread has had its last response.
    command = [wrk, f"-t{threads}", f"-c{connections}", "-d120s", "--timeout", "10s"]
    command += ["-s", str(script), f"http://127.0.0.1:{port}"]
    busy0, total0 = cpu_busy()
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    interrupted = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if not interrupted and done.exists() and len(done.read_text().split()) >= threads:
            process.send_signal(signal.SIGINT)
            interrupted = True
        time.sleep(0.005)
    wall = time.perf_counter() - started
    busy1, total1 = cpu_busy()
    process.returncode = os.waitstatus_to_exitcode(status)
    output = process.stdout.read() if process.stdout else ""
    line = next((x for x in output.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    result = json.loads(line.removeprefix("WRK_JSON "))
    result["first_errors"] = [
        x.removeprefix("WRK_ERROR ") for x in output.splitlines() if x.startswith("WRK_ERROR ")
    ]
    cores = os.cpu_count() or 1
    result["complete"] = interrupted
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["wall_s"] = wall
    result["wrk_cpu_s"] = usage.ru_utime + usage.ru_stime
    result["wrk_cpu_share"] = result["wrk_cpu_s"] / (wall * cores)
    result["wrk_core_share"] = result["wrk_cpu_s"] / wall
    result["machine_busy"] = (busy1 - busy0) / max(1, total1 - total0)
    return result


def server_span(activity_id: int, action: str, since: dt.datetime) -> tuple[int, float]:
    """Accepted attempts of one phase and the seconds between the first and the last commit."""
    from django.db.models import Count, Max, Min

    from threehours.attendance.models import Attempt

    row = Attempt.objects.filter(
        activity_id=activity_id, action=action, result="ok", created_at__gte=since
    ).aggregate(n=Count("id"), first=Min("created_at"), last=Max("created_at"))
    if not row["n"]:
        return 0, 0.0
    return row["n"], (row["last"] - row["first"]).total_seconds()


def tokens_last_used_earlier(user_ids: list[int]) -> None:
    """As on the activity day, the phones last used the API an hour ago, so each phase's first
    request writes the token's last-used time (accounts.services.token_authenticate writes it
    when older than 5 minutes) — whether the setup or a wait for others took more or less than
    5 minutes does not change what is measured."""
    from threehours.accounts.models import ApiToken

    ApiToken.objects.filter(user_id__in=user_ids).update(
        last_used_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )


def shift_checkins(activity_id: int) -> None:
    """Move every open attendance's check-in back by 6–200 minutes (spread by id): the time
    volunteers serve between the two bursts (at least 0.1 h, so every check-out credits). Some
    land before the window's start and are clipped to it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE attendance_attendance SET checked_in_at = checked_in_at"
            " - make_interval(mins => ((id * 7919) %% 195 + 6)::int)"
            " WHERE activity_id = %s AND checked_out_at IS NULL",
            [activity_id],
        )


# --- verification ----------------------------------------------------------------------------
def verify(activity) -> dict:
    """Every confirmed registrant: exactly one attendance (in and out) and exactly one ledger
    credit equal to rules.credited_hours of the recorded times; nothing else in the ledger."""
    from collections import defaultdict

    from threehours.attendance import rules
    from threehours.attendance.models import Attendance
    from threehours.core.timeutil import local_tz
    from threehours.hours.models import LedgerEntry
    from threehours.signups.models import Signup

    volunteers = set(
        Signup.objects.filter(activity=activity, status=Signup.Status.CONFIRMED).values_list(
            "volunteer_id", flat=True
        )
    )
    attendances = defaultdict(list)
    for a in Attendance.objects.filter(activity=activity):
        attendances[a.volunteer_id].append(a)
    credits = defaultdict(list)
    other_entries = 0
    for e in LedgerEntry.objects.filter(activity=activity):
        if e.entry_type == LedgerEntry.EntryType.CREDIT:
            credits[e.volunteer_id].append(e)
        else:
            other_entries += 1
    problems: list[str] = []
    hours_seen: dict[Decimal, int] = defaultdict(int)
    total = Decimal(0)
    for volunteer in sorted(volunteers):
        rows = attendances.get(volunteer, [])
        if len(rows) != 1:
            problems.append(f"volunteer {volunteer}: {len(rows)} attendance rows")
            continue
        a = rows[0]
        if a.checked_out_at is None:
            problems.append(f"volunteer {volunteer}: not checked out")
            continue
        window = rules.window_bounds(
            a.day, activity.checkin_time, activity.checkout_time, local_tz()
        )
        expected = rules.credited_hours(
            a.checked_in_at, a.checked_out_at, window, activity.max_hours_per_day
        )
        entries = credits.get(volunteer, [])
        if len(entries) != 1:
            problems.append(f"volunteer {volunteer}: {len(entries)} ledger credits")
            continue
        entry = entries[0]
        if entry.hours != expected or a.hours != expected or entry.attendance_id != a.pk:
            problems.append(
                f"volunteer {volunteer}: credit {entry.hours} h, attendance {a.hours} h, "
                f"expected {expected} h"
            )
        hours_seen[entry.hours] += 1
        total += entry.hours
    strays = set(attendances) - volunteers
    if strays:
        problems.append(f"{len(strays)} attendance rows of non-registrants")
    if other_entries:
        problems.append(f"{other_entries} ledger entries that are not credits")
    return {
        "registrants": len(volunteers),
        "problems": problems,
        "hours_total": total,
        "hours_min": min(hours_seen, default=Decimal(0)),
        "hours_max": max(hours_seen, default=Decimal(0)),
        "distinct_hours": len(hours_seen),
    }


def verify_ledger(env: dict[str, str]) -> tuple[int, str]:
    full = {**os.environ, **env}
    full.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        ["uv", "run", "threehours", "manage", "verify_ledger"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
    )
    return result.returncode, (result.stdout + result.stderr).strip()


def git_head() -> str:
    """The checkout's commit (short), with "+changes" when its tracked files differ from it."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "diff", "--quiet", "HEAD"], capture_output=True
    ).returncode
    return (head or "?") + ("+changes" if dirty else "")


def sql_count(statements: list[str]) -> int:
    return sum(1 for sql in statements if sql not in ("BEGIN", "COMMIT", "ROLLBACK"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--volunteers", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--max-wait", type=int, default=1200, help="seconds to wait for others")
    parser.add_argument("--max-test-wait", type=int, default=300, help="… for others' pytest")
    parser.add_argument(
        "--via",
        choices=("api", "page"),
        default="api",
        help="api: the JSON API with a bearer token (the issue's target); page: the phone's "
        "check-in page with a session and CSRF, as a scanned QR code opens it (form POST, the "
        "page it redirects to, then the check-out POST)",
    )
    parser.add_argument(
        "--proof",
        choices=("qr", "code"),
        default="qr",
        help="what every check-in and check-out sends as proof of presence: qr, the QR token "
        "(API: qr_token; page: the scanned URL's t); code, the activity day's 4-digit code "
        "(API: code; page: the form's code field, as typed into a page opened without a token)",
    )
    parser.add_argument(
        "--checkout",
        type=Path,
        help="run against the code of another checkout (e.g. a worktree of an older commit): "
        "this script runs again in that checkout's environment (uv run --directory PATH), "
        "which migrates, loads, counts queries, serves and verifies with that code",
    )
    parser.add_argument(
        "--families",
        type=int,
        default=0,
        help="run the family check-in instead (issue #14): N guardians + 2 children each, the "
        "guardian's check-in then each child's with a generated JPEG photo (API, multipart)",
    )
    parser.add_argument(
        "--first-consent",
        action="store_true",
        help="the volunteers' first check-in ever: each records the location consent it sends "
        "(by default they gave it at an earlier check-in, as nearly every check-in finds)",
    )
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="the burst through nginx to two nodes (the local cluster, issue #17) of --workers "
        "/ 2 processes each, instead of one server direct; reports nginx's share of the CPU",
    )
    parser.add_argument("--keep-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--py-spy",
        action="store_true",
        help="profile the workers with py-spy (uvx) during each phase; slows them down a little",
    )
    args = parser.parse_args()
    if args.checkout is not None and "THREEHOURS_BENCH_CHECKOUT" not in os.environ:
        checkout = args.checkout.resolve()
        if not (checkout / "pyproject.toml").is_file() or not (checkout / "threehours").is_dir():
            parser.error(f"--checkout {checkout}: not a checkout of threehours")
        command = ["uv", "run", "--directory", str(checkout), "--frozen", "python"]
        command += [str(Path(__file__).resolve()), *sys.argv[1:]]
        log(f"Running again from {checkout}: {' '.join(command)}")
        os.execvpe("uv", command, {**os.environ, "THREEHOURS_BENCH_CHECKOUT": str(checkout)})

    if args.cluster and (args.families or args.py_spy):
        parser.error("--cluster runs the API or page burst, without --families or --py-spy")
    if args.families:
        return families_main(args)
    log(
        f"Check-in burst: {ROOT} (git {git_head()}), via {args.via}, proof {args.proof} "
        f"({PROOF_NAMES[args.proof]}), {args.volunteers:,} volunteers, {args.connections} "
        f"connections, {args.threads} wrk threads, {args.workers} workers"
    )
    from zoneinfo import ZoneInfo

    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    window = activity_window(now)
    if window is None:
        log(
            f"It is {now:%H:%M} in Asia/Shanghai: a window containing now and ending one hour "
            "later would cross midnight, and check-in and check-out must happen on the same "
            "activity day. Run it again after 00:00."
        )
        return 2

    quiet = wait_until_quiet(args.max_wait)
    load_start = os.getloadavg()
    log(f"Load average at start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}")

    var_dir = Path(tempfile.mkdtemp(prefix="threehours-checkin-"))
    env = server_env(args, var_dir)
    log(f"Recreating {urlsplit(args.database_url).path.lstrip('/')} …")
    recreate_database(args.database_url)
    django_setup(env)
    from django.core.management import call_command
    from django.db import connections

    from threehours.attendance.codes import day_code, qr_token_make

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    log(f"Migrated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    data = create_data(volunteers=args.volunteers, window=window, first_consent=args.first_consent)
    activity, tokens = data["activity"], data["tokens"]
    log(
        f"Activity {activity.pk} on {activity.start_date} {activity.checkin_time:%H:%M}–"
        f"{activity.checkout_time:%H:%M} (now {now:%H:%M}), {args.volunteers:,} volunteers + 1 "
        f"for the query count, tokens and confirmed registrations (bulk-created, "
        f"places_taken {activity.places_taken}) in {time.perf_counter() - started:.1f} s"
    )
    if args.proof == "code":
        # Two positional arguments only: later versions take an optional third (the code's
        # rotation generation, default today's code).
        code = day_code(activity.pk, data["today"])
        api_proof, page_proof = {"code": code}, {"t": "", "code": code}
        log(f"Proof: the day's code {code} (day_code with the server's secret)")
    else:
        qr_token, _expires = qr_token_make(activity.pk, data["today"])
        api_proof, page_proof = {"qr_token": qr_token}, {"t": qr_token}
        log(
            "Proof: a QR token made with the server's secret; "
            f"THREEHOURS_CHECKIN_QR_SECONDS={QR_SECONDS}"
        )

    page = args.via == "page"
    extra_id = tokens[-1][0]
    if page:
        from django.urls import reverse

        started = time.perf_counter()
        # The page names hashed static files (debug off): the server collects them at start,
        # the test Client here renders the page before that.
        call_command("collectstatic", interactive=False, verbosity=0)
        cookies = page_cookies([pk for pk, _token in tokens])
        page_path = reverse("attendance:checkin", args=[activity.pk])
        log(
            f"Page path {page_path}: {len(cookies):,} logged-in phones (a session and "
            f"a CSRF cookie each) in {time.perf_counter() - started:.1f} s"
        )
        queries = measure_page_queries(
            activity.pk, extra_id, cookies[extra_id], page_proof, page_path
        )
    else:
        queries = measure_queries(activity.pk, extra_id, tokens[-1][1], api_proof)
    for action, sqls in queries.items():
        log(
            f"\n== SQL of one {action} (proof {args.proof}; test Client, bench database): "
            f"{len(sqls)} statements, {sql_count(sqls)} without BEGIN/COMMIT =="
        )
        for i, sql in enumerate(sqls, 1):
            log(f"{i:>2}. {sql if len(sql) <= 220 else sql[:217] + '…'}")
    connections.close_all()

    if page:
        phases = {
            action: [
                f"{cookies[pk]}\t{page_form(i, page_proof, action, cookies[pk]) if body else ''}"
                for i, (pk, _token) in enumerate(tokens[:-1])
            ]
            for action, body in (("checkin", True), ("view", False), ("checkout", True))
        }
        expected = {"checkin": "302", "view": "200", "checkout": "302"}
    else:
        lines = [f"{token}\t{body_for(i, api_proof)}" for i, (_pk, token) in enumerate(tokens[:-1])]
        phases = {"checkin": lines, "checkout": lines}
        expected = {"checkin": "200", "checkout": "200"}
    port = free_port()
    if not quiet or other_benchmarks():
        wait_until_quiet(args.max_wait // 2)
    # Test runs are not benchmarks but take the same cores: wait a little for them too.
    wait_until_quiet(args.max_test_wait, 15, tests=True)
    cluster = None
    if args.cluster:
        node_workers = max(1, args.workers // 2)
        log(f"\nStarting the local cluster: nginx → 2 nodes × {node_workers} processes …")
        cluster = start_cluster(env, var_dir, node_workers)
        port = urlsplit(cluster.url).port
        server_sids: int | list[int] = list(cluster.node_pids)
        log(f"nginx on {cluster.url}, nodes {', '.join(cluster.node_urls)}")
    else:
        log(f"\nStarting `threehours serve --workers {args.workers}` on 127.0.0.1:{port} …")
        server = start_server(env, port, args.workers)
        server_sids = server.pid
    nginx_sid = cluster.nginx_pid if cluster else 0
    runs: dict[str, dict] = {}
    spans: dict[str, tuple[int, float]] = {}
    others: dict[str, list[str]] = {}
    profiles: dict[str, list[tuple[str, float, float]]] = {}
    work = Path(tempfile.mkdtemp(prefix="threehours-wrk-"))
    try:
        if page:
            cookie = cookies[extra_id]
            body = page_form(0, page_proof, "checkin", cookie)
            warm = warm_up_page(port, page_path, cookie, body)
        else:
            warm = warm_up(port, activity.pk, tokens[-1][1], body_for(0, api_proof))
        log(f"Warm-up (extra registrant, already in and out): {warm}")
        load_burst = os.getloadavg()
        for action, lines in phases.items():
            if action == "checkout":
                shift_checkins(activity.pk)
            tokens_last_used_earlier([pk for pk, _token in tokens[:-1]])
            connections.close_all()
            since = dt.datetime.now(dt.UTC)
            others[action] = other_benchmarks() + other_benchmarks(tests=True)
            log(f"Phase {action}: {len(lines):,} requests, {args.connections} connections …")
            spies = py_spy_start(server.pid, work / action) if args.py_spy else []
            cpu0 = process_cpu(server_sids, nginx_sid)
            runs[action] = run_wrk(
                port=port,
                path=page_path if page else f"/api/v1/activities/{activity.pk}/{action}",
                lines=lines,
                connections=args.connections,
                threads=args.threads,
                work=work,
                mode=args.via,
            )
            cpu1 = process_cpu(server_sids, nginx_sid)
            runs[action]["cpu"] = {k: cpu1[k] - cpu0[k] for k in cpu0}
            if spies:
                profiles[action] = py_spy_stop(spies)
            spans[action] = server_span(activity.pk, action, since)
            connections.close_all()
    finally:
        if cluster is not None:
            cluster.down()
        elif not args.keep_server:
            stop_server(server, timeout_s=30)
        shutil.rmtree(work, ignore_errors=True)

    check = verify(activity)
    ledger_rc, ledger_out = verify_ledger(env)
    shutil.rmtree(var_dir, ignore_errors=True)

    log(
        f"\n== Summary ({'the check-in page' if page else 'the API'}, proof {args.proof}: "
        f"{PROOF_NAMES[args.proof]}; {ROOT.name} at {git_head()}) =="
    )
    log(
        f"Load average at start {load_start[0]:.2f}, before the bursts {load_burst[0]:.2f} "
        f"(1 min); {os.cpu_count()} cores shared by server, PostgreSQL and wrk"
    )
    log(
        f"{'phase':<10}{'req/s':>8}{'server/s':>10}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>8}{'statuses':>22}{'wrk CPU':>9}{'machine':>9}"
    )
    for name, r in runs.items():
        n, span = spans[name]
        server_rate = (n - 1) / span if span > 0 else 0.0
        statuses = ",".join(f"{k}×{v}" for k, v in sorted(r["statuses"].items()))
        log(
            f"{name:<10}{r['rps']:>8.0f}{server_rate:>10.0f}{ms(r['p50']):>8}{ms(r['p90']):>8}"
            f"{ms(r['p99']):>8}{ms(r['max']):>8}{statuses:>22}{r['wrk_cpu_share']:>9.1%}"
            f"{r['machine_busy']:>9.0%}"
        )
        socket_errors = {k: v for k, v in r["errors"].items() if v and k != "status"}
        if socket_errors or not r["complete"] or r["sent"] != len(phases[name]):
            log(
                f"  {name}: sent {r['sent']}, answered {r['requests']}, socket errors "
                f"{socket_errors or 'none'}, ended by {'us' if r['complete'] else 'wrk -d'}"
            )
        for error in r["first_errors"]:
            log(f"  first error of a thread: {error}")
        for other in others[name]:
            log(f"  running beside it: {other}")
    log("\nCPU per request (ms, user+system, from /proc) — where the 2 cores went:")
    for name, r in runs.items():
        n = max(1, r["requests"])
        cpu = r["cpu"]
        total = (cpu["server"] + cpu["postgres"] + cpu["nginx"] + r["wrk_cpu_s"]) * 1000 / n
        nginx = (
            f", nginx {cpu['nginx'] * 1000 / n:.2f} "
            f"({cpu['nginx'] * 1000 / n / total:.1%} of the CPU the run took)"
            if args.cluster
            else ""
        )
        log(
            f"  {name:<9} server {cpu['server'] * 1000 / n:.2f}, PostgreSQL "
            f"{cpu['postgres'] * 1000 / n:.2f}, wrk {r['wrk_cpu_s'] * 1000 / n:.2f}{nginx} → "
            f"{total:.2f} ms per request = at most {2000 / total:.0f} requests/s on 2 cores"
        )
    for name, rows in profiles.items():
        log(f"\npy-spy, {name} (share of the workers' on-CPU samples; inclusive, self):")
        for frame, inclusive, own in rows:
            log(f"  {inclusive:6.1%} {own:6.1%}  {frame}")
    log(
        "(req/s: wrk's answered requests over its run, first connect to last response; "
        "server/s: accepted attempts between the first and last commit; wrk CPU: its "
        "user+system time over wall time × cores — "
        + ", ".join(f"{n} {r['wrk_core_share']:.0%} of one core" for n, r in runs.items())
        + ")"
    )
    log(
        f"SQL per request (proof {args.proof}; test Client; SAVEPOINT/RELEASE not counted): "
        f"check-in {len(queries['checkin'])} ({sql_count(queries['checkin'])} without "
        f"BEGIN/COMMIT), "
        f"check-out {len(queries['checkout'])} ({sql_count(queries['checkout'])}); a kept "
        f"connection idle for over 5 s also gets Django's health probe (SELECT 1, core/postgresql)"
    )
    verdict = (
        "every one with exactly one attendance and exactly one credit of the expected hours"
        if not check["problems"]
        else f"{len(check['problems'])} PROBLEMS"
    )
    log(
        f"Database: {check['registrants']:,} registrants (incl. the extra one), {verdict}"
        f"; credits {check['hours_min']}–{check['hours_max']} h ({check['distinct_hours']} "
        f"distinct values), total {check['hours_total']} h"
    )
    for problem in check["problems"][:20]:
        log(f"  {problem}")
    log(f"verify_ledger (exit {ledger_rc}): {ledger_out}")

    checkin = runs["checkin"]
    missed = []
    if checkin["rps"] < TARGET_CHECKINS_PER_S:
        missed.append(f"check-ins/s {checkin['rps']:.0f} < {TARGET_CHECKINS_PER_S:.0f}")
    for name, r in runs.items():
        if r["p99"] / 1000 > TARGET_P99_MS:
            missed.append(f"{name} p99 {r['p99'] / 1000:.1f} ms > {TARGET_P99_MS:.0f} ms")
    if len(queries["checkin"]) > TARGET_QUERIES:
        missed.append(f"queries per check-in {len(queries['checkin'])} > {TARGET_QUERIES}")
    ok_statuses = all(set(r["statuses"]) == {expected[n]} for n, r in runs.items())
    log(
        f"\nTargets, via {args.via}, proof {args.proof} (≥ {TARGET_CHECKINS_PER_S:.0f} "
        f"check-ins/s, p99 ≤ {TARGET_P99_MS:.0f} ms, ≤ {TARGET_QUERIES} queries per check-in): "
        + ("all met" if not missed else "MISSED — " + "; ".join(missed))
    )
    failed = missed or check["problems"] or ledger_rc != 0 or not ok_statuses
    return 1 if failed else 0


# --- families (issue #14) ------------------------------------------------------------------------


def create_families(activity, families: int) -> list[dict]:
    """N guardians with a token, 2 children each under a current guardianship, and one
    confirmed family registration of 3 places per family (bulk-created)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from threehours.accounts.models import User
    from threehours.accounts.services import token_issue
    from threehours.activities.models import Activity
    from threehours.family.models import Guardianship
    from threehours.signups.models import Signup, SignupChild

    now = timezone.now()
    unusable = make_password(None)
    with transaction.atomic():
        Activity.objects.filter(pk=activity.pk).update(
            family=True, places=3 * families + 10, places_taken=0
        )
        Signup.objects.filter(activity=activity).delete()
        parents = User.objects.bulk_create(
            User(
                phone=f"136{i:08d}",
                phone_bound_at=now,
                nickname=f"家长{i}",
                real_name=f"家长{i}",
                password=unusable,
            )
            for i in range(families)
        )
        kids = User.objects.bulk_create(
            User(guarded=True, real_name=f"小宝{i}-{k}", password=unusable)
            for i in range(families)
            for k in range(2)
        )
        Guardianship.objects.bulk_create(
            Guardianship(
                child=kids[2 * i + k],
                guardian=parent,
                added_by=parent,
                consent_version="bench",
                consented_at=now,
            )
            for i, parent in enumerate(parents)
            for k in range(2)
        )
        signups = Signup.objects.bulk_create(
            Signup(activity=activity, volunteer=p, status=Signup.Status.CONFIRMED, seats=3)
            for p in parents
        )
        SignupChild.objects.bulk_create(
            SignupChild(signup=signup, child=kids[2 * i + k], activity=activity)
            for i, signup in enumerate(signups)
            for k in range(2)
        )
        Activity.objects.filter(pk=activity.pk).update(places_taken=3 * families)
    return [
        {
            "token": token_issue(user=parent, name="bench"),
            "guardian": parent.pk,
            "children": [kids[2 * i].pk, kids[2 * i + 1].pk],
        }
        for i, parent in enumerate(parents)
    ]


def family_photo() -> bytes:
    """A 1280×960 JPEG (a phone photo re-encoded smaller), with some detail so it is not tiny."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1280, 960), (236, 112, 40))
    draw = ImageDraw.Draw(image)
    for i in range(0, 1280, 40):
        draw.rectangle((i, 300, i + 20, 660), fill=(255, (i * 7) % 255, 80))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def multipart(fields: dict[str, str], photo: bytes) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="family.jpg"'
        "\r\nContent-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_families(port: int, activity_id: int, families: list[dict], proof: dict, clients: int):
    """Each family's three requests in order, `clients` families at once. Returns the
    families' latencies, each kind's latencies, the statuses and the wall time."""
    photo = family_photo()
    base = f"http://127.0.0.1:{port}/api/v1/activities/{activity_id}"

    def post(url: str, data: bytes, headers: dict) -> tuple[int, float, str]:
        started = time.perf_counter()
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, ""
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode(errors="replace")[:200]
        return status, time.perf_counter() - started, text

    def family(index: int) -> dict:
        f = families[index]
        lat, lng = SITE
        position = {"lat": str(lat), "lng": str(lng), "coord": "gcj02", "accuracy": "15"}
        auth = {"Authorization": f"Bearer {f['token']}"}
        started = time.perf_counter()
        timings, statuses, errors = [], [], []
        status, took, text = post(
            f"{base}/checkin",
            json.dumps(
                {
                    **proof,
                    **{k: (float(v) if k != "coord" else v) for k, v in position.items()},
                    "location_consent": True,
                }
            ).encode(),
            {**auth, "Content-Type": "application/json"},
        )
        timings.append(("guardian", took))
        statuses.append(status)
        if text:
            errors.append(text)
        for child in f["children"]:
            body, content_type = multipart({**proof, **position}, photo)
            status, took, text = post(
                f"{base}/children/{child}/checkin", body, {**auth, "Content-Type": content_type}
            )
            timings.append(("child", took))
            statuses.append(status)
            if text:
                errors.append(text)
        return {
            "total": time.perf_counter() - started,
            "timings": timings,
            "statuses": statuses,
            "errors": errors,
        }

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(family, range(len(families))))
    wall = time.perf_counter() - started
    return results, wall


def families_main(args: argparse.Namespace) -> int:
    """The --families run: data, server, the burst, verification, summary."""
    log(
        f"Family check-in burst: {ROOT} (git {git_head()}), {args.families:,} families "
        f"(guardian + 2 children), {args.connections} clients, {args.workers} workers, "
        f"proof {args.proof}"
    )
    from zoneinfo import ZoneInfo

    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    window = activity_window(now)
    if window is None:
        log("Too close to midnight in Asia/Shanghai; run it again after 00:00.")
        return 2
    wait_until_quiet(args.max_wait)
    var_dir = Path(tempfile.mkdtemp(prefix="threehours-families-"))
    env = server_env(args, var_dir)
    recreate_database(args.database_url)
    django_setup(env)
    from django.core.management import call_command
    from django.db import connections

    from threehours.attendance.codes import day_code, qr_token_make

    call_command("migrate", interactive=False, verbosity=0)
    data = create_data(volunteers=0, window=window)
    activity = data["activity"]
    started = time.perf_counter()
    families = create_families(activity, args.families)
    took = time.perf_counter() - started
    log(f"Activity {activity.pk}; {len(families):,} families in {took:.1f} s")
    if args.proof == "code":
        proof = {"code": day_code(activity.pk, data["today"])}
    else:
        proof = {"qr_token": qr_token_make(activity.pk, data["today"])[0]}
    connections.close_all()
    port = free_port()
    wait_until_quiet(args.max_test_wait, 15, tests=True)
    log(f"Starting `threehours serve --workers {args.workers}` on 127.0.0.1:{port} …")
    server = start_server(env, port, args.workers)
    load = os.getloadavg()
    try:
        # Warm-up: every module of both paths in both workers, by the extra user of
        # create_data, registered for nothing (refused: not registered, no such child).
        stranger = [{"token": data["tokens"][0][1], "children": [1]}] * 8
        warm, _wall = run_families(port, activity.pk, stranger, proof, 4)
        log(f"Warm-up statuses: {sorted({s for r in warm for s in r['statuses']})}")
        cpu0 = process_cpu(server.pid)
        results, wall = run_families(port, activity.pk, families, proof, args.connections)
        cpu1 = process_cpu(server.pid)
    finally:
        stop_server(server, timeout_s=30)

    from threehours.attendance.models import Attempt, Attendance, ChildPhoto

    statuses: dict[int, int] = {}
    for r in results:
        for status in r["statuses"]:
            statuses[status] = statuses.get(status, 0) + 1
    totals = [r["total"] for r in results]
    kinds = {
        kind: [took for r in results for k, took in r["timings"] if k == kind]
        for kind in ("guardian", "child")
    }
    rows = Attendance.objects.filter(activity=activity).count()
    photos = ChildPhoto.objects.filter(activity=activity)
    storage = ChildPhoto._meta.get_field("image").storage
    files = sum(1 for p in photos if storage.exists(p.image.name))
    # The families' refused attempts (the warm-up's stranger is refused on purpose).
    people = [f["guardian"] for f in families] + [c for f in families for c in f["children"]]
    refused = (
        Attempt.objects.filter(activity=activity, volunteer_id__in=people)
        .exclude(result="ok")
        .count()
    )
    problems = []
    if rows != 3 * len(families):
        problems.append(f"{rows} attendance rows, expected {3 * len(families)}")
    if photos.count() != 2 * len(families) or files != photos.count():
        problems.append(f"{photos.count()} photos, {files} files, expected {2 * len(families)}")
    if set(statuses) != {200}:
        problems.append(f"statuses {statuses}")
    if refused:
        problems.append(f"{refused} refused attempts")
    cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
    log("\n== Summary (families) ==")
    log(f"Load average before the burst {load[0]:.2f}; {os.cpu_count()} cores")
    log(
        f"{len(families):,} families in {wall:.2f} s = {len(families) / wall:.1f} families/s "
        f"({3 * len(families) / wall:.0f} check-ins/s, {2 * len(families) / wall:.0f} photos/s)"
    )
    log(f"{'':<12}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'max ms':>8}")
    for name, values in (("family", totals), *kinds.items()):
        log(
            f"{name:<12}{percentile(values, 0.5) * 1000:>8.1f}"
            f"{percentile(values, 0.9) * 1000:>8.1f}"
            f"{percentile(values, 0.99) * 1000:>8.1f}{max(values) * 1000:>8.1f}"
        )
    log(f"Statuses: {statuses}")
    log(
        f"CPU per family: server {cpu['server'] * 1000 / len(families):.1f} ms, PostgreSQL "
        f"{cpu['postgres'] * 1000 / len(families):.1f} ms"
    )
    for r in results:
        if r["errors"]:
            log(f"first error: {r['errors'][0]}")
            break
    log(f"Database: {rows} attendance rows, {photos.count()} photos with {files} files")
    ledger_rc, ledger_out = verify_ledger(env)
    log(f"verify_ledger (exit {ledger_rc}): {ledger_out}")
    shutil.rmtree(var_dir, ignore_errors=True)
    for problem in problems:
        log(f"PROBLEM: {problem}")
    return 1 if problems or ledger_rc else 0


if __name__ == "__main__":
    sys.exit(main())
