"""Disabling and re-enabling an account by an operator (issue #16 §6).

Invariants guarded here:
- the reason is required, 2–200 characters, and is kept on the account and in the audit log;
- an operator cannot disable themselves or another operator; a closed account cannot be
  disabled or re-enabled (there is nobody left to tell);
- disabling ends every page session (is_active=False: Django's backend refuses inactive users
  on every request) and every API token (revoked); the person is told in their inbox, and by
  SMS when they have a phone, in their own language;
- registrations stay as they were: a disabled volunteer cannot log in, so cannot check in;
  staff see the registration and decide (cancelling them would reach up into signups, a higher
  floor, and would not come back on re-enabling).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput

from ..errors import AccountWrongState, CannotDisableOperator
from ..models import User
from .tokens import sign_out_everywhere

REASON_MIN, REASON_MAX = 2, 200


def _reason_clean(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise InvalidInput(
            fields={
                "reason": [
                    _("Please give a reason of %(min)s to %(max)s characters.")
                    % {"min": REASON_MIN, "max": REASON_MAX}
                ]
            }
        )
    return reason


def _tell(user: User, title, body, reason: str) -> None:
    from threehours.notifications.services import message_later, notify

    notify(user=user, title=title, body=message_later(body, {"reason": reason}), sms=True)


@transaction.atomic(durable=True)
def account_disable(*, user: User, reason: str, actor: User) -> User:
    """Disable `user` with a reason: sessions and tokens end, the person is told, audited.
    Locks the user row. Raises InvalidInput (reason), CannotDisableOperator,
    AccountWrongState (already disabled, or closed)."""
    reason = _reason_clean(reason)
    if user.pk == actor.pk or user.is_staff or user.is_superuser:
        raise CannotDisableOperator()
    user = lock_one(User, pk=user.pk)
    if user.is_closed:
        raise AccountWrongState(state=pgettext("account state", "closed"))
    if not user.is_active:
        raise AccountWrongState(state=pgettext("account state", "disabled already"))
    user.is_active, user.disabled_reason = False, reason
    user.save(update_fields=["is_active", "disabled_reason"])
    revoked = sign_out_everywhere(user=user)
    audit_record(
        actor=actor,
        verb="account.disabled",
        target=user,
        data={"reason": reason, "tokens_revoked": revoked},
    )
    _tell(
        user,
        gettext_lazy("Your account has been disabled"),
        gettext_lazy(
            "The platform has disabled your account. Reason: %(reason)s. "
            "Contact the platform if you think this is a mistake."
        ),
        reason,
    )
    return user


@transaction.atomic(durable=True)
def account_enable(*, user: User, reason: str, actor: User) -> User:
    """Re-enable a disabled account with a reason; the person is told, audited. Locks the user
    row. Raises InvalidInput (reason), AccountWrongState (not disabled, or closed)."""
    reason = _reason_clean(reason)
    user = lock_one(User, pk=user.pk)
    if user.is_closed:
        raise AccountWrongState(state=pgettext("account state", "closed"))
    if user.is_active:
        raise AccountWrongState(state=pgettext("account state", "active"))
    user.is_active, user.disabled_reason = True, ""
    user.save(update_fields=["is_active", "disabled_reason"])
    audit_record(actor=actor, verb="account.enabled", target=user, data={"reason": reason})
    _tell(
        user,
        gettext_lazy("Your account is enabled again"),
        gettext_lazy("The platform has enabled your account again. Reason: %(reason)s."),
        reason,
    )
    return user
