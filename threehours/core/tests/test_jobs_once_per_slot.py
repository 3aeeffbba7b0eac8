"""Periodic tasks run once per schedule slot however many workers run (issue #17 §2): two
huey schedulers, as two `threehours worker` processes run them, against the real Redis."""

import datetime
import threading
import uuid

import pytest
from huey import crontab
from huey.consumer import Scheduler

from threehours.core.jobs import OncePerSlotRedisHuey

REDIS = "redis://127.0.0.1:6379/6"


@pytest.fixture
def queue_name():
    name = f"th-test-{uuid.uuid4().hex[:8]}"
    yield name
    huey = OncePerSlotRedisHuey(name, url=REDIS)
    conn = huey.storage.conn
    for key in conn.scan_iter(f"huey.{name}.*"):
        conn.delete(key)
    huey.storage.flush_all()


def worker(name):
    """A huey like each worker process builds, with the project's two kinds of periodic task."""
    huey = OncePerSlotRedisHuey(name, url=REDIS)

    @huey.periodic_task(crontab(minute="*"), name="every_minute")
    def every_minute():
        return None

    @huey.periodic_task(crontab(hour="3", minute="30"), name="nightly")
    def nightly():
        return None

    scheduler = Scheduler(huey, threading.Event(), interval=1, periodic=True)
    return huey, scheduler


def enqueued(huey):
    return sorted(task.name for task in huey.pending())


def test_two_schedulers_enqueue_each_slot_once(queue_name):
    (huey_a, sched_a), (huey_b, sched_b) = worker(queue_name), worker(queue_name)
    at_330 = datetime.datetime(2026, 12, 8, 3, 30, 0)
    sched_a.enqueue_periodic_tasks(at_330)
    sched_b.enqueue_periodic_tasks(at_330 + datetime.timedelta(seconds=2))  # ticks a bit later
    assert enqueued(huey_a) == ["every_minute", "nightly"]

    # The next minute: the every-minute task again, once; the nightly one not at all.
    sched_b.enqueue_periodic_tasks(at_330 + datetime.timedelta(minutes=1))
    sched_a.enqueue_periodic_tasks(at_330 + datetime.timedelta(minutes=1, seconds=1))
    assert enqueued(huey_b) == ["every_minute", "every_minute", "nightly"]


def test_without_the_lock_each_scheduler_would_enqueue(queue_name):
    """What the lock prevents: huey's own class enqueues the slot once per scheduler."""
    from huey import PriorityRedisHuey

    hueys = [PriorityRedisHuey(queue_name, url=REDIS) for _ in range(2)]
    for huey in hueys:
        huey.periodic_task(crontab(minute="*"), name="every_minute")(lambda: None)
        Scheduler(huey, threading.Event(), 1, True).enqueue_periodic_tasks(
            datetime.datetime(2026, 12, 8, 3, 31)
        )
    assert sorted(task.name for task in hueys[0].pending()) == ["every_minute", "every_minute"]


def test_immediate_mode_runs_as_today(queue_name):
    huey = OncePerSlotRedisHuey(queue_name, url=REDIS, immediate=True)
    huey.periodic_task(crontab(minute="*"), name="every_minute")(lambda: None)
    at = datetime.datetime(2026, 12, 8, 3, 32)
    assert [t.name for t in huey.read_periodic(at)] == ["every_minute"]
    assert [t.name for t in huey.read_periodic(at)] == ["every_minute"]


def test_the_project_queue_is_the_once_per_slot_class_with_redis():
    from django.conf import settings

    if settings.REDIS_URL:
        assert settings.HUEY["huey_class"] == "threehours.core.jobs.OncePerSlotRedisHuey"
