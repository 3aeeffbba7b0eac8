from __future__ import annotations

import datetime as dt

from threehours.core.pagination import Page, keyset_page

from .models import Message


def message_page(*, user, limit: int = 20, cursor: str | None = None) -> Page:
    return keyset_page(
        Message.objects.filter(recipient=user),
        order=("-created_at", "-pk"),
        limit=limit,
        cursor=cursor,
        parsers={"created_at": dt.datetime.fromisoformat},
    )


def message_unread_count(*, user) -> int:
    return Message.objects.filter(recipient=user, read_at__isnull=True).count()
