"""Notification services: the in-app inbox and outgoing SMS / e-mail deliveries.

Invariants guarded here:
- every SMS and e-mail is a Delivery row written in the caller's transaction and handed to the
  job queue only after commit; nothing is sent for a transaction that rolled back;
- a delivery is claimed by compare-and-set (pending → sending), so two workers never send it
  twice; a failure is recorded on the row and retried; after the last retry it stays `failed`
  with its error (never lost silently); rows stuck in `sending` are handed back by a sweeper.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import Promise, lazy

from .backends import get_sms_backend
from .models import Delivery, Message

log = logging.getLogger(__name__)
STALE_AFTER = dt.timedelta(minutes=10)


def _schedule(delivery: Delivery) -> None:
    from .tasks import delivery_send_task

    transaction.on_commit(lambda: delivery_send_task(delivery.pk))


def sms_send(*, phone: str, text: str, user=None, sensitive: bool = False) -> Delivery:
    """Queue one SMS; it is sent after the caller's transaction commits."""
    delivery = Delivery.objects.create(
        channel=Delivery.Channel.SMS, to=phone, body=text, recipient=user, sensitive=sensitive
    )
    _schedule(delivery)
    return delivery


def email_send(*, to: str, subject: str, body: str, user=None) -> Delivery:
    """Queue one plain-text e-mail; it is sent after the caller's transaction commits."""
    delivery = Delivery.objects.create(
        channel=Delivery.Channel.EMAIL, to=to, subject=subject[:200], body=body, recipient=user
    )
    _schedule(delivery)
    return delivery


def recipient_language(user) -> translation.override:
    """Write to `user` in their own language (User.language), not in that of the request or job
    that caused the message: `with recipient_language(user): title = _("…")`."""
    language = getattr(user, "language", None)
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    return translation.override(language)


def _later(text, params) -> str:
    if params is None:
        return str(text)
    return str(text) % {k: _param(v) for k, v in params.items()}


def _param(value):
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return date_format(value, "DATE_FORMAT")
    return value


# `text % params`, translated only when read (dates in params too, in DATE_FORMAT): given to
# notify(), it reads in each recipient's language, so one composed message serves recipients
# of different languages.
message_later = lazy(_later, str)


def notify(
    *, user, title: str, body: str, link: str = "", sms: bool = False, email: bool = True
) -> Message:
    """Put a message in `user`'s inbox and, where the user has the address, send it by SMS
    and/or e-mail too. Lazy title and body (gettext_lazy, message_later) are read in the
    recipient's language."""
    with recipient_language(user):
        title, body = str(title), str(body)
    message = Message.objects.create(recipient=user, title=title[:120], body=body, link=link)
    if sms and user.phone:
        sms_send(phone=user.phone, text=f"{title}: {body}", user=user)
    if email and user.email and user.email_verified_at:
        text = body + (f"\n\n{settings.SITE_URL}{link}" if link else "")
        email_send(to=user.email, subject=title, body=text, user=user)
    return message


def message_mark_read(*, user, message_id: int) -> bool:
    """Mark one of `user`'s messages read; False when no such message is theirs."""
    message = Message.objects.filter(pk=message_id, recipient=user).first()
    if message is None:
        return False
    if message.read_at is None:
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now())
    return True


def message_mark_all_read(*, user) -> int:
    return Message.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def _deliver(delivery: Delivery) -> None:
    if delivery.channel == Delivery.Channel.SMS:
        get_sms_backend().send(phone=delivery.to, text=delivery.body)
    else:
        EmailMessage(
            subject=delivery.subject,
            body=delivery.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[delivery.to],
        ).send()


def delivery_attempt(*, delivery_id: int, final: bool) -> bool:
    """Try to send one delivery. Returns False when another worker has it or it is done.
    On failure records the error and re-raises (the queue retries); when `final`, the row
    is left `failed`."""
    now = timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return False
    delivery = Delivery.objects.get(pk=delivery_id)
    try:
        _deliver(delivery)
    except Exception as exc:
        status = Delivery.Status.FAILED if final else Delivery.Status.PENDING
        Delivery.objects.filter(pk=delivery_id).update(status=status, last_error=repr(exc)[:2000])
        log.warning(
            "delivery failed",
            extra={
                "delivery": delivery_id,
                "channel": delivery.channel,
                "attempt": delivery.attempts,
                "final": final,
                "error": repr(exc),
            },
        )
        raise
    update = {"status": Delivery.Status.SENT, "sent_at": timezone.now(), "last_error": ""}
    if delivery.sensitive:
        update["body"] = "[redacted]"
    Delivery.objects.filter(pk=delivery_id).update(**update)
    return True


def delivery_requeue_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Hand back deliveries that no worker finished (worker stopped mid-send, killed outright,
    queue lost): pending or sending for longer than STALE_AFTER. Returns their ids, to be queued
    again. A stale row that has used every attempt (NOTIFY_MAX_RETRIES + 1) is marked failed with
    its error instead, so that a message whose sending kills its worker is not tried forever and
    none stays pending silently (issue #17 §4)."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    spent = settings.NOTIFY_MAX_RETRIES + 1
    stale = Q(status=Delivery.Status.SENDING, claimed_at__lt=cutoff) | Q(
        status=Delivery.Status.PENDING, created_at__lt=cutoff
    )
    with transaction.atomic():
        Delivery.objects.filter(stale, status=Delivery.Status.SENDING, attempts__gte=spent).update(
            status=Delivery.Status.FAILED,
            last_error="the worker stopped while sending, on its last attempt",
        )
        Delivery.objects.filter(
            stale, status=Delivery.Status.PENDING, attempts__gte=spent, last_error=""
        ).update(status=Delivery.Status.FAILED, last_error="no attempt left")
        Delivery.objects.filter(stale, status=Delivery.Status.PENDING, attempts__gte=spent).update(
            status=Delivery.Status.FAILED
        )
        ids = list(Delivery.objects.filter(stale).values_list("pk", flat=True)[:500])
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.PENDING
        )
    return ids
