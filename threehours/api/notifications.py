"""The in-app inbox over the API."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema, Status

from threehours.core.errors import NotFound
from threehours.notifications import selectors, services

from .auth import token_auth
from .schemas import Id, Limit, errors

router = Router(tags=["inbox"], auth=token_auth)


class MessageOut(Schema):
    id: int
    title: str
    body: str
    link: str
    created_at: dt.datetime
    read: bool


class InboxOut(Schema):
    unread: int
    items: list[MessageOut]
    next_cursor: str | None


def _out(message) -> dict:
    return {
        "id": message.pk,
        "title": message.title,
        "body": message.body,
        "link": message.link,
        "created_at": message.created_at,
        "read": message.is_read,
    }


@router.get("/me/messages", response={200: InboxOut, **errors(400, 401)})
def inbox(request: HttpRequest, limit: Limit = 20, cursor: str | None = None):
    page = selectors.message_page(user=request.user, limit=limit, cursor=cursor)
    return {
        "unread": selectors.message_unread_count(user=request.user),
        "items": [_out(m) for m in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post("/me/messages/{message_id}/read", response={204: None, **errors(401, 404)})
def message_read(request: HttpRequest, message_id: Id):
    if not services.message_mark_read(user=request.user, message_id=message_id):
        raise NotFound()
    return Status(204, None)
