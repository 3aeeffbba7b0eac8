"""Operators write new versions of the user agreement and the privacy policy (issue #16 §1):
a draft is edited freely; publishing makes it the version in force (everybody is asked to
accept it at their next log-in) and read-only for ever."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput

from ..consent import policies_cache_clear
from ..errors import PolicyPublished
from ..models import PolicyDocument, User

BODY_MAX = 100_000


def _clean(*, title: str, body: str, changes: str) -> tuple[str, str, str]:
    title, body, changes = (title or "").strip(), (body or "").strip(), (changes or "").strip()
    fields: dict[str, list[str]] = {}
    if not title:
        fields["title"] = [_("Enter a title.")]
    elif len(title) > 100:
        fields["title"] = [_("At most 100 characters.")]
    if not body:
        fields["body_markdown"] = [_("Enter the text.")]
    elif len(body) > BODY_MAX:
        fields["body_markdown"] = [_("The text is too long.")]
    if len(changes) > 300:
        fields["changes"] = [_("At most 300 characters.")]
    if fields:
        raise InvalidInput(fields=fields)
    return title, body, changes


def policy_draft(*, kind: str, user: User) -> PolicyDocument:
    """The draft of the next version of `kind`: the one being written, or a new one starting
    from the current text. Raises InvalidInput (unknown kind)."""
    if kind not in PolicyDocument.Kind.values:
        raise InvalidInput(fields={"kind": [_("Unknown document.")]})
    with transaction.atomic(durable=True):
        draft = PolicyDocument.objects.filter(kind=kind, published_at__isnull=True).first()
        if draft is not None:
            return draft
        current = (
            PolicyDocument.objects.filter(kind=kind, published_at__isnull=False)
            .order_by("-version")
            .first()
        )
        top = PolicyDocument.objects.filter(kind=kind).aggregate(top=Max("version"))["top"]
        return PolicyDocument.objects.create(
            kind=kind,
            version=(top or 0) + 1,
            title=current.title if current else PolicyDocument.Kind(kind).label,
            body_markdown=current.body_markdown if current else "",
            created_by=user,
        )


@transaction.atomic(durable=True)
def policy_draft_save(
    *, document: PolicyDocument, title: str, body: str, changes: str, user: User
) -> PolicyDocument:
    """Save a draft. Raises PolicyPublished, InvalidInput."""
    locked = lock_one(PolicyDocument, pk=document.pk)
    if locked.published_at is not None:
        raise PolicyPublished()
    locked.title, locked.body_markdown, locked.changes = _clean(
        title=title, body=body, changes=changes
    )
    locked.save(update_fields=["title", "body_markdown", "changes"])
    audit_record(actor=user, verb="policy.draft_saved", target=locked)
    return locked


@transaction.atomic(durable=True)
def policy_publish(*, document: PolicyDocument, user: User) -> PolicyDocument:
    """Publish a draft: it is in force from now on, and every user is asked to accept it at
    their next log-in (their sessions stay valid). A version after the first must say what
    changed. Raises PolicyPublished, InvalidInput."""
    locked = lock_one(PolicyDocument, pk=document.pk)
    if locked.published_at is not None:
        raise PolicyPublished()
    _clean(title=locked.title, body=locked.body_markdown, changes=locked.changes)
    if locked.version > 1 and not locked.changes.strip():
        raise InvalidInput(
            fields={"changes": [_("Say what changed: users read it when asked to agree again.")]}
        )
    locked.published_at = timezone.now()
    locked.save(update_fields=["published_at"])
    audit_record(
        actor=user,
        verb="policy.published",
        target=locked,
        data={"kind": locked.kind, "version": locked.version},
    )
    policies_cache_clear()
    transaction.on_commit(policies_cache_clear)
    return locked
