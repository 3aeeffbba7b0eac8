"""Writes of the incentive catalogue: incentives, their codes, and redemption.

Redemption is exactly-once under concurrency (issue #15 §5): in one transaction the stock is
taken by a conditional UPDATE (`stock_left = stock_left - 1 WHERE stock_left > 0`, so it never
goes negative and never oversells), one free code is claimed (PostgreSQL: FOR UPDATE SKIP
LOCKED; SQLite serialises writers at BEGIN IMMEDIATE), and the redemption row is written, whose
unique key (incentive, volunteer, period) refuses a second code for one limit period even when
the same volunteer's requests race."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from threehours.accounts.models import User
from threehours.activities.sanitize import sanitize_description
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.core.timeutil import local_today
from threehours.hours.selectors import service_hours_by_org
from threehours.hours.services import hours_totals
from threehours.notifications.services import message_later, notify
from threehours.orgs.models import Organisation

from . import errors
from .models import Incentive, IncentiveCode, Redemption

HOURS_MAX = Decimal("100000")
STOCK_MAX = 100_000
CODE_VALID_DAYS_MAX = 3660
CODE_RE = re.compile(r"[A-Za-z0-9_-]{4,64}")
# Generated codes: no 0/O, 1/I/L, so that a code read aloud or typed from a screen works.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


@dataclass
class IncentiveData:
    title: str
    partner: str
    hours_required: Decimal
    valid_from: dt.date
    valid_until: dt.date
    description: str = ""
    per_volunteer_limit: str = Incentive.Limit.ONCE
    code_valid_days: int = 30
    requires_real_name: bool = False


def hours_parse(value, *, field: str = "hours_required") -> Decimal:
    """A number of hours from 0 to HOURS_MAX with at most one decimal; NaN, infinities,
    negative and huge numbers are refused. Raises InvalidInput."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(fields={field: [_("Enter a number of hours.")]}) from exc
    if not number.is_finite() or number < 0 or number > HOURS_MAX:
        raise InvalidInput(
            fields={field: [_("Enter a number of hours from 0 to %(max)s.") % {"max": HOURS_MAX}]}
        )
    if number != number.quantize(Decimal("0.1")):
        raise InvalidInput(fields={field: [_("Use at most one decimal.")]})
    return number.quantize(Decimal("0.1"))


def _clean(data: IncentiveData) -> dict:
    fields: dict[str, list[str]] = {}
    title = (data.title or "").strip()
    partner = (data.partner or "").strip()
    if not title or len(title) > 80:
        fields["title"] = [_("Enter a title of at most 80 characters.")]
    if not partner or len(partner) > 80:
        fields["partner"] = [_("Enter the partner's name (at most 80 characters).")]
    try:
        hours = hours_parse(data.hours_required)
    except InvalidInput as exc:
        fields.update(exc.fields or {})
        hours = Decimal("0")
    if data.valid_until < data.valid_from:
        fields["valid_until"] = [_("The last day cannot be before the first day.")]
    if data.per_volunteer_limit not in Incentive.Limit.values:
        fields["per_volunteer_limit"] = [_("Choose once, once a month or once a year.")]
    if not 1 <= int(data.code_valid_days) <= CODE_VALID_DAYS_MAX:
        fields["code_valid_days"] = [
            _("A code is valid for 1 to %(max)s days.") % {"max": CODE_VALID_DAYS_MAX}
        ]
    if fields:
        raise InvalidInput(fields=fields)
    return {
        "title": title,
        "partner": partner,
        "description": sanitize_description(data.description or ""),
        "hours_required": hours,
        "valid_from": data.valid_from,
        "valid_until": data.valid_until,
        "per_volunteer_limit": data.per_volunteer_limit,
        "code_valid_days": int(data.code_valid_days),
        "requires_real_name": bool(data.requires_real_name),
    }


@transaction.atomic
def incentive_create(*, data: IncentiveData, actor: User, organisation=None) -> Incentive:
    """A draft incentive of the platform (`organisation` None: operators) or of an
    organisation (its admins); the caller checked who may. Raises InvalidInput."""
    incentive = Incentive.objects.create(
        **_clean(data), organisation=organisation, created_by=actor
    )
    audit_record(actor=actor, verb="incentive.created", target=incentive)
    return incentive


@transaction.atomic
def incentive_update(*, incentive: Incentive, data: IncentiveData, actor: User) -> Incentive:
    """Change an incentive that is not closed. Locks it. Raises InvalidInput,
    IncentiveNotEditable."""
    incentive = lock_one(Incentive, pk=incentive.pk)
    if incentive.state == Incentive.State.CLOSED:
        raise errors.IncentiveNotEditable()
    for name, value in _clean(data).items():
        setattr(incentive, name, value)
    incentive.save()
    audit_record(actor=actor, verb="incentive.updated", target=incentive)
    return incentive


@transaction.atomic
def incentive_activate(*, incentive: Incentive, actor: User) -> Incentive:
    """Open a draft for redemption. Locks it. Raises IncentiveNotEditable (closed), NoCodes."""
    incentive = lock_one(Incentive, pk=incentive.pk)
    if incentive.state == Incentive.State.CLOSED:
        raise errors.IncentiveNotEditable()
    if incentive.stock == 0:
        raise errors.NoCodes()
    incentive.state = Incentive.State.ACTIVE
    incentive.save(update_fields=["state", "updated_at"])
    audit_record(actor=actor, verb="incentive.activated", target=incentive)
    return incentive


@transaction.atomic
def incentive_close(*, incentive: Incentive, actor: User) -> Incentive:
    """Stop redemptions for good (codes already given stay valid). Locks it."""
    incentive = lock_one(Incentive, pk=incentive.pk)
    if incentive.state != Incentive.State.CLOSED:
        incentive.state = Incentive.State.CLOSED
        incentive.save(update_fields=["state", "updated_at"])
        audit_record(actor=actor, verb="incentive.closed", target=incentive)
    return incentive


def codes_parse(text: str) -> list[str]:
    """The codes of a pasted list or an uploaded text/CSV file: one per line or separated by
    commas, semicolons or spaces; trimmed, empty ones and repeats dropped (first kept)."""
    seen: dict[str, None] = {}
    for part in re.split(r"[\s,;]+", text or ""):
        part = part.strip().strip('"').strip("'")
        if part:
            seen.setdefault(part, None)
    return list(seen)


@transaction.atomic
def codes_add(*, incentive: Incentive, codes: list[str], actor: User) -> int:
    """Add `codes` (already parsed) to the incentive: each 4–64 letters, digits, "-" or "_",
    none already held by it. Raises stock and stock_left by their number, in the same
    transaction. Locks the incentive. Raises CodesInvalid (nothing added), IncentiveNotEditable."""
    incentive = lock_one(Incentive, pk=incentive.pk)
    if incentive.state == Incentive.State.CLOSED:
        raise errors.IncentiveNotEditable()
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    if not codes:
        raise errors.CodesInvalid(fields={"codes": [_("Enter at least one code.")]})
    bad = [c for c in codes if not CODE_RE.fullmatch(c)]
    if bad:
        raise errors.CodesInvalid(
            fields={
                "codes": [
                    _("Codes are 4 to 64 letters, digits, - or _. Not valid: %(codes)s")
                    % {"codes": ", ".join(bad[:10])}
                ]
            }
        )
    if incentive.stock + len(codes) > STOCK_MAX:
        raise errors.CodesInvalid(
            fields={"codes": [_("An incentive holds at most %(max)s codes.") % {"max": STOCK_MAX}]}
        )
    present = list(
        IncentiveCode.objects.filter(incentive=incentive, code__in=codes).values_list(
            "code", flat=True
        )[:10]
    )
    if present:
        raise errors.CodesInvalid(
            fields={
                "codes": [
                    _("These codes are already in this incentive: %(codes)s")
                    % {"codes": ", ".join(present)}
                ]
            }
        )
    IncentiveCode.objects.bulk_create(
        [IncentiveCode(incentive=incentive, code=c) for c in codes], batch_size=1000
    )
    Incentive.objects.filter(pk=incentive.pk).update(
        stock=F("stock") + len(codes), stock_left=F("stock_left") + len(codes)
    )
    audit_record(
        actor=actor, verb="incentive.codes_added", target=incentive, data={"count": len(codes)}
    )
    return len(codes)


def codes_generate(*, incentive: Incentive, count: int, actor: User) -> int:
    """Generate `count` random codes (`secrets`, 12 characters of an unambiguous alphabet)
    and add them. Raises CodesInvalid, IncentiveNotEditable."""
    if not 1 <= count <= STOCK_MAX:
        raise errors.CodesInvalid(
            fields={"count": [_("Generate 1 to %(max)s codes.") % {"max": STOCK_MAX}]}
        )
    codes: set[str] = set()
    while len(codes) < count:
        codes.add("".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH)))
    return codes_add(incentive=incentive, codes=sorted(codes), actor=actor)


def period_key(limit: str, day: dt.date) -> str:
    """The limit period of a redemption on `day` (Beijing calendar)."""
    if limit == Incentive.Limit.MONTHLY:
        return f"{day.year:04d}-{day.month:02d}"
    if limit == Incentive.Limit.YEARLY:
        return f"{day.year:04d}"
    return ""


def hours_counted(*, incentive: Incentive, volunteer: User) -> Decimal:
    """The hours an incentive counts: the volunteer's service hours on the platform, or for an
    organisation's own incentive, the service hours that organisation credited."""
    if incentive.organisation_id is None:
        return hours_totals(volunteer=volunteer).service_hours
    return service_hours_by_org(volunteer=volunteer, org_id=incentive.organisation_id).get(
        incentive.organisation_id, Decimal("0.0")
    )


def _offerer_in_good_standing(incentive: Incentive) -> bool:
    """An organisation's offer stands only while the organisation is approved and not
    suspended (an operator's suspension stops its incentives with its activities)."""
    org = incentive.organisation
    return org is None or (org.state == Organisation.State.APPROVED and org.suspended_at is None)


def ensure_can_redeem(*, incentive: Incentive, volunteer: User, today: dt.date) -> None:
    """The checks before taking stock, in the order a volunteer can act on them. Raises
    IncentiveNotFound (an organisation's incentive for someone it never credited), AdultsOnly,
    PhoneRequired, RealNameRequired, IncentiveClosed, NotEnoughHours.

    Who may redeem (decided for issue #15 §5): an adult's own account only — a child's
    (guarded) hours stay the child's record and are never turned into a benefit by a guardian;
    always with a bound phone, which partners use to recognise the person holding a code (it is
    masked on the staff pages, in full in their export); and with a recorded real name when the
    incentive is issued to a person (`requires_real_name`, e.g. insurance)."""
    hours = hours_counted(incentive=incentive, volunteer=volunteer)
    if incentive.organisation_id is not None and hours <= 0:
        raise errors.IncentiveNotFound()
    if volunteer.guarded:
        raise errors.AdultsOnly()
    if not volunteer.phone:
        raise errors.PhoneRequired()
    if incentive.requires_real_name and not volunteer.real_name_verified:
        raise errors.RealNameRequired()
    if (
        incentive.state != Incentive.State.ACTIVE
        or not incentive.valid_from <= today <= incentive.valid_until
        or not _offerer_in_good_standing(incentive)
    ):
        raise errors.IncentiveClosed()
    if hours < incentive.hours_required:
        raise errors.NotEnoughHours(
            required=incentive.hours_required,
            have=hours,
            missing=incentive.hours_required - hours,
        )


def _stock_take(incentive_id: int) -> bool:
    """Take one place: one conditional UPDATE, so the stock never goes below zero whoever
    races (the row stays locked until the redemption commits)."""
    return (
        Incentive.objects.filter(
            pk=incentive_id, stock_left__gt=0, state=Incentive.State.ACTIVE
        ).update(stock_left=F("stock_left") - 1)
        == 1
    )


def _code_claim(incentive_id: int) -> IncentiveCode | None:
    return (
        IncentiveCode.objects.select_for_update(skip_locked=True)
        .filter(incentive_id=incentive_id, used_at__isnull=True)
        .order_by("pk")
        .first()
    )


@transaction.atomic(durable=True)
def reward_redeem(*, incentive: Incentive, volunteer: User) -> Redemption:
    """Redeem one code of `incentive` for `volunteer`, exactly once per limit period, in one
    transaction (hours are a threshold: nothing is spent). Locks the incentive row (by its
    UPDATE) and one code. Raises the refusals of `ensure_can_redeem`, LimitReached,
    OutOfStock; a refusal writes nothing."""
    now = timezone.now()
    today = local_today()
    incentive = Incentive.objects.select_related("organisation").get(pk=incentive.pk)
    ensure_can_redeem(incentive=incentive, volunteer=volunteer, today=today)
    key = period_key(incentive.per_volunteer_limit, today)
    limit_reached = errors.LimitReached(limit=incentive.get_per_volunteer_limit_display())
    if Redemption.objects.filter(incentive=incentive, volunteer=volunteer, period_key=key).exists():
        raise limit_reached
    if incentive.stock_left == 0:
        # Read before any lock: a refusal in a rush need not queue for the incentive's row.
        # The conditional UPDATE below stays the gate for everyone else.
        raise errors.OutOfStock()
    if not _stock_take(incentive.pk):
        state = Incentive.objects.values_list("state", flat=True).get(pk=incentive.pk)
        if state != Incentive.State.ACTIVE:
            raise errors.IncentiveClosed()
        raise errors.OutOfStock()
    code = _code_claim(incentive.pk)
    if code is None:  # stock_left and the free codes move together: never expected
        raise errors.OutOfStock()
    code.used_at = now
    IncentiveCode.objects.filter(pk=code.pk).update(used_at=now)
    try:
        with transaction.atomic():  # a savepoint: the same volunteer's other request won
            redemption = Redemption.objects.create(
                incentive=incentive,
                volunteer=volunteer,
                code=code,
                period_key=key,
                expires_at=now + dt.timedelta(days=incentive.code_valid_days),
            )
    except IntegrityError as exc:
        raise limit_reached from exc
    notify(
        user=volunteer,
        title=gettext_lazy("Your incentive code"),
        body=message_later(
            gettext_lazy(
                "You redeemed %(title)s (%(partner)s). Your code is under Me → My benefits; "
                "it is valid until %(expires)s."
            ),
            {
                "title": incentive.title,
                "partner": incentive.partner,
                "expires": timezone.localtime(redemption.expires_at).date(),
            },
        ),
        link="/me/benefits/",
    )
    return redemption


@transaction.atomic
def incentive_create_with_codes(
    *,
    data: IncentiveData,
    actor: User,
    codes: list[str] | None,
    generate: int,
    activate: bool,
    organisation=None,
) -> Incentive:
    """Create an incentive with its codes (`codes`, or `generate` random ones when `codes` is
    None) and optionally activate it, all or nothing. Raises InvalidInput, CodesInvalid,
    NoCodes."""
    incentive = incentive_create(data=data, actor=actor, organisation=organisation)
    if codes is not None:
        if codes:
            codes_add(incentive=incentive, codes=codes, actor=actor)
    elif generate:
        codes_generate(incentive=incentive, count=generate, actor=actor)
    if activate:
        incentive = incentive_activate(incentive=incentive, actor=actor)
    incentive.refresh_from_db()
    return incentive
