"""What a volunteer's own check-in or check-out proves (presence, identity, position),
and the record of every attempt."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from threehours.accounts.consent import consent_require
from threehours.accounts.errors import ConsentRequired
from threehours.accounts.models import Consent, User
from threehours.activities.models import Activity
from threehours.core.db import (
    insert_one,
    lock_one,
)
from threehours.core.errors import InvalidInput
from threehours.core.geo import distance_m, wgs84_to_gcj02
from threehours.signups.models import Signup

from .. import codes
from ..errors import (
    BadCode,
    IdentityFailed,
    IdentityGreenChannel,
    OutsideRadius,
    PositionRequired,
    ProofRequired,
    QrExpired,
    QrOnly,
    TooManyWrongCodes,
)
from ..identity import GREEN_CHANNEL_AFTER, identity_provider
from ..models import Attempt, Method
from .daycode import (
    _code_state,
    _day_code_wrong,
    _seconds_to_midnight,
    _tell_staff_rotated,
    _wrong_codes,
)

ACCURACY_MAX_M = 1_000_000


@dataclass
class Proof:
    """What the volunteer's phone sends: a QR token or a code, the position, and (with an
    identity provider) the identity evidence."""

    qr_token: str = ""
    code: str = ""
    lat: Decimal | None = None
    lng: Decimal | None = None
    coord: str = "wgs84"
    accuracy: Decimal | None = None  # metres, as the phone reports it
    identity: str = ""
    user_agent: str = ""
    # The separate consents given with this request (issue #16 §1): to use the position, and
    # to the identity check; without them, a consent given before is needed.
    location_consent: bool = False
    face_consent: bool = False
    ip: str | None = None

    def invalid_fields(self) -> dict[str, list[str]]:
        """The numbers that cannot be used, by field (issue #12 §6): not finite, or out of
        the range a position or an accuracy can have. A client may send NaN or 1e308."""
        errors: dict[str, list[str]] = {}
        for field, value, low, high in (
            ("lat", self.lat, -90, 90),
            ("lng", self.lng, -180, 180),
            ("accuracy", self.accuracy, 0, ACCURACY_MAX_M),
        ):
            if value is not None and not (value.is_finite() and low <= value <= high):
                errors[field] = [
                    _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
                ]
        return errors

    @property
    def accuracy_m(self) -> int | None:
        if self.accuracy is None or not self.accuracy.is_finite():
            return None
        return int(min(max(self.accuracy, 0), ACCURACY_MAX_M))


@dataclass
class _Log:
    method: str = ""
    distance: int | None = None


def _presence(
    activity: Activity,
    volunteer: User,
    day: dt.date,
    proof: Proof,
    now,
    log: _Log,
    *,
    signup: Signup,
    action: str,
):
    """A valid QR token or the day's code (of its current generation). With "QR only" the
    code is refused unless the green channel is open. Raises QrExpired, ProofRequired,
    QrOnly, BadCode, TooManyWrongCodes."""
    if proof.qr_token and codes.qr_token_valid(proof.qr_token, activity_id=activity.pk, day=day):
        log.method = Method.QR
        return
    if proof.code:
        if activity.checkin_qr_only and not _green_channel_open(activity, volunteer, day):
            raise QrOnly()
        state = _code_state(activity, volunteer, signup, day)
        if state.wrong >= settings.CHECKIN_CODE_MAX_WRONG:
            raise TooManyWrongCodes(retry_after=_seconds_to_midnight(now))
        expected = codes.day_code(activity.pk, day, state.generation)
        if not hmac.compare_digest(proof.code.strip(), expected):
            _wrong_code(activity, volunteer, day, proof, now, log, signup=signup, action=action)
        log.method = Method.CODE
        return
    if proof.qr_token:
        raise QrExpired()
    raise ProofRequired()


def _wrong_code(activity, volunteer, day, proof, now, log, *, signup: Signup, action: str):
    """Count the day's wrong codes and record this one in one transaction, holding the
    registration's row lock (PostgreSQL; SQLite's IMMEDIATE transaction serialises anyway):
    wrong codes sent in parallel would otherwise all count fewer than the limit and all be
    let through to guess. The activity-day's count across all volunteers moves in the same
    transaction; past CHECKIN_CODE_ROTATE_AFTER the code rotates and staff are told.
    Raises TooManyWrongCodes, or BadCode already on record."""
    rotated = None
    with transaction.atomic():
        lock_one(Signup, pk=signup.pk)
        limited = _wrong_codes(activity, volunteer, day) >= settings.CHECKIN_CODE_MAX_WRONG
        if not limited:
            _record(activity, volunteer, day, action, BadCode.code, proof, log)
            rotated = _day_code_wrong(activity, day, now)
    if rotated is not None:
        _tell_staff_rotated(activity, rotated)
    if limited:
        raise TooManyWrongCodes(retry_after=_seconds_to_midnight(now))
    error = BadCode()
    error.recorded = True  # type: ignore[attr-defined]
    raise error


def _green_channel_open(activity: Activity, volunteer: User, day: dt.date) -> bool:
    """The guide's green channel: an identity provider is on and the volunteer failed its
    check twice that day; then the code from staff is accepted."""
    if identity_provider() is None:
        return False
    return _identity_failures(activity, volunteer, day) >= GREEN_CHANNEL_AFTER


def _identity_failures(activity: Activity, volunteer: User, day: dt.date) -> int:
    return Attempt.objects.filter(
        activity=activity, volunteer=volunteer, day=day, result=IdentityFailed.code
    ).count()


def _identity(activity: Activity, volunteer: User, day: dt.date, proof: Proof, log: _Log) -> None:
    """With an identity provider: the evidence must pass, or — after two failures that day —
    the code from staff opens the green channel. Raises IdentityFailed."""
    provider = identity_provider()
    if provider is None:
        return
    if proof.identity and provider.verify(volunteer, proof.identity):
        return
    failures = _identity_failures(activity, volunteer, day)
    if failures >= GREEN_CHANNEL_AFTER and log.method == Method.CODE:
        log.method = Method.GREEN
        return
    if failures + 1 >= GREEN_CHANNEL_AFTER:
        raise IdentityGreenChannel()
    raise IdentityFailed()


def _on_site(activity, volunteer, signup, day, proof: Proof, now, log: _Log, action: str) -> None:
    """What a volunteer's own check-in or check-out must prove: presence (QR token or code),
    identity, position. Raises InvalidInput (a number that cannot be used), and as
    _presence, _identity and _position."""
    invalid = proof.invalid_fields()
    if invalid:
        raise InvalidInput(fields=invalid)
    _consents(volunteer, proof, known=getattr(signup, "location_consented", None))
    _presence(activity, volunteer, day, proof, now, log, signup=signup, action=action)
    _identity(activity, volunteer, day, proof, log)
    _position(activity, proof, log)


def _consents(volunteer: User, proof: Proof, *, known: bool | None = None) -> None:
    """The separate consents (PIPL Art. 14, 29): a position is used only with the `location`
    consent, an identity check is made only with the `face` consent (when a provider is on).
    A position sent without consent is dropped before anything records it.
    Raises ConsentRequired."""
    if proof.lat is not None or proof.lng is not None:
        try:
            consent_require(
                user=volunteer,
                kind=Consent.Kind.LOCATION,
                given=proof.location_consent,
                ip=proof.ip,
                known=known,
            )
        except ConsentRequired:
            proof.lat = proof.lng = proof.accuracy = None
            raise
    if identity_provider() is not None:
        consent_require(
            user=volunteer, kind=Consent.Kind.FACE, given=proof.face_consent, ip=proof.ip
        )


def _position(activity: Activity, proof: Proof, log: _Log) -> None:
    """Offline activities: the position must be within the radius (WGS-84 from browsers is
    converted to GCJ-02 first). Raises PositionRequired, OutsideRadius."""
    if activity.online:
        return
    if proof.lat is None or proof.lng is None:
        raise PositionRequired()
    lat, lng = float(proof.lat), float(proof.lng)
    if proof.coord == "wgs84":
        lat, lng = wgs84_to_gcj02(lat, lng)
    distance = distance_m(lat, lng, float(activity.lat), float(activity.lng))
    log.distance = round(distance)
    if distance > activity.checkin_radius_m:
        raise OutsideRadius(distance=round(distance), radius=activity.checkin_radius_m)


def _record(
    activity: Activity,
    volunteer: User,
    day: dt.date,
    action: str,
    result: str,
    proof: Proof | None,
    log: _Log,
    actor: User | None = None,
) -> None:
    # insert_one: every check-in and check-out writes one; compiling the ORM's INSERT cost
    # more CPU than the database spent on it (core.db.insert_one).
    insert_one(_attempt(activity, volunteer, day, action, result, proof, log, actor))


def _attempt(activity, volunteer, day, action, result, proof, log, actor=None) -> Attempt:
    return Attempt(
        activity=activity,
        volunteer=volunteer,
        actor=actor,
        day=day,
        action=action,
        method=log.method,
        result=result,
        lat=_storable(proof.lat, 90) if proof else None,
        lng=_storable(proof.lng, 180) if proof else None,
        coord=proof.coord if proof and proof.lat is not None else "",
        accuracy_m=proof.accuracy_m if proof else None,
        distance_m=log.distance,
        user_agent=(proof.user_agent if proof else "")[:300],
    )


def _storable(value: Decimal | None, limit: int) -> Decimal | None:
    """A coordinate as the attempt keeps it: none when it is not a usable number (the refusal
    says which field was wrong; the row still records the attempt)."""
    if value is None or not value.is_finite() or abs(value) > limit:
        return None
    return round(value, 6)
