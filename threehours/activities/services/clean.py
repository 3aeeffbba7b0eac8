"""What an activity's form may hold: the checks of every field (docs/product.md §2)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from threehours.core.errors import InvalidInput
from threehours.core.qrscan import has_payment_link
from threehours.core.timeutil import local_today
from threehours.orgs.models import Organisation, Region

from .. import rules, selectors
from ..models import Activity, AttributeOption, Question
from ..sanitize import sanitize_description

EXTRA_KINDS = {
    "regions": "region",
    "beneficiaries": "beneficiary",
    "skills": "skill",
    "incentives": "incentive",
}


# Mainland China, roughly, in GCJ-02.
CHINA_LAT, CHINA_LNG = (Decimal("3.86"), Decimal("53.56")), (Decimal("73.66"), Decimal("135.06"))


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _time(value: Any) -> dt.time:
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))


FEE_MAX = Decimal("100000")


def _decimal(value: Any) -> Decimal:
    """A finite decimal from a form's text or the API's number. Raises InvalidOperation for
    anything else: NaN and ±Infinity parse as decimals but compare and round with an error
    (issue #12 §6)."""
    if isinstance(value, bool):
        raise InvalidOperation
    number = Decimal(str(value))
    if not number.is_finite():
        raise InvalidOperation
    return number


class _Checker:
    """Collects every field's problem so the form shows them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def parse(self, data: dict, field: str, parse, message: str):
        try:
            return parse(data[field])
        # OverflowError: int() of an infinite float.
        except (KeyError, TypeError, ValueError, OverflowError, InvalidOperation):
            self.add(field, message)
            return None


def _payment_link_message() -> str:
    return _(
        "Payment links cannot be put on the platform: fees are collected on site. Say how "
        "volunteers pay, without a link."
    )


def _refuse_payment_links(check: _Checker, field: str, *texts: str) -> None:
    if any(has_payment_link(text) for text in texts):
        check.add(field, _payment_link_message())


def _past_day_message() -> str:
    return _("This day has passed: choose today or a later day.")


def _frozen_message() -> str:
    return _(
        "Volunteers have already checked in; this can no longer change. You can still cancel "
        "the activity."
    )


_TAG_RE = re.compile(r"<[^>]*>")


def _option(kind: str, code: Any) -> AttributeOption | None:
    return AttributeOption.objects.filter(kind=kind, code=str(code or ""), active=True).first()


def activity_clean(
    *, data: dict[str, Any], org: Organisation, current: Activity | None = None
) -> dict[str, Any]:
    """Check a whole activity form; `current` is the activity being changed (None: a new
    one). Returns model values plus `extra` (options) and `questions`.
    Raises InvalidInput naming every bad field."""
    check = _Checker()
    clean: dict[str, Any] = {}
    title = " ".join(str(data.get("title") or "").split())
    if not 2 <= len(title) <= 60:
        check.add("title", _("Give a title of 2 to 60 characters."))
    _refuse_payment_links(check, "title", title)
    clean["title"] = title
    description = str(data.get("description_html") or "")
    clean["description_html"] = sanitize_description(description)
    # All three: the sanitiser drops wxp:// links (refuse the attempt) and decodes entities;
    # the visible text may spell a host across tags (qr.<b>alipay</b>.com).
    _refuse_payment_links(
        check,
        "description_html",
        description,
        clean["description_html"],
        _TAG_RE.sub("", clean["description_html"]),
    )

    start = check.parse(data, "start_date", _date, _("Enter the first day."))
    end = check.parse(data, "end_date", _date, _("Enter the last day."))
    if start and end:
        problem = rules.dates_problem(start, end)
        if problem == "order":
            check.add("end_date", _("The last day cannot be before the first day."))
        elif problem == "too_long":
            check.add(
                "end_date", _("An activity lasts at most %(n)s days.") % {"n": rules.MAX_DAYS}
            )
    deadline = end
    if data.get("registration_deadline") not in (None, ""):
        deadline = check.parse(
            data, "registration_deadline", _date, _("Enter the day registration ends.")
        )
    if deadline and end and rules.deadline_problem(deadline, end=end):
        check.add(
            "registration_deadline", _("Registration cannot end after the last activity day.")
        )
    today = local_today()
    for name, day in (("start_date", start), ("end_date", end)):
        before = getattr(current, name) if current else None
        if day and rules.past_day_problem(day, before=before, today=today):
            check.add(name, _past_day_message())
    clean.update(start_date=start, end_date=end, registration_deadline=deadline)

    checkin = check.parse(data, "checkin_time", _time, _("Enter the daily check-in time."))
    checkout = check.parse(data, "checkout_time", _time, _("Enter the daily check-out time."))
    if checkin and checkout:
        problem = rules.window_problem(checkin, checkout)
        if problem == "order":
            check.add("checkout_time", _("Check-out must be later than check-in."))
        elif problem == "too_long":
            check.add("checkout_time", _("The daily window is at most 8 hours."))
    clean.update(checkin_time=checkin, checkout_time=checkout)

    places = check.parse(data, "places", int, _("Enter the number of places."))
    if places is not None and not 1 <= places <= org.places_limit:
        check.add("places", _("Places must be from 1 to %(max)s.") % {"max": org.places_limit})
    clean["places"] = places

    fee = Decimal(0)
    if data.get("fee_yuan") not in (None, ""):
        fee = check.parse(data, "fee_yuan", _decimal, _("Enter the fee in yuan.")) or Decimal(0)
    fee_note = str(data.get("fee_note") or "").strip()
    if fee < 0 or fee > FEE_MAX:
        check.add("fee_yuan", _("Enter a fee from 0 to 100000 yuan."))
    elif fee > 0 and not fee_note:
        check.add("fee_note", _("Explain how and when volunteers pay (collected on site)."))
    _refuse_payment_links(check, "fee_note", fee_note)
    clean.update(
        # Out of range the fee is refused above; 1e308 cannot even be rounded to fen.
        fee_yuan=fee.quantize(Decimal("0.01")) if 0 <= fee <= FEE_MAX else fee,
        fee_note=fee_note[:200] if fee > 0 else "",
    )

    for name in ("skill_requirement", "other_requirement"):
        value = str(data.get(name) or "").strip()
        if len(value) > rules.MAX_REQUIREMENT_CHARS:
            check.add(name, _("At most %(n)s characters.") % {"n": rules.MAX_REQUIREMENT_CHARS})
        _refuse_payment_links(check, name, value)
        clean[name] = value

    for name in ("type", "form", "field"):
        option = _option(name, data.get(name))
        if option is None:
            check.add(name, _("Choose one from the list."))
        clean[name] = option
    extra: list[AttributeOption] = []
    for name, kind in EXTRA_KINDS.items():
        codes = data.get(name) or []
        if not isinstance(codes, list | tuple):
            check.add(name, _("Choose from the list."))
            continue
        found = list(
            AttributeOption.objects.filter(kind=kind, code__in=[str(c) for c in codes], active=True)
        )
        if len(found) != len(set(codes)):
            check.add(name, _("Choose from the list."))
        extra += found
    clean["extra"] = extra

    online = bool(clean["form"] and clean["form"].online)
    clean["online"] = online
    # Only where there is a door to scan (issue #12 §5); enforced at check-in (attendance).
    clean["checkin_qr_only"] = not online and data.get("checkin_qr_only") in (
        True,
        "true",
        "on",
        "1",
    )
    if online:
        clean.update(
            address="", lat=None, lng=None, checkin_radius_m=None, city=None, district=None
        )
    else:
        address = " ".join(str(data.get("address") or "").split())
        if not 2 <= len(address) <= 120:
            check.add("address", _("Enter the address where volunteers meet."))
        _refuse_payment_links(check, "address", address)
        lat = check.parse(data, "lat", _decimal, _("Enter the latitude."))
        lng = check.parse(data, "lng", _decimal, _("Enter the longitude."))
        in_china = (
            lat is not None
            and lng is not None
            and CHINA_LAT[0] <= lat <= CHINA_LAT[1]
            and CHINA_LNG[0] <= lng <= CHINA_LNG[1]
        )
        if lat is not None and lng is not None and not in_china:
            check.add("lat", _("These coordinates are not in China (GCJ-02 expected)."))
        radius = rules.RADIUS_DEFAULT_M
        if data.get("checkin_radius_m") not in (None, ""):
            radius = check.parse(data, "checkin_radius_m", int, _("Enter the radius in metres."))
        if radius is not None and not rules.RADIUS_MIN_M <= radius <= rules.RADIUS_MAX_M:
            check.add("checkin_radius_m", _("The check-in radius is from 50 m to 5 km."))
        district = (
            Region.objects.filter(code=str(data.get("district") or ""), level=Region.Level.DISTRICT)
            .select_related("parent")
            .first()
        )
        if district is None:
            check.add("district", _("Choose the district where the activity takes place."))
        clean.update(
            address=address,
            # Outside China they are refused above; 1e308 cannot even be rounded.
            lat=lat.quantize(Decimal("0.000001")) if in_china else lat,
            lng=lng.quantize(Decimal("0.000001")) if in_china else lng,
            checkin_radius_m=radius,
            district=district,
            city=district.parent if district else None,
        )

    for name in ("contact_name", "contact_phone"):
        value = str(data.get(name) or "").strip()
        if not 2 <= len(value) <= (30 if name == "contact_name" else 20):
            check.add(name, _("Enter the contact person and phone for volunteers."))
        _refuse_payment_links(check, name, value)
        clean[name] = value

    questions = data.get("questions") or []
    if not isinstance(questions, list) or len(questions) > rules.MAX_QUESTIONS:
        check.add("questions", _("At most %(n)s questions.") % {"n": rules.MAX_QUESTIONS})
        questions = []
    cleaned_questions = []
    for q in questions:
        text = str((q or {}).get("text") or "").strip() if isinstance(q, dict) else ""
        kind = q.get("kind") if isinstance(q, dict) else None
        choices = [str(c).strip() for c in (q.get("choices") or [])] if isinstance(q, dict) else []
        choices = [c for c in choices if c]
        if (
            not 1 <= len(text) <= 60
            or kind not in Question.Kind.values
            or (kind == Question.Kind.CHOICE and len(choices) < 2)
        ):
            check.add(
                "questions",
                _("Each question needs a text; a choice question needs at least two choices."),
            )
            continue
        _refuse_payment_links(check, "questions", text, *choices)
        cleaned_questions.append(
            {
                "text": text,
                "kind": kind,
                "choices": choices if kind == Question.Kind.CHOICE else [],
                "required": bool(q.get("required")),
            }
        )
    clean["questions"] = cleaned_questions

    # Registration settings (docs/product.md §3): staff review or automatic acceptance; a waiting
    # list when full, on by default for offline activities.
    screening = str(data.get("screening") or Activity.Screening.AUTO)
    if screening not in Activity.Screening.values:
        check.add("screening", _("Choose how registrations are accepted."))
    clean["screening"] = screening
    waitlist = data.get("waitlist_enabled")
    clean["waitlist_enabled"] = (
        not clean.get("online") if waitlist in (None, "") else waitlist in (True, "true", "on", "1")
    )
    _family_clean(check, data, clean)
    if current is not None and selectors.activity_has_attendance(current):
        for name in rules.FROZEN_AFTER_CHECKIN:
            if name not in check.errors and _value_of(clean, name) != _value_of(current, name):
                check.add(name, _frozen_message())
    if check.errors:
        raise InvalidInput(fields=check.errors)
    return clean


def _flag(value: Any) -> bool:
    return value in (True, "true", "on", "1")


def _family_clean(check: _Checker, data: dict[str, Any], clean: dict[str, Any]) -> None:
    """Parent-child settings (docs/product.md §6): an activity of the parent-child type always takes
    families; another type may too when the organiser says so. Children's ages (full years on
    the first day) are 0 to 17 and the range only applies to family activities (else it is
    cleared). The commitment is organiser text: same limits as the other texts."""
    option = clean.get("type")
    family = _flag(data.get("family")) or bool(
        option is not None and option.code == rules.PARENT_CHILD_TYPE
    )
    clean["family"] = family
    ages: dict[str, int | None] = {}
    for name in ("child_age_min", "child_age_max"):
        raw = data.get(name)
        ages[name] = None
        if raw in (None, ""):
            continue
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            value = -1
        if not 0 <= value <= rules.CHILD_AGE_LIMIT or isinstance(raw, float | bool):
            check.add(
                name,
                _("Enter an age from 0 to %(max)s (full years on the first day).")
                % {"max": rules.CHILD_AGE_LIMIT},
            )
            continue
        ages[name] = value
    low, high = ages["child_age_min"], ages["child_age_max"]
    if low is not None and high is not None and low > high:
        check.add("child_age_max", _("The highest age cannot be below the lowest."))
    clean["child_age_min"] = low if family else None
    clean["child_age_max"] = high if family else None
    commitment = str(data.get("commitment") or "").strip()
    if len(commitment) > rules.MAX_COMMITMENT_CHARS:
        check.add("commitment", _("At most %(n)s characters.") % {"n": rules.MAX_COMMITMENT_CHARS})
    _refuse_payment_links(check, "commitment", commitment)
    clean["commitment"] = commitment


def _value_of(source: dict[str, Any] | Activity, name: str) -> Any:
    """A field's value to compare: an option by its key (no query for the activity's own)."""
    if isinstance(source, Activity):
        return source.form_id if name == "form" else getattr(source, name)
    value = source.get(name)
    return value.pk if isinstance(value, AttributeOption) else value


def activity_as_data(activity: Activity) -> dict[str, Any]:
    """The activity as form data, so a partial change (API PATCH) can be checked as a whole."""
    extra: dict[str, list[str]] = {name: [] for name in EXTRA_KINDS}
    kinds = {kind: name for name, kind in EXTRA_KINDS.items()}
    for option in activity.extra_attributes.all():
        extra[kinds[option.kind]].append(option.code)
    return {
        "title": activity.title,
        "description_html": activity.description_html,
        "start_date": activity.start_date,
        "end_date": activity.end_date,
        "registration_deadline": activity.registration_deadline,
        "checkin_time": activity.checkin_time,
        "checkout_time": activity.checkout_time,
        "places": activity.places,
        "fee_yuan": activity.fee_yuan,
        "fee_note": activity.fee_note,
        "skill_requirement": activity.skill_requirement,
        "other_requirement": activity.other_requirement,
        "type": activity.type.code,
        "form": activity.form.code,
        "field": activity.field.code,
        **extra,
        "address": activity.address,
        "district": activity.district_id or "",
        "lat": activity.lat,
        "lng": activity.lng,
        "checkin_radius_m": activity.checkin_radius_m,
        "contact_name": activity.contact_name,
        "contact_phone": activity.contact_phone,
        "questions": [
            {"text": q.text, "kind": q.kind, "choices": q.choices, "required": q.required}
            for q in activity.questions.all()
        ],
        "screening": activity.screening,
        "waitlist_enabled": activity.waitlist_enabled,
        "checkin_qr_only": activity.checkin_qr_only,
        "family": activity.family,
        "child_age_min": activity.child_age_min,
        "child_age_max": activity.child_age_max,
        "commitment": activity.commitment,
    }
