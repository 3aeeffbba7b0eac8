"""Activity services: create, edit, publish, copy and cancel (PRODUCT.md §2).

Invariants guarded here (the database repeats the ones it can: dates, window, places, fee, and
a published offline activity having a place):
- at most 7 activity days; the registration deadline not after the last day (default: that day);
- a daily window with check-out after check-in, at most 8 hours; the daily maximum hours are
  computed from it, never typed; online activities (chosen by the form) credit 0.1 h and have
  no place, offline ones need an address, GCJ-02 coordinates inside China and a radius of
  50 m–5 km (default 500 m);
- at least 1 place and at most the organisation's limit (default 100);
- free, or a positive fee with a note on how to pay; requirements at most 20 characters;
- type, form and field required; further attributes only from the lists; at most 5 questions;
- descriptions are sanitised; only an organisation that may publish can publish;
- no payment links in any text the organisation writes that volunteers see (title,
  description, requirements, fee note, questions and their choices, contact, address, cancel
  reason), matched on the text as a browser resolves it (core.qrscan.link_normalise); no
  payment QR codes in uploaded images (covers and description images): fees are collected on
  site;
- time only moves forward (issue #12): an activity is created and published with days from
  today on, and a changed first or last day is not before today;
- once anyone has checked in, the days, daily times, form and place are frozen
  (rules.FROZEN_AFTER_CHECKIN; checked after locking the activity); cancelling stays possible.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.core.images import CleanImage, image_clean
from threehours.core.qrscan import has_payment_link, image_has_payment_qr
from threehours.core.timeutil import local_today
from threehours.orgs.models import Organisation, Region

from . import rules, selectors
from .errors import ActivityWrongState, OrgCannotPublish, PaymentQrImage
from .models import Activity, AttributeOption, Question, cover_upload_to
from .sanitize import sanitize_description
from .search import search_text_for

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

    # Registration settings (PRODUCT.md §3): staff review or automatic acceptance; a waiting
    # list when full, on by default for offline activities.
    screening = str(data.get("screening") or Activity.Screening.AUTO)
    if screening not in Activity.Screening.values:
        check.add("screening", _("Choose how registrations are accepted."))
    clean["screening"] = screening
    waitlist = data.get("waitlist_enabled")
    clean["waitlist_enabled"] = (
        not clean.get("online") if waitlist in (None, "") else waitlist in (True, "true", "on", "1")
    )
    if current is not None and selectors.activity_has_attendance(current):
        for name in rules.FROZEN_AFTER_CHECKIN:
            if name not in check.errors and _value_of(clean, name) != _value_of(current, name):
                check.add(name, _frozen_message())
    if check.errors:
        raise InvalidInput(fields=check.errors)
    return clean


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
    }


def _write(activity: Activity, clean: dict[str, Any]) -> Activity:
    extra, questions = clean.pop("extra"), clean.pop("questions")
    for name, value in clean.items():
        setattr(activity, name, value)
    activity.search_text = search_text_for(
        title=activity.title, org_name=activity.organisation.name
    )
    activity.save()
    activity.extra_attributes.set(extra)
    activity.questions.all().delete()
    Question.objects.bulk_create(
        Question(activity=activity, position=i, **q) for i, q in enumerate(questions)
    )
    return activity


@transaction.atomic(durable=True)
def activity_create(*, org: Organisation, user: User, data: dict[str, Any]) -> Activity:
    """Save a new draft. Raises InvalidInput."""
    org = lock_one(Organisation, pk=org.pk)
    clean = activity_clean(data=data, org=org)
    activity = _write(Activity(organisation=org, created_by=user), clean)
    audit_record(actor=user, verb="activity.created", target=activity)
    return activity


@transaction.atomic(durable=True)
def activity_update(*, activity: Activity, user: User, data: dict[str, Any]) -> Activity:
    """Change an activity that is not cancelled; `data` is the whole form. Locks the activity
    (so that the check-in freeze is read under the lock). Raises ActivityWrongState,
    InvalidInput."""
    activity = lock_one(Activity, pk=activity.pk)
    if activity.state == Activity.State.CANCELLED:
        raise ActivityWrongState(state=activity.get_state_display())
    clean = activity_clean(data=data, org=activity.organisation, current=activity)
    if clean["places"] < activity.places_taken:
        raise InvalidInput(
            fields={
                "places": [
                    _("%(n)s places are already taken; places cannot be fewer.")
                    % {"n": activity.places_taken}
                ]
            }
        )
    before = activity_plan(activity)
    activity = _write(activity, clean)
    audit_record(actor=user, verb="activity.updated", target=activity)
    after = activity_plan(activity)
    if activity.state == Activity.State.PUBLISHED and before != after:
        # The words are chosen per registrant, in their language, by the notifying job.
        _registrants_notify_later(activity, "activity_changed", {"before": before, "after": after})
    return activity


def activity_plan(activity: Activity) -> dict[str, str]:
    """What registrants plan their day around (dates, daily times, place), in no language:
    compare two with `!=`, describe the difference with activity_changes_describe()."""
    return {
        "start_date": activity.start_date.isoformat(),
        "end_date": activity.end_date.isoformat(),
        "daily": f"{activity.checkin_time:%H:%M}–{activity.checkout_time:%H:%M}",
        "where": "" if activity.online else f"{activity.address} ({activity.lat}, {activity.lng})",
    }


def activity_changes_describe(*, before: dict[str, str], after: dict[str, str]) -> str:
    """What changed between two activity_plan()s, in the active language."""
    from django.utils.formats import date_format

    def words(plan: dict[str, str]) -> dict[str, str]:
        start, end = (dt.date.fromisoformat(plan[k]) for k in ("start_date", "end_date"))
        return {
            _("Dates"): f"{date_format(start, 'DATE_FORMAT')} – {date_format(end, 'DATE_FORMAT')}",
            _("Daily"): plan["daily"],
            _("Where"): plan["where"] or _("Online"),
        }

    old, new = words(before), words(after)
    return "；".join(f"{k}：{old[k]} → {new[k]}" for k in new if old[k] != new[k])


def _registrants_notify_later(activity: Activity, event: str, changes: dict | None = None) -> None:
    """After commit, tell the activity's registrants (a job: there may be hundreds)."""
    from threehours.signups.tasks import activity_registrants_notify_task

    transaction.on_commit(lambda: activity_registrants_notify_task(activity.pk, event, changes))


COVER_MAX_BYTES = 5 * 1024 * 1024
COVER_RECOMMENDED_MIN_BYTES = 400 * 1024


def activity_cover_set(*, activity: Activity, user: User, upload) -> bool:
    """Check, re-encode (at most 1600 px, no EXIF) and attach a cover image. Returns True when
    the original was under the guide's recommended 400 KB (accepted, with a warning).
    Raises InvalidImage, ImageTooLarge, ImageTooSmall, PaymentQrImage."""
    from threehours.core.images import image_clean

    image = image_clean(upload, max_bytes=COVER_MAX_BYTES, max_side=1600, min_side=200)
    _refuse_payment_qr(image)
    with transaction.atomic(durable=True):
        activity = lock_one(Activity, pk=activity.pk)
        old = activity.cover.name
        activity.cover.save(image.content.name, image.content, save=False)
        activity.save(update_fields=["cover", "cover_width", "cover_height", "updated_at"])
        audit_record(actor=user, verb="activity.cover", target=activity)
        if old:
            storage = activity.cover.storage
            transaction.on_commit(lambda: storage.delete(old))
    return image.original_size < COVER_RECOMMENDED_MIN_BYTES


def _refuse_payment_qr(image: CleanImage) -> None:
    """Raise PaymentQrImage when a QR code in the (re-encoded) image is a payment code."""
    image.content.seek(0)
    with Image.open(io.BytesIO(image.content.read())) as picture:
        found = image_has_payment_qr(picture)
    image.content.seek(0)
    if found:
        raise PaymentQrImage()


DESCRIPTION_IMAGE_MAX_BYTES = 5 * 1024 * 1024
DESCRIPTION_IMAGE_DIR = "activities/images"
DESCRIPTION_IMAGE_MIN = 32  # small pictures (a logo, an icon) are fine inside a text


def activity_image_store(*, org: Organisation, user: User, upload) -> str:
    """Check, re-encode (at most 1600 px, no EXIF) and store an image for an activity
    description in public storage; returns its URL (under MEDIA_URL, as the sanitiser
    requires). Raises InvalidImage, ImageTooLarge, ImageTooSmall, PaymentQrImage."""
    image = image_clean(
        upload, max_bytes=DESCRIPTION_IMAGE_MAX_BYTES, max_side=1600, min_side=DESCRIPTION_IMAGE_MIN
    )
    _refuse_payment_qr(image)
    name = default_storage.save(f"{DESCRIPTION_IMAGE_DIR}/{image.content.name}", image.content)
    audit_record(actor=user, verb="activity.image", target=org, data={"name": name})
    return default_storage.url(name)


@transaction.atomic(durable=True)
def activity_publish(*, activity: Activity, user: User) -> Activity:
    """Publish a draft whose first day has not passed. Raises OrgCannotPublish,
    ActivityWrongState, InvalidInput."""
    activity = lock_one(Activity, pk=activity.pk)
    org = activity.organisation
    today = local_today()
    if not org.can_publish_on(today):
        raise OrgCannotPublish()
    if activity.state != Activity.State.DRAFT:
        raise ActivityWrongState(state=activity.get_state_display())
    errors: dict[str, list[str]] = {}
    # A draft saved days ago may have a first day that has passed since (issue #12).
    if activity.start_date < today:
        errors["start_date"] = [_("The first day has passed: choose later dates.")]
    if activity.registration_deadline < today:
        errors["registration_deadline"] = [
            _("Registration would already be over: choose later dates.")
        ]
    if errors:
        raise InvalidInput(fields=errors)
    activity.state, activity.published_at = Activity.State.PUBLISHED, timezone.now()
    activity.save(update_fields=["state", "published_at", "updated_at"])
    audit_record(actor=user, verb="activity.published", target=activity)
    return activity


@transaction.atomic(durable=True)
def activity_copy(*, activity: Activity, user: User) -> Activity:
    """One-click copy ("复制"): a new draft with everything but the dates, which start from the
    next week so that the copy is valid and obviously needs dates. The cover is copied into a
    file of its own."""
    copy = Activity.objects.get(pk=activity.pk)
    source_pk, span = copy.pk, copy.end_date - copy.start_date
    extra = list(copy.extra_attributes.all())
    questions = list(copy.questions.all())
    start = max(local_today() + dt.timedelta(days=7), copy.start_date)
    copy.pk = None  # saving inserts a new row with every other field as it was
    copy.state, copy.published_at, copy.cancel_reason, copy.created_by = (
        Activity.State.DRAFT,
        None,
        "",
        user,
    )
    copy.start_date, copy.end_date = start, start + span
    copy.registration_deadline = copy.end_date
    if copy.cover:
        _cover_duplicate(copy)
    copy.save()
    copy.extra_attributes.set(extra)
    Question.objects.bulk_create(
        Question(
            activity=copy,
            position=q.position,
            text=q.text,
            kind=q.kind,
            choices=q.choices,
            required=q.required,
        )
        for q in questions
    )
    audit_record(actor=user, verb="activity.copied", target=copy, data={"from": source_pk})
    return copy


def _cover_duplicate(copy: Activity) -> None:
    """Give a copy its own cover file: replacing a cover deletes the old file, which must not
    be the original activity's picture. A cover whose file is gone is left out of the copy."""
    storage, name = copy.cover.storage, copy.cover.name
    try:
        with storage.open(name) as original:
            new_name = storage.save(
                cover_upload_to(copy, f"{uuid.uuid4().hex}{PurePosixPath(name).suffix}"),
                File(original),
            )
    except OSError:
        copy.cover, copy.cover_width, copy.cover_height = "", 0, 0
        return
    # Should the copy's transaction roll back, this file belongs to nobody (harmless).
    copy.cover.name = new_name


@transaction.atomic(durable=True)
def activity_cancel(*, activity: Activity, user: User, reason: str) -> Activity:
    """Cancel with a reason; its registrants are told (after commit, by a job).
    Raises ActivityWrongState, InvalidInput."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Please give a reason.")]})
    if has_payment_link(reason):  # registrants read it in their inbox
        raise InvalidInput(fields={"reason": [_payment_link_message()]})
    activity = lock_one(Activity, pk=activity.pk)
    if activity.state == Activity.State.CANCELLED:
        raise ActivityWrongState(state=activity.get_state_display())
    was_published = activity.state == Activity.State.PUBLISHED
    activity.state, activity.cancel_reason = Activity.State.CANCELLED, reason
    activity.save(update_fields=["state", "cancel_reason", "updated_at"])
    audit_record(actor=user, verb="activity.cancelled", target=activity, data={"reason": reason})
    if was_published:
        _registrants_notify_later(activity, "activity_cancelled")
    return activity
