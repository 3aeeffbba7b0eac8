"""What stops a person from logging in (disabled, closing, closed) and cancelling a closing."""

from __future__ import annotations

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from threehours.core.audit import audit_record
from threehours.core.errors import DomainError

from ..consent import policies_changes
from ..errors import AccountClosed, AccountClosing, AccountInactive, ConsentRequired
from ..models import Consent, User
from ..signals import closing_cancelled


def consent_required_for(kinds: list[str]) -> ConsentRequired:
    """The log-in refusal for documents not accepted yet; carries `kinds` and `changes` (what
    changed in each new version) for the page and the API."""
    names = "、".join(f"《{Consent.Kind(kind).label}》" for kind in kinds)
    error = ConsentRequired(
        _("Please read and agree to %(what)s to continue."),
        what=names,
        fields={"agree": [_("Please read and agree to %(what)s to continue.") % {"what": names}]},
    )
    error.kinds = list(kinds)  # type: ignore[attr-defined]
    error.changes = policies_changes(kinds)  # type: ignore[attr-defined]
    return error


def account_inactive(user: User) -> AccountInactive:
    if user.disabled_reason:
        return AccountInactive(
            _("This account was disabled by the platform: %(reason)s"),
            reason=user.disabled_reason,
        )
    return AccountInactive()


def login_refusal(user: User, *, cancel_closing: bool = False) -> DomainError | None:
    """Why `user` may not log in now, or None. With `cancel_closing` a closing account's
    closing is cancelled (in the caller's transaction) instead of refused."""
    if user.is_closed:
        return AccountClosed()
    if not user.is_active:
        return account_inactive(user)
    if user.is_closing:
        if cancel_closing:
            closing_cancel(user=user)
            return None
        assert user.closing_at is not None
        day = formats.date_format(timezone.localtime(user.closing_at), "Y-m-d")
        error = AccountClosing(date=day)
        error.user_id = user.pk  # type: ignore[attr-defined]
        return error
    return None


@transaction.atomic
def closing_cancel(*, user: User) -> User:
    """Cancel the requested closing of `user`'s account (its cooling-off period has not ended).
    Sends accounts.signals.closing_cancelled inside the transaction. A no-op when nothing is
    being closed."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_closing:
        return user
    locked.closing_at = None
    locked.save(update_fields=["closing_at"])
    user.closing_at = None
    audit_record(actor=locked, verb="account.closing_cancelled", target=locked)
    closing_cancelled.send(sender=User, user=locked)
    return user


def closing_cancel_login(*, user_id: int, agree: bool, ip: str | None) -> User:
    """The second step of a refused log-in of a closing account (web): the person proved who
    they are a moment ago (the view kept them in the session for this one step); cancel the
    closing and log them in. Raises ConsentRequired, AccountClosed, AccountInactive."""
    from ..consent import consents_missing, consents_record_documents

    with transaction.atomic(durable=True):
        user = User.objects.select_for_update().get(pk=user_id)
        missing = [] if user.is_staff else consents_missing(user)
        if missing and not agree:
            raise consent_required_for(missing)
        refusal = login_refusal(user, cancel_closing=True)
        if refusal is not None:
            raise refusal
        if missing:
            consents_record_documents(user=user, ip=ip)
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
    return user
