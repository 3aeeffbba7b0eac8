"""Consent (issue #16 §1; PIPL Art. 13–14, 23, 29, 31): the user agreement and the privacy
policy a person accepts at log-in, and the separate consents asked right before the act that
needs them (ID number, location at check-in, face check, a child's data, sharing registration
data with an organiser).

Rules:
- no account is created and nobody logs in before accepting the CURRENT published version of
  both documents (a new version asks again at the next log-in; sessions stay valid);
- a consent is given to one version of one thing, with time and IP; giving it again is a no-op;
  a version that is not the current one is refused (`consent_version_outdated`);
- the separate consents can be withdrawn (the row stays, `withdrawn_at` set); the act then asks
  again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from threehours.core.audit import audit_record

from .errors import ConsentNotWithdrawable, ConsentRequired, ConsentVersionOutdated, InvalidKind
from .models import Consent, PolicyDocument, User

DOCUMENT_KINDS = (Consent.Kind.TERMS, Consent.Kind.PRIVACY)

# The version of each separate consent's text (the screens that ask for it). Raise one when the
# text changes in substance: everybody is asked again.
CONSENT_VERSIONS: dict[str, int] = {
    Consent.Kind.ID_NUMBER: 1,
    Consent.Kind.LOCATION: 1,
    Consent.Kind.FACE: 1,
    Consent.Kind.CHILD: 1,
    Consent.Kind.SHARE_WITH_ORG: 1,
}
SEPARATE_KINDS = tuple(CONSENT_VERSIONS)

_CACHE_KEY = "accounts:policies:current:v1"
_CACHE_SECONDS = 30


@dataclass(frozen=True)
class CurrentPolicy:
    kind: str
    version: int
    title: str
    changes: str
    published_at: dt.datetime


# --- reads ------------------------------------------------------------------------------------


def policies_current() -> dict[str, CurrentPolicy]:
    """The published version in force of each document, by kind (cached for a few seconds in
    the Django cache; publishing clears it). A kind with nothing published is missing."""
    found = cache.get(_CACHE_KEY)
    if found is None:
        found = {}
        for kind in DOCUMENT_KINDS:
            doc = (
                PolicyDocument.objects.filter(kind=kind, published_at__isnull=False)
                .order_by("-published_at", "-version")
                .only("kind", "version", "title", "changes", "published_at")
                .first()
            )
            if doc is not None:
                found[kind] = CurrentPolicy(
                    kind=doc.kind,
                    version=doc.version,
                    title=doc.title,
                    changes=doc.changes,
                    published_at=doc.published_at,
                )
        cache.set(_CACHE_KEY, found, _CACHE_SECONDS)
    return found


def policies_cache_clear() -> None:
    cache.delete(_CACHE_KEY)


def current_version(kind: str) -> int | None:
    """The version a consent to `kind` must name today; None for a document not published."""
    if kind in DOCUMENT_KINDS:
        policy = policies_current().get(kind)
        return policy.version if policy else None
    return CONSENT_VERSIONS.get(kind)


def consents_missing(user: User | None) -> list[str]:
    """The documents (terms, privacy) whose current version `user` has not accepted; both for
    a person without an account yet (None). One query."""
    current = policies_current()
    if user is None or user.pk is None:
        return [kind for kind in DOCUMENT_KINDS if kind in current]
    given = set(
        Consent.objects.filter(
            user=user, kind__in=list(current), withdrawn_at__isnull=True
        ).values_list("kind", "version")
    )
    return [kind for kind, policy in current.items() if (kind, policy.version) not in given]


def policies_changes(kinds: list[str]) -> list[CurrentPolicy]:
    """The current versions of `kinds`, to tell a returning user what changed."""
    current = policies_current()
    return [current[kind] for kind in kinds if kind in current]


def has_consent(user: User, kind: str) -> bool:
    """Whether `user` gave (and did not withdraw) the current version of `kind`. One indexed
    query (consent_user_kind_version_unique)."""
    version = current_version(kind)
    if version is None or user.pk is None:
        return False
    return Consent.objects.filter(
        user=user, kind=kind, version=version, withdrawn_at__isnull=True
    ).exists()


def consents_of(user: User) -> list[Consent]:
    """My consents, newest first (the 我的 page and GET /me/consents)."""
    return list(Consent.objects.filter(user=user).order_by("-given_at", "kind"))


# --- writes -----------------------------------------------------------------------------------


def _kind_clean(kind: str) -> str:
    if kind not in Consent.Kind.values:
        raise InvalidKind(fields={"kind": [str(InvalidKind.default_message)]})
    return kind


def _record(*, user: User, kind: str, version: int, ip: str | None, now: dt.datetime) -> None:
    """Give (or give again after withdrawing) one consent: one statement (an insert that
    updates the row already there), so a consent given twice at once is one row."""
    Consent.objects.bulk_create(
        [Consent(user=user, kind=kind, version=version, given_at=now, ip=ip)],
        update_conflicts=True,
        unique_fields=["user", "kind", "version"],
        update_fields=["given_at", "withdrawn_at", "ip"],
    )


def consents_record_documents(*, user: User, ip: str | None) -> None:
    """Record the acceptance of the current version of both documents. Call inside the log-in's
    transaction (the account and its consents are written together)."""
    now = timezone.now()
    for kind, policy in policies_current().items():
        _record(user=user, kind=kind, version=policy.version, ip=ip, now=now)


def consent_give(*, user: User, kind: str, version: int, ip: str | None = None) -> Consent:
    """Record `user`'s consent to `version` of `kind` (idempotent). Raises InvalidInput
    (code invalid_kind), ConsentVersionOutdated (not the current version)."""
    kind = _kind_clean(kind)
    current = current_version(kind)
    if current is None or version != current:
        raise ConsentVersionOutdated(kind=Consent.Kind(kind).label, version=current or "—")
    _record(user=user, kind=kind, version=version, ip=ip, now=timezone.now())
    return Consent.objects.get(user=user, kind=kind, version=version)


def consent_require(
    *, user: User, kind: str, given: bool, ip: str | None = None, known: bool | None = None
) -> None:
    """The separate consent `kind` before the act that needs it: record it when the request
    gives it (`given`), else the user must have given the current version before (`known`:
    the caller read that already, e.g. with the check-in's registration).
    Raises ConsentRequired (naming what is needed). One indexed query without `given` (none
    with `known`), one write with it unless `known` says it is on record already."""
    version = CONSENT_VERSIONS[kind]
    if given:
        if not known:  # a client that always sends the flag writes it once, not every time
            _record(user=user, kind=kind, version=version, ip=ip, now=timezone.now())
        return
    if not (known if known is not None else has_consent(user, kind)):
        raise ConsentRequired(
            what=str(Consent.Kind(kind).label), fields={"consent": [consent_reason(kind)]}
        )


def consent_reason(kind: str) -> str:
    """One line: what the separate consent allows (shown with a refusal)."""
    return {
        Consent.Kind.ID_NUMBER: _(
            "Please agree to the processing of your ID number (sensitive personal information)."
        ),
        Consent.Kind.LOCATION: _(
            "Please agree to the use of your position at check-in, or check in with the code "
            "from staff."
        ),
        Consent.Kind.FACE: _("Please agree to the identity check before it is made."),
        Consent.Kind.CHILD: _("Please agree to the processing of your child's data."),
        Consent.Kind.SHARE_WITH_ORG: _(
            "Please agree that your registration data goes to the organiser."
        ),
    }.get(kind, _("Please agree first."))


@transaction.atomic
def consent_withdraw(*, user: User, kind: str) -> int:
    """Withdraw a separate consent (all its versions); the act that needs it asks again.
    The documents cannot be withdrawn here (that is closing the account).
    Raises InvalidInput (invalid_kind), ConsentNotWithdrawable."""
    kind = _kind_clean(kind)
    if kind in DOCUMENT_KINDS:
        raise ConsentNotWithdrawable()
    count = Consent.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    if count:
        audit_record(actor=user, verb="consent.withdrawn", target=user, data={"kind": kind})
    return count


def policy_published(*, kind: str, version: int | None = None) -> PolicyDocument | None:
    """A published version of a document (the current one without `version`)."""
    docs = PolicyDocument.objects.filter(kind=kind, published_at__isnull=False)
    if version is not None:
        return docs.filter(version=version).first()
    return docs.order_by("-published_at", "-version").first()


def policy_versions(*, kind: str) -> list[PolicyDocument]:
    """The published versions of a document, newest first (without their text)."""
    return list(
        PolicyDocument.objects.filter(kind=kind, published_at__isnull=False)
        .order_by("-version")
        .only("kind", "version", "title", "changes", "published_at")
    )


def consent_screen(kind: str, *, organisation: str = "") -> dict[str, str]:
    """What a separate consent screen says (PIPL Art. 17, 30): what is processed, why, who sees
    it and how long it is kept."""
    texts: dict[str, dict[str, str]] = {
        Consent.Kind.ID_NUMBER: {
            "title": _("Consent to process your ID number"),
            "what": _(
                "Your real name and resident ID number (sensitive personal information), and "
                "the birth date it contains."
            ),
            "why": _(
                "To issue service-hour certificates in your name, to check the age rules of "
                "activities, and to keep one account per person."
            ),
            "who": _(
                "Organisations you register with see your real name; the ID number is stored "
                "encrypted and shown only masked (e.g. 110101********1234)."
            ),
            "how_long": _(
                "Until you change it or close your account; then it is erased and the number "
                "released."
            ),
        },
        Consent.Kind.LOCATION: {
            "title": _("Consent to use your position at check-in"),
            "what": _(
                "Your phone's position at the moment you check in or out, and its distance to "
                "the activity's place."
            ),
            "why": _(
                "To confirm you are at the activity's place, so that your service hours can be "
                "credited."
            ),
            "who": _("The activity's organiser and, for complaints, platform operators."),
            "how_long": _(
                "Only the snapshot at check-in/out is kept with the attendance record; your "
                "position is never followed at other times. Without this consent you can ask "
                "staff to check you in."
            ),
        },
        Consent.Kind.FACE: {
            "title": _("Consent to the identity check"),
            "what": _("A photo of your face taken at check-in, compared with your identity."),
            "why": _("To make sure the registered volunteer is the one who checks in."),
            "who": _("The identity check service; the organiser sees only the result."),
            "how_long": _("The photo is not kept after the check; the result is kept."),
        },
        Consent.Kind.CHILD: {
            "title": _("Consent to process your child's data"),
            "what": _(
                "Your child's name, birth date and, at parent-child activities, check-in photos."
            ),
            "why": _("To register your child for parent-child activities and record their hours."),
            "who": _("The organisers of the activities you register your child for."),
            "how_long": _(
                "Until you remove the child; check-in photos are deleted after their period."
            ),
        },
        Consent.Kind.SHARE_WITH_ORG: {
            "title": _("Consent to share your registration with the organiser"),
            "what": _("Your name, masked phone number and your answers to the questions."),
            "why": _("So that the organiser can plan the activity and contact you if needed."),
            "who": organisation
            or _("The organisation of each activity you register for (asked once)."),
            "how_long": _(
                "The organiser keeps the registration with its volunteer-service records, as "
                "the national rules require; your full phone number is shown to them only "
                "when they must call you, and every such view is recorded."
            ),
        },
    }
    return {"kind": kind, **texts[kind]}


def consent_record(*, user: User, kind: str, ip: str | None = None) -> None:
    """Record a separate consent another app's service has obtained (the family's guardian
    consent): the current version of `kind`, now. Call inside that service's transaction."""
    _record(user=user, kind=kind, version=CONSENT_VERSIONS[kind], ip=ip, now=timezone.now())
