"""Correct across nodes, and nothing lost when a process dies (issue #17 §2, §4), through the
local cluster (threehours/testing/cluster.py): nginx in front of two `threehours serve` nodes
and a `threehours worker`, on the test database and Redis. PostgreSQL pass only.

- a session made on node A works on node B; an upload through node A is served by node B;
- the SMS-code wrong-try budget, the per-phone SMS send interval and a per-IP rate limit count
  across nodes;
- a check-in burst through nginx survives `kill -9` of a node: every volunteer ends with one
  attendance and one credit, and the ledger verifies;
- a worker killed with SIGKILL in a batch of deliveries: once it runs again and the stale
  requeue runs, every message is sent exactly once (or failed with its error).
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import io
import json
import re
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REDIS_URL = "redis://127.0.0.1:6379/6"
VERIFY_RATE = "10/h"  # an hour's window: the test never straddles two
CLUSTER_ENV = {
    "THREEHOURS_VERIFY_RATE": VERIFY_RATE,
    "THREEHOURS_SMS_BACKEND": "threehours.testing.slow_sms.SlowFileSmsBackend",
    "THREEHOURS_WORKER_THREADS": "4",
    "THREEHOURS_LOG_LEVEL": "WARNING",
}


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    from threehours.testing.cluster import Cluster, nginx_binary

    if nginx_binary() is None:
        pytest.fail("nginx is not installed (CI installs Debian's nginx)")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # this test's own Redis database
    db = connection.settings_dict  # the test database pytest-django made
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    cluster = Cluster(
        database_url=url,
        redis_url=REDIS_URL,
        directory=tmp_path_factory.mktemp("cluster"),
        nodes=2,
        workers=1,
        env=CLUSTER_ENV,
    )
    cluster.up()
    try:
        yield cluster
    finally:
        cluster.down()


def cluster_secret(cluster) -> str:
    return (cluster.directory / "keys" / "secret_key").read_text().strip()


# --- HTTP ------------------------------------------------------------------------------------
class Browser:
    """A phone or a laptop: one cookie jar for every node (cookies are per host, not port)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, method, url, *, data=None, headers=None, timeout=15):
        body = None
        headers = dict(headers or {})
        # The nodes key rate limits on the address nginx passes as X-Real-IP; a request sent to a
        # node directly carries it as the proxy would (through nginx, nginx sets its own).
        headers.setdefault("X-Real-IP", "127.0.0.1")
        if isinstance(data, dict):
            body = urlencode(data).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif data is not None:
            body = data
        req = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def api(base, method, path, *, token=None, body=None, headers=None):
    headers = {"Accept": "application/json", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, _, raw = Browser().request(method, f"{base}/api/v1/{path}", data=data, headers=headers)
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, {"raw": raw[:200]}


def multipart(fields: dict[str, str], name: str, filename: str, content: bytes, ctype: str):
    boundary = "----threehours-cluster-test"
    out = io.BytesIO()
    for key, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'.encode())
        out.write(f"{value}\r\n".encode())
    out.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
    )
    out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def png(size=(400, 400)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def email_login(browser: Browser, base: str, email: str, password: str) -> None:
    status, _, page = browser.request("GET", f"{base}/org/login/")
    assert status == 200
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    status, headers, page = browser.request(
        "POST",
        f"{base}/org/login/",
        data={"csrfmiddlewaretoken": csrf, "email": email, "password": password, "agree": "on"},
        headers={"Referer": f"{base}/org/login/"},
    )
    assert status == 302, page[:2000]
    assert browser.cookie("sessionid")


# --- across nodes ----------------------------------------------------------------------------
def test_a_session_and_an_upload_made_on_node_a_work_on_node_b(cluster, regions):
    from threehours.accounts.services import token_issue
    from threehours.orgs.models import QualificationFile
    from threehours.orgs.tests.factories import applicant, draft_org

    node_a, node_b = cluster.node_urls
    staff = applicant("cluster-staff@example.org")
    org = draft_org(user=staff)
    token = token_issue(user=staff, name="cluster test")

    # The upload through node A (the API), stored in the shared private media directory.
    content, ctype = multipart(
        {"kind": "registration_certificate"}, "file", "scan.png", png(), "image/png"
    )
    status, _, raw = Browser().request(
        "POST",
        f"{node_a}/api/v1/orgs/{org.pk}/files",
        data=content,
        headers={"Content-Type": ctype, "Authorization": f"Bearer {token}"},
    )
    assert status == 201, raw[:500]
    file_id = json.loads(raw)["id"]
    assert QualificationFile.objects.filter(pk=file_id, organisation=org).exists()

    # Logged in on node A; node B knows the session.
    browser = Browser()
    email_login(browser, node_a, "cluster-staff@example.org", "Apply-Pass-2026")
    status, headers, page = browser.request("GET", f"{node_b}/me/")
    assert status == 200, (status, headers.get("Location"))
    status, headers, image = browser.request("GET", f"{node_b}/org/{org.pk}/files/{file_id}/")
    assert status == 200, (status, headers.get("Location"))
    assert image[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1", b"RIFF") or (
        headers.get("Content-Type", "").startswith("image/")
    )
    # And a stranger is still refused on either node (the file is private).
    assert Browser().request("GET", f"{node_b}/org/{org.pk}/files/{file_id}/")[0] in (302, 403)
    # Logged out on node B: node A forgets the session too.
    status, _, page = browser.request("GET", f"{node_b}/me/")
    csrf = browser.cookie("csrftoken")
    status, _, _ = browser.request(
        "POST",
        f"{node_b}/logout/",
        data={"csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{node_b}/me/"},
    )
    assert status == 302
    assert browser.request("GET", f"{node_a}/me/")[0] == 302


def test_the_wrong_code_budget_and_the_send_interval_count_across_nodes(cluster):
    node_a, node_b = cluster.node_urls
    phone = "13911112222"
    status, body = api(node_a, "POST", "auth/sms/send", body={"phone": phone})
    assert status == 200, body
    # Sending again at once through the other node: too soon, whichever node is asked.
    status, body = api(node_b, "POST", "auth/sms/send", body={"phone": phone})
    assert (status, body["code"]) == (429, "sms_too_frequent"), body

    codes = []
    for i in range(settings.SMS_CODE_MAX_WRONG + 1):
        base = (node_a, node_b)[i % 2]  # half the tries on each node
        status, body = api(
            base, "POST", "auth/sms/login", body={"phone": phone, "code": "000000", "agree": True}
        )
        codes.append(body.get("code"))
    max_wrong = settings.SMS_CODE_MAX_WRONG
    assert codes == ["bad_code"] * (max_wrong - 1) + ["too_many_wrong_codes"] * 2, codes


def test_a_per_ip_rate_limit_counts_across_nodes(cluster):
    node_a, node_b = cluster.node_urls
    limit = int(VERIFY_RATE.split("/")[0])
    statuses = []
    for i in range(limit + 2):
        base = (node_a, node_b)[i % 2]
        status, _, _ = Browser().request("GET", f"{base}/verify/NOPE{i:06d}")
        statuses.append(status)
    assert statuses == [404] * limit + [429, 429], statuses


# --- kill -9 during a check-in burst ---------------------------------------------------------
VOLUNTEERS = 200
CLIENTS = 16
RETRYABLE = {502, 503, 504}


def _window(now_local: dt.datetime) -> tuple[str, str] | None:
    """Check-in from the whole hour 2 h ago (not before 00:00) to 1 h ahead (not after 23:55)."""
    start = max(now_local - dt.timedelta(hours=2), now_local.replace(hour=0, minute=0))
    end = now_local + dt.timedelta(hours=1)
    if end.date() != now_local.date() or now_local.time() < dt.time(0, 45):
        return None
    return start.strftime("%H:00"), end.strftime("%H:%M")


def _burst_data(count: int):
    from threehours.accounts.services import token_issue
    from threehours.activities.models import Activity
    from threehours.core.timeutil import local_tz
    from threehours.orgs.models import Organisation
    from threehours.orgs.tests.factories import approved_org
    from threehours.signups.models import Signup
    from threehours.signups.tests.factories import published_activity, volunteers

    now_local = timezone.now().astimezone(local_tz())
    window = _window(now_local)
    if window is None:
        pytest.skip("the check-in window would cross midnight (Asia/Shanghai)")
    from threehours.accounts.models import User

    operator = User.objects.create_superuser(email="ops-cluster@example.org", password="x-Pass-9")
    org = approved_org(operator=operator)
    Organisation.objects.filter(pk=org.pk).update(places_limit=count + 1)
    org.refresh_from_db()
    today = now_local.date().isoformat()
    activity = published_activity(
        org,
        questions=[],
        start_date=today,
        end_date=today,
        checkin_time=window[0],
        checkout_time=window[1],
        places=count,
    )
    people = volunteers(count, start=7000)
    Signup.objects.bulk_create(
        Signup(activity=activity, volunteer=p, status=Signup.Status.CONFIRMED) for p in people
    )
    Activity.objects.filter(pk=activity.pk).update(places_taken=count)
    tokens = {p.pk: token_issue(user=p, name="burst") for p in people}
    return activity, tokens


def _burst(cluster, path, tokens, body, *, kill, after):
    """Every volunteer POSTs `path` through nginx until answered (connection errors and 5xx
    are retried); node `kill` gets SIGKILL once `after` volunteers are done, and is started
    again when the burst ends. Returns the final answer's code per volunteer."""
    done = []
    lock = threading.Lock()
    killed = threading.Event()
    retried = {"n": 0}

    def volunteer(item):
        user_id, token = item
        deadline = time.monotonic() + 40
        ambiguous = False
        while True:
            try:
                status, answer = api(cluster.url, "POST", path, token=token, body=body)
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                status, answer = None, None  # the node died under it: try again
            if status is not None and status not in RETRYABLE:
                break
            ambiguous = True
            with lock:
                retried["n"] += 1
            assert time.monotonic() < deadline, f"volunteer {user_id}: no answer"
            time.sleep(0.2)
        code = "ok" if status in (200, 201) else (answer or {}).get("code", str(status))
        # A retry after an answer that was lost: the first try did it.
        if ambiguous and code in ("already_checked_in", "already_checked_out"):
            code = "ok (retried)"
        with lock:
            done.append(user_id)
            if len(done) >= after and not killed.is_set():
                killed.set()
                threading.Thread(target=cluster.kill_node, args=(kill,)).start()
        return user_id, code

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = dict(pool.map(volunteer, tokens.items()))
    assert killed.is_set()
    cluster.start_node(kill)
    return results, retried["n"]


def test_a_node_killed_in_a_check_in_burst_loses_nothing(cluster, regions, attributes):
    from threehours.attendance import codes
    from threehours.attendance.models import Attendance
    from threehours.hours.models import LedgerEntry
    from threehours.hours.services import ledger_verify

    activity, tokens = _burst_data(VOLUNTEERS)
    with override_settings(SECRET_KEY=cluster_secret(cluster)):
        code = codes.day_code(activity.pk, activity.start_date)
    body = {
        "code": code,
        "lat": float(activity.lat),
        "lng": float(activity.lng),
        "coord": "gcj02",
        "location_consent": True,
    }
    started = time.monotonic()
    checkins, retried_in = _burst(
        cluster, f"activities/{activity.pk}/checkin", tokens, body, kill=0, after=VOLUNTEERS // 3
    )
    assert set(checkins.values()) <= {"ok", "ok (retried)"}, checkins
    # The time they serve: every check-in 30 minutes earlier.
    Attendance.objects.filter(activity=activity).update(
        checked_in_at=timezone.now() - dt.timedelta(minutes=30)
    )
    checkouts, retried_out = _burst(
        cluster, f"activities/{activity.pk}/checkout", tokens, body, kill=1, after=VOLUNTEERS // 2
    )
    assert set(checkouts.values()) <= {"ok", "ok (retried)"}, checkouts
    elapsed = time.monotonic() - started

    rows = list(Attendance.objects.filter(activity=activity).values("volunteer_id", "pk", "hours"))
    assert len(rows) == VOLUNTEERS
    assert {r["volunteer_id"] for r in rows} == set(tokens)
    assert Attendance.objects.filter(activity=activity, checked_out_at__isnull=True).count() == 0
    credits = LedgerEntry.objects.filter(activity=activity, entry_type="credit")
    assert credits.count() == VOLUNTEERS
    assert set(credits.values_list("volunteer_id", flat=True)) == set(tokens)
    assert all(r["hours"] > 0 for r in rows)
    assert ledger_verify() == []
    print(f"burst: {elapsed:.1f} s, retried {retried_in} check-ins and {retried_out} check-outs")


# --- kill -9 of a worker during a batch of deliveries ----------------------------------------
def _enqueue_deliveries(redis_url: str, ids: list[int]) -> None:
    """What sms_send queues after commit, sent to the cluster's queue (its Redis) from here."""
    from threehours.core.jobs import OncePerSlotRedisHuey

    producer = OncePerSlotRedisHuey("threehours", url=redis_url)

    def delivery_send_task(delivery_id, task=None):  # the worker runs the real one
        raise AssertionError("runs in the worker")

    delivery_send_task.__module__ = "threehours.notifications.tasks"
    send = producer.task(
        retries=settings.NOTIFY_MAX_RETRIES,
        retry_delay=settings.NOTIFY_RETRY_DELAY_SECONDS,
        context=True,
    )(delivery_send_task)
    for delivery_id in ids:
        send(delivery_id)


def _wait(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_a_worker_killed_in_a_batch_of_deliveries_sends_each_once(cluster):
    from threehours.notifications import services
    from threehours.notifications.models import Delivery

    batch = 40
    rows = Delivery.objects.bulk_create(
        Delivery(channel="sms", to=f"1391234{i:04d}", body=f"cluster message {i:04d}")
        for i in range(batch)
    )
    ids = [row.pk for row in rows]
    _enqueue_deliveries(cluster.redis_url, ids)
    sent = Delivery.objects.filter(pk__in=ids, status="sent")
    _wait(lambda: sent.count() >= 8, 30, "the worker sends nothing")
    cluster.kill_worker(0)
    # What its threads had claimed: their jobs left the queue with the worker.
    stuck = set(Delivery.objects.filter(pk__in=ids, status="sending").values_list("pk", flat=True))
    assert stuck

    cluster.start_worker(0)
    _wait(
        lambda: (
            not Delivery.objects.filter(pk__in=ids, status__in=["pending", "sending"])
            .exclude(pk__in=stuck)
            .exists()
        ),
        40,
        "the queued deliveries were not sent after the restart",
    )
    assert set(Delivery.objects.filter(pk__in=stuck).values_list("status", flat=True)) == {
        "sending"
    }
    # The sweeper, as it runs 10 minutes later, hands back what the dead worker had claimed.
    later = timezone.now() + services.STALE_AFTER + dt.timedelta(seconds=1)
    requeued = services.delivery_requeue_stale(now=later)
    assert set(requeued) == stuck
    _enqueue_deliveries(cluster.redis_url, requeued)
    _wait(
        lambda: not Delivery.objects.filter(pk__in=ids, status__in=["pending", "sending"]).exists(),
        30,
        "the requeued deliveries were not sent",
    )

    outbox = Path(cluster.directory / "outbox" / "sms")  # THREEHOURS_OUTBOX_DIR of the cluster
    texts = [p.read_text(encoding="utf-8") for p in outbox.glob("*.txt")]
    for row in Delivery.objects.filter(pk__in=ids):
        copies = sum(1 for text in texts if f"cluster message {row.to[-4:]}" in text)
        if row.status == "sent":
            assert copies == 1, (row.pk, copies)
        else:
            assert row.status == "failed" and row.last_error, row.pk
    print(f"deliveries: {len(stuck)} claimed by the killed worker, {len(requeued)} requeued")
