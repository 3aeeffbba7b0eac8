"""An organisation's application and its qualification files, up to submission
(docs/product.md §1.3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from threehours.accounts.identity import is_valid_phone, normalise_phone
from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.core.images import image_clean
from threehours.core.qrscan import has_payment_link
from threehours.core.timeutil import local_today
from threehours.notifications.services import message_later

from ..codes import LANDLINE_RE, is_valid_credit_code
from ..errors import (
    ApplicationExists,
    EmailNotVerifiedForApply,
    MissingQualification,
    TooManyFiles,
)
from ..models import (
    CertificateRenewal,
    Organisation,
    QualificationFile,
    Region,
)
from .common import (
    Category,
    Kind,
    State,
    _delete_files,
    _notify_applicant,
    _require_admin,
    _require_editable,
)

REQUIRED_FILE = {
    Category.SOCIAL_ORG: Kind.REGISTRATION_CERTIFICATE,
    Category.SCHOOL: Kind.ENDORSEMENT,
    Category.COMMUNITY: Kind.ENDORSEMENT,
    Category.PUBLIC_SERVICE: Kind.ENDORSEMENT,
}


MAX_FILES = 10


FILE_MAX_BYTES = 10 * 1024 * 1024  # documented in the README and on the upload form


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


# --- application lifecycle --------------------------------------------------------------------


@transaction.atomic(durable=True)
def org_application_create(*, user: User, data: dict[str, Any]) -> Organisation:
    """Start an application (draft). Raises EmailNotVerifiedForApply, ApplicationExists,
    InvalidInput."""
    # The organisation's login is an e-mail it keeps long-term (docs/product.md §1.1); a phone-only
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
        from threehours.orgs.signals import organisation_renamed

        organisation_renamed.send(sender=Organisation, org=org)
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
        gettext_lazy("Application submitted"),
        message_later(
            gettext_lazy(
                "Your application for %(name)s is waiting for review. We will tell you the result."
            ),
            {"name": org.name},
        ),
    )
    return org
