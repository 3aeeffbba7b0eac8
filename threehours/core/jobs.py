"""The job queue's class: huey on Redis whose periodic tasks run once per schedule slot however
many workers run (issue #17).

Every `threehours worker` runs huey's scheduler, and each scheduler enqueues every periodic task
whose crontab matches the minute: with three workers a nightly job would run three times. Here
the scheduler first takes a Redis key per task and minute (SET NX with an expiry); only the
scheduler that sets it enqueues the task, the others skip it. A worker that dies after taking the
key loses that slot's run (the next slot runs as usual); every periodic job here is idempotent
and catches up on what the missed run would have done.

Without Redis (SQLite demo, huey's immediate mode) there is one worker and this does nothing.
"""

from __future__ import annotations

import logging
import os
import socket

from huey import PriorityRedisHuey

log = logging.getLogger(__name__)

# A slot's key outlives any skew between the workers' clocks (they tick at the minute).
SLOT_KEY_SECONDS = 3600


def slot_key(queue: str, task_name: str, timestamp) -> str:
    """The Redis key that decides which scheduler enqueues `task_name` for the minute of
    `timestamp` (a datetime as huey's scheduler reads it)."""
    return f"huey.{queue}.periodic.{task_name}.{timestamp:%Y%m%d%H%M}"


class OncePerSlotRedisHuey(PriorityRedisHuey):
    """PriorityRedisHuey whose schedulers agree, through Redis, on which one enqueues each
    periodic task for each minute."""

    def read_periodic(self, timestamp):
        if timestamp is None:
            timestamp = self._get_timestamp()
        due = super().read_periodic(timestamp)
        conn = getattr(self.storage, "conn", None)
        if not due or conn is None:  # immediate mode swaps in a memory storage
            return due
        owner = f"{socket.gethostname()}:{os.getpid()}"
        mine = []
        for task in due:
            key = slot_key(self.name, task.name, timestamp)
            try:
                taken = conn.set(key, owner, nx=True, ex=SLOT_KEY_SECONDS)
            except Exception:
                # Redis is the queue too: if it refuses, nothing would be enqueued anyway.
                log.exception("Could not take the periodic slot %s", key)
                continue
            if taken:
                mine.append(task)
            else:
                log.info("Periodic task %s already enqueued by another worker (%s).", task, key)
        return mine
