"""The time windows of ratings (issue #15 §1): the services enforce them, the pages ask them
whether to show a button."""

from __future__ import annotations

import datetime as dt

from threehours.core.timeutil import local_tz

RATING_WINDOW_DAYS = 30
EDIT_WINDOW_DAYS = 7
EDIT_WINDOW = dt.timedelta(days=EDIT_WINDOW_DAYS)


def rating_window_open(*, activity, now: dt.datetime) -> bool:
    """True until RATING_WINDOW_DAYS days after the activity's last day, in Asia/Shanghai
    days: the 30th day after it still counts, the 31st does not."""
    return (now.astimezone(local_tz()).date() - activity.end_date).days <= RATING_WINDOW_DAYS


def edit_window_open(*, rating, now: dt.datetime) -> bool:
    """The author may change a rating for EDIT_WINDOW after writing it."""
    return now <= rating.created_at + EDIT_WINDOW
