"""Organisation services: application, qualification files, review, certificate validity,
staff and roles, suspension.

Invariants guarded here:
- an application moves draft → submitted → approved | rejected → (edited) → submitted …; only
  draft and rejected applications can be edited or have files added/removed; every transition
  locks the organisation row, is audited (who, from, to, reason) and notifies the applicant;
- submission needs every field and the category's qualification file (PRODUCT.md §1.3);
- a rejection, a suspension and a reinstatement need a reason (also a database constraint);
- the texts the public sees (name, address, contact, introduction) hold no payment links
  (PRODUCT.md §2; core.qrscan, issue #12);
- an approved organisation's applicant becomes its admin; an organisation always keeps at least
  one admin; only admins manage staff;
- certificate warnings go out once per certificate date and threshold (unique constraint); a
  renewed certificate takes effect only when an operator accepts it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from threehours.accounts.identity import is_valid_phone, normalise_phone
from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.core.images import image_clean
from threehours.core.qrscan import has_payment_link
from threehours.core.timeutil import local_today
from threehours.notifications.services import email_send, notify

from .codes import LANDLINE_RE, is_valid_credit_code
from .errors import (
    AlreadyMember,
    ApplicationExists,
    EmailNotVerifiedForApply,
    InvitationInvalid,
    InvitationWrongAccount,
    LastAdmin,
    MissingQualification,
    NotAllowed,
    ReasonRequired,
    RenewalPending,
    TooManyFiles,
    WrongState,
)
from .models import (
    CertificateRenewal,
    ExpiryWarning,
    Invitation,
    Membership,
    Organisation,
    QualificationFile,
    Region,
)

State = Organisation.State
Category = Organisation.Category
Kind = QualificationFile.Kind

EDITABLE_STATES = {State.DRAFT, State.REJECTED}
REQUIRED_FILE = {
    Category.SOCIAL_ORG: Kind.REGISTRATION_CERTIFICATE,
    Category.SCHOOL: Kind.ENDORSEMENT,
    Category.COMMUNITY: Kind.ENDORSEMENT,
    Category.PUBLIC_SERVICE: Kind.ENDORSEMENT,
}
MAX_FILES = 10
FILE_MAX_BYTES = 10 * 1024 * 1024  # documented in the README and on the upload form
INVITATION_DAYS = 7
WARN_DAYS = (30, 7)
FIELDS = (
    "name",
    "category",
    "province",
    "city",
    "district",
    "address",
    "contact_name",
    "contact_phone",
    "intro",
    "credit_code",
    "certificate_valid_until",
)


# --- application data -------------------------------------------------------------------------


def _text(data: dict, name: str, errors: dict, *, min_len: int, max_len: int) -> str | None:
    if name not in data:
        return None
    value = (
        " ".join(str(data[name] or "").split())
        if name != "intro"
        else str(data[name] or "").strip()
    )
    if len(value) < min_len:
        errors[name] = [
            _("This field is required.")
            if not value
            else _("At least %(n)s characters.") % {"n": min_len}
        ]
    elif len(value) > max_len:
        errors[name] = [_("At most %(n)s characters.") % {"n": max_len}]
    return value


def _application_clean(data: dict[str, Any], *, current: Organisation | None) -> dict[str, Any]:
    """Check the fields present in `data` (all of them on create). Raises InvalidInput with every
    field's problem at once."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, (lo, hi) in {
        "name": (2, 60),
        "address": (2, 120),
        "contact_name": (2, 30),
        "intro": (10, 2000),
    }.items():
        value = _text(data, name, errors, min_len=lo, max_len=hi)
        if value is not None and name not in errors and has_payment_link(value):
            # The public sees these on the organisation's and its activities' pages.
            errors[name] = [_("Payment links cannot be put on the platform.")]
        if value is not None:
            clean[name] = value
    if "category" in data:
        if data["category"] not in Category.values:
            errors["category"] = [_("Choose one of the four categories.")]
        else:
            clean["category"] = data["category"]
    if "contact_phone" in data:
        raw = str(data["contact_phone"] or "").replace(" ", "")
        mobile = normalise_phone(raw)
        if is_valid_phone(mobile):
            clean["contact_phone"] = mobile
        elif LANDLINE_RE.match(raw):
            clean["contact_phone"] = raw
        else:
            errors["contact_phone"] = [
                _("Enter a mobile number or a landline such as 010-12345678.")
            ]
    if any(k in data for k in ("province", "city", "district")):
        codes = {
            k: str(data.get(k) or (getattr(current, f"{k}_id", "") if current else ""))
            for k in ("province", "city", "district")
        }
        regions = Region.objects.in_bulk(list(filter(None, codes.values())))
        province, city, district = (regions.get(codes[k]) for k in ("province", "city", "district"))
        if province is None or province.level != Region.Level.PROVINCE:
            errors["province"] = [_("Choose a province.")]
        elif city is None or city.parent_id != province.code:
            errors["city"] = [_("Choose a city of this province.")]
        elif district is None or district.parent_id != city.code:
            errors["district"] = [_("Choose a district of this city.")]
        else:
            clean.update(province=province, city=city, district=district)
    category = clean.get("category") or (current.category if current else None)
    if "credit_code" in data:
        code = str(data["credit_code"] or "").strip().upper()
        if code and not is_valid_credit_code(code):
            errors["credit_code"] = [
                _("The unified social credit code is not valid: please check all 18 characters.")
            ]
        clean["credit_code"] = code
    if "certificate_valid_until" in data:
        value = data["certificate_valid_until"]
        if value in (None, ""):
            clean["certificate_valid_until"] = None
        else:
            try:
                day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            except ValueError:
                errors["certificate_valid_until"] = [_("Enter a date such as 2028-12-31.")]
            else:
                if day < local_today():
                    errors["certificate_valid_until"] = [
                        _("This certificate has expired; upload a valid one.")
                    ]
                clean["certificate_valid_until"] = day
    if category != Category.SOCIAL_ORG:
        clean["credit_code"], clean["certificate_valid_until"] = "", None
    if errors:
        raise InvalidInput(fields=errors)
    return clean


def _missing_for_submit(org: Organisation) -> dict[str, list[str]]:
    missing: dict[str, list[str]] = {}
    required = [
        "name",
        "category",
        "province_id",
        "city_id",
        "district_id",
        "address",
        "contact_name",
        "contact_phone",
        "intro",
    ]
    if org.category == Category.SOCIAL_ORG:
        required += ["credit_code", "certificate_valid_until"]
    for name in required:
        if not getattr(org, name):
            missing[name.removesuffix("_id")] = [_("This field is required.")]
    return missing


# --- access -----------------------------------------------------------------------------------


def role_of(*, user: User, org: Organisation) -> str | None:
    """The user's role: a membership's, or admin for the applicant of an unapproved application."""
    membership = org.memberships.filter(user=user).values_list("role", flat=True).first()
    if membership:
        return membership
    if org.applicant_id == user.pk and org.state != State.APPROVED:
        return Membership.Role.ADMIN
    return None


def _require_admin(*, user: User, org: Organisation) -> None:
    if role_of(user=user, org=org) != Membership.Role.ADMIN:
        raise NotAllowed()


def _require_editable(org: Organisation) -> None:
    if org.state not in EDITABLE_STATES:
        raise WrongState(state=org.get_state_display())


def _reason_required(reason: str | None) -> str:
    """The stripped reason of a rejection, suspension or reinstatement. Raises ReasonRequired."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(fields={"reason": [str(ReasonRequired.default_message)]})
    return reason


def _notify_applicant(org: Organisation, title: str, body: str) -> None:
    link = reverse("console:application", args=[org.pk])
    recipients = {org.applicant} | {
        m.user for m in org.memberships.filter(role=Membership.Role.ADMIN).select_related("user")
    }
    for user in recipients:
        notify(user=user, title=title, body=body, link=link)


def _delete_files(names: list[str]) -> None:
    storage = QualificationFile._meta.get_field("image").storage
    for name in names:
        storage.delete(name)


# --- application lifecycle --------------------------------------------------------------------


@transaction.atomic(durable=True)
def org_application_create(*, user: User, data: dict[str, Any]) -> Organisation:
    """Start an application (draft). Raises EmailNotVerifiedForApply, ApplicationExists,
    InvalidInput."""
    # The organisation's login is an e-mail it keeps long-term (PRODUCT.md §1.1); a phone-only
    # volunteer account must add and verify one first.
    if not user.email or user.email_verified_at is None:
        raise EmailNotVerifiedForApply()
    locked_user = lock_one(User, pk=user.pk)
    if Organisation.objects.filter(applicant=locked_user).exclude(state=State.APPROVED).exists():
        raise ApplicationExists()
    clean = _application_clean({k: data.get(k) for k in FIELDS}, current=None)
    try:
        with transaction.atomic():
            org = Organisation.objects.create(applicant=locked_user, state=State.DRAFT, **clean)
    except IntegrityError as exc:
        raise ApplicationExists() from exc
    audit_record(actor=user, verb="org.created", target=org, data={"to": State.DRAFT})
    return org


@transaction.atomic(durable=True)
def org_application_update(*, org: Organisation, user: User, data: dict[str, Any]) -> Organisation:
    """Change fields of a draft or rejected application. Raises WrongState, NotAllowed,
    InvalidInput."""
    org = lock_one(Organisation, pk=org.pk)
    _require_admin(user=user, org=org)
    _require_editable(org)
    clean = _application_clean({k: v for k, v in data.items() if k in FIELDS}, current=org)
    renamed = "name" in clean and clean["name"] != org.name
    for name, value in clean.items():
        setattr(org, name, value)
    org.save()
    if renamed:
        # Keyword search matches the organisation's name through each activity's search text.
        from threehours.activities.search import activity_search_text_refresh

        activity_search_text_refresh(org=org)
    audit_record(actor=user, verb="org.updated", target=org, data={"fields": sorted(clean)})
    return org


def org_file_add(
    *,
    org: Organisation,
    user: User,
    kind: str,
    upload: UploadedFile,
    renewal: CertificateRenewal | None = None,
) -> QualificationFile:
    """Add a qualification image to a draft or rejected application (or to a pending renewal).
    The image is checked and re-encoded before anything is written.
    Raises InvalidImage (and subclasses), WrongState, NotAllowed, TooManyFiles, InvalidInput."""
    if kind not in Kind.values:
        raise InvalidInput(fields={"kind": [_("Choose the kind of document.")]})
    image = image_clean(upload, max_bytes=FILE_MAX_BYTES, max_side=3000, min_side=300)
    written: list[str] = []
    try:
        with transaction.atomic(durable=True):
            org = lock_one(Organisation, pk=org.pk)
            _require_admin(user=user, org=org)
            if renewal is None:
                _require_editable(org)
            if org.files.filter(renewal=renewal).count() >= MAX_FILES:
                raise TooManyFiles(max=MAX_FILES)
            row = QualificationFile(
                organisation=org,
                kind=kind,
                uploaded_by=user,
                renewal=renewal,
                original_name=(upload.name or "")[:200],
            )
            row.image.save(image.content.name, image.content, save=False)
            written.append(row.image.name)
            row.save()
            audit_record(
                actor=user, verb="org.file_added", target=org, data={"file": row.pk, "kind": kind}
            )
    except Exception:
        _delete_files(written)  # nothing half-written: no file without its row
        raise
    return row


@transaction.atomic(durable=True)
def org_file_delete(*, org: Organisation, user: User, file_id: int) -> None:
    """Remove a file from a draft or rejected application. Raises WrongState, NotAllowed,
    QualificationFile.DoesNotExist."""
    org = lock_one(Organisation, pk=org.pk)
    _require_admin(user=user, org=org)
    _require_editable(org)
    row = org.files.get(pk=file_id, renewal__isnull=True)
    storage, name = row.image.storage, row.image.name
    row.delete()
    transaction.on_commit(lambda: storage.delete(name))
    audit_record(actor=user, verb="org.file_deleted", target=org, data={"file": file_id})


@transaction.atomic(durable=True)
def org_submit(*, org: Organisation, user: User) -> Organisation:
    """Send a draft or rejected application for review. Raises WrongState, NotAllowed,
    InvalidInput (missing fields), MissingQualification."""
    org = lock_one(Organisation, pk=org.pk)
    _require_admin(user=user, org=org)
    _require_editable(org)
    missing = _missing_for_submit(org)
    if missing:
        raise InvalidInput(fields=missing)
    required = REQUIRED_FILE[org.category]
    if not org.files.filter(kind=required, renewal__isnull=True).exists():
        raise MissingQualification(kind=Kind(required).label)
    previous = org.state
    org.state = State.SUBMITTED
    org.submitted_at = timezone.now()
    org.save(update_fields=["state", "submitted_at", "updated_at"])
    audit_record(
        actor=user, verb="org.submitted", target=org, data={"from": previous, "to": org.state}
    )
    _notify_applicant(
        org,
        _("Application submitted"),
        _("Your application for %(name)s is waiting for review. We will tell you the result.")
        % {"name": org.name},
    )
    return org


@transaction.atomic(durable=True)
def org_approve(*, org: Organisation, operator: User) -> Organisation:
    """Approve a submitted application; its applicant becomes the organisation's admin.
    Raises WrongState."""
    org = lock_one(Organisation, pk=org.pk)
    if org.state != State.SUBMITTED:
        raise WrongState(state=org.get_state_display())
    now = timezone.now()
    org.state, org.reviewed_at, org.approved_at, org.reject_reason = State.APPROVED, now, now, ""
    org.save(update_fields=["state", "reviewed_at", "approved_at", "reject_reason", "updated_at"])
    Membership.objects.get_or_create(
        organisation=org, user=org.applicant, defaults={"role": Membership.Role.ADMIN}
    )
    audit_record(
        actor=operator,
        verb="org.approved",
        target=org,
        data={"from": State.SUBMITTED, "to": State.APPROVED},
    )
    _notify_applicant(
        org,
        _("Application approved"),
        _("Welcome! %(name)s has joined the platform and can publish activities now.")
        % {"name": org.name},
    )
    return org


@transaction.atomic(durable=True)
def org_reject(*, org: Organisation, operator: User, reason: str) -> Organisation:
    """Reject a submitted application with a reason. Raises ReasonRequired, WrongState."""
    reason = _reason_required(reason)
    org = lock_one(Organisation, pk=org.pk)
    if org.state != State.SUBMITTED:
        raise WrongState(state=org.get_state_display())
    org.state, org.reviewed_at, org.reject_reason = State.REJECTED, timezone.now(), reason
    org.save(update_fields=["state", "reviewed_at", "reject_reason", "updated_at"])
    audit_record(
        actor=operator,
        verb="org.rejected",
        target=org,
        data={"from": State.SUBMITTED, "to": State.REJECTED, "reason": reason},
    )
    _notify_applicant(
        org,
        _("Application not approved"),
        _(
            "Your application for %(name)s was not approved: %(reason)s\n"
            "Please correct it and submit it again."
        )
        % {"name": org.name, "reason": reason},
    )
    return org


@transaction.atomic(durable=True)
def org_suspend(*, org: Organisation, operator: User, reason: str) -> Organisation:
    """Suspend an organisation: its console closes and its activities are hidden.
    Raises ReasonRequired, WrongState."""
    reason = _reason_required(reason)
    org = lock_one(Organisation, pk=org.pk)
    if org.suspended_at is not None:
        raise WrongState(state=_("suspended"))
    org.suspended_at, org.suspend_reason = timezone.now(), reason
    org.save(update_fields=["suspended_at", "suspend_reason", "updated_at"])
    audit_record(actor=operator, verb="org.suspended", target=org, data={"reason": reason})
    _notify_applicant(
        org,
        _("Organisation suspended"),
        _("%(name)s has been suspended by the platform: %(reason)s")
        % {"name": org.name, "reason": reason},
    )
    return org


@transaction.atomic(durable=True)
def org_reinstate(*, org: Organisation, operator: User, reason: str) -> Organisation:
    """Lift a suspension. Raises ReasonRequired, WrongState."""
    reason = _reason_required(reason)
    org = lock_one(Organisation, pk=org.pk)
    if org.suspended_at is None:
        raise WrongState(state=_("not suspended"))
    org.suspended_at, org.suspend_reason = None, ""
    org.save(update_fields=["suspended_at", "suspend_reason", "updated_at"])
    audit_record(actor=operator, verb="org.reinstated", target=org, data={"reason": reason})
    _notify_applicant(
        org,
        _("Organisation reinstated"),
        _("%(name)s can use the platform again.") % {"name": org.name},
    )
    return org


@transaction.atomic(durable=True)
def org_places_limit_set(*, org: Organisation, operator: User, limit: int) -> Organisation:
    """Operators raise (or lower) an organisation's places-per-activity limit."""
    if not 1 <= limit <= 100_000:
        raise InvalidInput(fields={"places_limit": [_("Enter a number from 1 to 100000.")]})
    org = lock_one(Organisation, pk=org.pk)
    audit_record(
        actor=operator,
        verb="org.places_limit",
        target=org,
        data={"from": org.places_limit, "to": limit},
    )
    org.places_limit = limit
    org.save(update_fields=["places_limit", "updated_at"])
    return org


# --- certificate validity ---------------------------------------------------------------------


def renewal_submit(
    *, org: Organisation, user: User, valid_until: dt.date, uploads: list[UploadedFile]
) -> CertificateRenewal:
    """Send a renewed certificate and its new end date for review. Approved organisations keep
    their activities meanwhile. Raises WrongState, NotAllowed, RenewalPending, InvalidInput,
    InvalidImage."""
    images = [
        image_clean(u, max_bytes=FILE_MAX_BYTES, max_side=3000, min_side=300) for u in uploads
    ]
    written: list[str] = []
    try:
        with transaction.atomic(durable=True):
            org = lock_one(Organisation, pk=org.pk)
            _require_admin(user=user, org=org)
            if org.state != State.APPROVED or org.category != Category.SOCIAL_ORG:
                raise WrongState(state=org.get_state_display())
            if org.renewals.filter(state=CertificateRenewal.State.PENDING).exists():
                raise RenewalPending()
            errors = {}
            if valid_until <= local_today() or (
                org.certificate_valid_until and valid_until <= org.certificate_valid_until
            ):
                errors["valid_until"] = [
                    _("The new end date must be later than today and than the current one.")
                ]
            if not images:
                errors["file"] = [_("Upload the renewed certificate.")]
            if errors:
                raise InvalidInput(fields=errors)
            renewal = CertificateRenewal.objects.create(
                organisation=org, valid_until=valid_until, submitted_by=user
            )
            for upload, image in zip(uploads, images, strict=True):
                row = QualificationFile(
                    organisation=org,
                    kind=Kind.RENEWED_CERTIFICATE,
                    uploaded_by=user,
                    renewal=renewal,
                    original_name=(upload.name or "")[:200],
                )
                row.image.save(image.content.name, image.content, save=False)
                written.append(row.image.name)
                row.save()
            audit_record(
                actor=user,
                verb="org.renewal_submitted",
                target=org,
                data={"renewal": renewal.pk, "valid_until": valid_until.isoformat()},
            )
    except Exception:
        _delete_files(written)
        raise
    return renewal


@transaction.atomic(durable=True)
def renewal_accept(*, renewal: CertificateRenewal, operator: User) -> CertificateRenewal:
    """Accept a renewed certificate: the organisation's validity date moves and publishing
    works again. Raises WrongState."""
    renewal = lock_one(CertificateRenewal, pk=renewal.pk)
    org = lock_one(Organisation, pk=renewal.organisation_id)
    if renewal.state != CertificateRenewal.State.PENDING:
        raise WrongState(state=renewal.get_state_display())
    renewal.state, renewal.reviewed_at = CertificateRenewal.State.ACCEPTED, timezone.now()
    renewal.save(update_fields=["state", "reviewed_at"])
    previous = org.certificate_valid_until
    org.certificate_valid_until = renewal.valid_until
    org.save(update_fields=["certificate_valid_until", "updated_at"])
    audit_record(
        actor=operator,
        verb="org.renewal_accepted",
        target=org,
        data={
            "renewal": renewal.pk,
            "from": previous.isoformat() if previous else None,
            "to": renewal.valid_until.isoformat(),
        },
    )
    _notify_applicant(
        org,
        _("Renewed certificate accepted"),
        _("Your certificate is now valid until %(day)s.") % {"day": renewal.valid_until},
    )
    return renewal


@transaction.atomic(durable=True)
def renewal_reject(
    *, renewal: CertificateRenewal, operator: User, reason: str
) -> CertificateRenewal:
    reason = _reason_required(reason)
    renewal = lock_one(CertificateRenewal, pk=renewal.pk)
    if renewal.state != CertificateRenewal.State.PENDING:
        raise WrongState(state=renewal.get_state_display())
    renewal.state, renewal.reviewed_at = CertificateRenewal.State.REJECTED, timezone.now()
    renewal.reject_reason = reason
    renewal.save(update_fields=["state", "reviewed_at", "reject_reason"])
    org = renewal.organisation
    audit_record(
        actor=operator,
        verb="org.renewal_rejected",
        target=org,
        data={"renewal": renewal.pk, "reason": reason},
    )
    _notify_applicant(org, _("Renewed certificate not accepted"), reason)
    return renewal


def certificate_expiry_check(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily job: warn 30 and 7 days before a registration certificate ends and once when it
    has ended (publishing is then refused, see Organisation.can_publish_on). Each warning goes
    out once per organisation, certificate date and threshold, however often this runs; a run
    that missed days sends only the most urgent warning due."""
    today = today or local_today()
    sent = {"30": 0, "7": 0, "expired": 0}
    horizon = today + dt.timedelta(days=max(WARN_DAYS))
    candidates = Organisation.objects.filter(
        state=State.APPROVED,
        category=Category.SOCIAL_ORG,
        certificate_valid_until__isnull=False,
        certificate_valid_until__lte=horizon,
    )
    for org in candidates.iterator():
        days_left = (org.certificate_valid_until - today).days
        if days_left < 0:
            threshold = 0
        else:
            due = [d for d in WARN_DAYS if days_left <= d]
            if not due:
                continue
            threshold = min(due)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    ExpiryWarning.objects.create(
                        organisation=org,
                        days_before=threshold,
                        valid_until=org.certificate_valid_until,
                    )
            except IntegrityError:
                continue  # sent already (or by a concurrent run)
            if threshold == 0:
                title = _("Certificate expired: publishing paused")
                body = _(
                    "The registration certificate of %(name)s ended on %(day)s. New "
                    "activities cannot be published until an operator accepts a renewed "
                    "certificate; existing activities go on."
                ) % {"name": org.name, "day": org.certificate_valid_until}
            else:
                title = _("Certificate ends in %(days)s days") % {"days": days_left}
                body = _(
                    "The registration certificate of %(name)s ends on %(day)s. Please "
                    "upload the renewed certificate in the console before then."
                ) % {"name": org.name, "day": org.certificate_valid_until}
            _notify_applicant(org, title, body)
            audit_record(
                actor=None,
                verb="org.certificate_warning",
                target=org,
                data={"days_before": threshold},
            )
        sent["expired" if threshold == 0 else str(threshold)] += 1
    return sent


# --- staff ------------------------------------------------------------------------------------


def _invitation_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic(durable=True)
def staff_invite(*, org: Organisation, inviter: User, email: str, role: str) -> Invitation:
    """E-mail an invitation link (valid INVITATION_DAYS days). Raises NotAllowed, WrongState,
    InvalidInput, AlreadyMember."""
    org = lock_one(Organisation, pk=org.pk)
    _require_admin(user=inviter, org=org)
    if org.state != State.APPROVED:
        raise WrongState(state=org.get_state_display())
    email = (email or "").strip().lower()
    errors = {}
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    if role not in Membership.Role.values:
        errors["role"] = [_("Choose a role.")]
    if errors:
        raise InvalidInput(fields=errors)
    if org.memberships.filter(user__email__iexact=email).exists():
        raise AlreadyMember(fields={"email": [str(AlreadyMember.default_message)]})
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        organisation=org,
        email=email,
        role=role,
        token_hash=_invitation_hash(token),
        invited_by=inviter,
        created_at=now,
        expires_at=now + dt.timedelta(days=INVITATION_DAYS),
    )
    link = settings.SITE_URL + reverse("console:invitation", args=[token])
    email_send(
        to=email,
        subject=_("Join %(name)s on threehours") % {"name": org.name},
        body=_(
            "%(inviter)s invites you to help run %(name)s on threehours as %(role)s.\n\n"
            "Open this link within %(days)s days to accept (log in or register with this e-mail "
            "address):\n%(link)s"
        )
        % {
            "inviter": inviter.email or inviter.display_name,
            "name": org.name,
            "role": Membership.Role(role).label,
            "days": INVITATION_DAYS,
            "link": link,
        },
    )
    audit_record(
        actor=inviter, verb="org.staff_invited", target=org, data={"email": email, "role": role}
    )
    return invitation


def invitation_get(*, token: str) -> Invitation:
    """The open invitation behind a link. Raises InvitationInvalid."""
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=_invitation_hash(token or ""))
        .first()
    )
    if invitation is None or not invitation.is_open(timezone.now()):
        raise InvitationInvalid()
    return invitation


@transaction.atomic(durable=True)
def invitation_accept(*, token: str, user: User) -> Membership:
    """Join the organisation of an invitation addressed to the user's verified e-mail.
    Raises InvitationInvalid, InvitationWrongAccount, AlreadyMember."""
    invitation = invitation_get(token=token)
    invitation = lock_one(Invitation, pk=invitation.pk)
    if not invitation.is_open(timezone.now()):
        raise InvitationInvalid()
    if (
        not user.email
        or user.email.lower() != invitation.email.lower()
        or (user.email_verified_at is None)
    ):
        raise InvitationWrongAccount()
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                organisation=invitation.organisation, user=user, role=invitation.role
            )
    except IntegrityError as exc:
        raise AlreadyMember() from exc
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        verb="org.staff_joined",
        target=invitation.organisation,
        data={"role": invitation.role},
    )
    return membership


@transaction.atomic(durable=True)
def invitation_revoke(*, org: Organisation, actor: User, invitation_id: int) -> None:
    org = lock_one(Organisation, pk=org.pk)
    _require_admin(user=actor, org=org)
    updated = Invitation.objects.filter(
        pk=invitation_id, organisation=org, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:
        raise InvitationInvalid()
    audit_record(
        actor=actor, verb="org.invitation_revoked", target=org, data={"invitation": invitation_id}
    )


def _admins_left(org: Organisation, *, without: Membership) -> int:
    return org.memberships.filter(role=Membership.Role.ADMIN).exclude(pk=without.pk).count()


@transaction.atomic(durable=True)
def staff_remove(*, org: Organisation, actor: User, membership_id: int) -> None:
    """Remove a staff member. Raises NotAllowed, LastAdmin, Membership.DoesNotExist."""
    org = lock_one(Organisation, pk=org.pk)
    _require_admin(user=actor, org=org)
    membership = org.memberships.select_related("user").get(pk=membership_id)
    if membership.role == Membership.Role.ADMIN and not _admins_left(org, without=membership):
        raise LastAdmin()
    membership.delete()
    audit_record(
        actor=actor,
        verb="org.staff_removed",
        target=org,
        data={"user": membership.user_id, "role": membership.role},
    )


@transaction.atomic(durable=True)
def staff_role_set(*, org: Organisation, actor: User, membership_id: int, role: str) -> Membership:
    """Change a staff member's role. Raises NotAllowed, LastAdmin, InvalidInput."""
    if role not in Membership.Role.values:
        raise InvalidInput(fields={"role": [_("Choose a role.")]})
    org = lock_one(Organisation, pk=org.pk)
    _require_admin(user=actor, org=org)
    membership = org.memberships.get(pk=membership_id)
    if (
        membership.role == Membership.Role.ADMIN
        and role != Membership.Role.ADMIN
        and not _admins_left(org, without=membership)
    ):
        raise LastAdmin()
    audit_record(
        actor=actor,
        verb="org.staff_role",
        target=org,
        data={"user": membership.user_id, "from": membership.role, "to": role},
    )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership
