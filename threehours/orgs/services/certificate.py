"""Certificate validity: renewals and the warnings before a certificate expires."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.core.images import image_clean
from threehours.core.timeutil import local_today
from threehours.notifications.services import message_later

from ..errors import (
    RenewalPending,
    WrongState,
)
from ..models import (
    CertificateRenewal,
    ExpiryWarning,
    Organisation,
    QualificationFile,
)
from .application import FILE_MAX_BYTES
from .common import (
    Category,
    Kind,
    State,
    _delete_files,
    _notify_applicant,
    _reason_required,
    _require_admin,
)

WARN_DAYS = (30, 7)


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
        gettext_lazy("Renewed certificate accepted"),
        message_later(
            gettext_lazy("Your certificate is now valid until %(day)s."),
            {"day": renewal.valid_until},
        ),
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
    _notify_applicant(org, gettext_lazy("Renewed certificate not accepted"), reason)
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
                title = gettext_lazy("Certificate expired: publishing paused")
                body = message_later(
                    gettext_lazy(
                        "The registration certificate of %(name)s ended on %(day)s. New "
                        "activities cannot be published until an operator accepts a renewed "
                        "certificate; existing activities go on."
                    ),
                    {"name": org.name, "day": org.certificate_valid_until},
                )
            else:
                title = message_later(
                    gettext_lazy("Certificate ends in %(days)s days"), {"days": days_left}
                )
                body = message_later(
                    gettext_lazy(
                        "The registration certificate of %(name)s ends on %(day)s. Please "
                        "upload the renewed certificate in the console before then."
                    ),
                    {"name": org.name, "day": org.certificate_valid_until},
                )
            _notify_applicant(org, title, body)
            audit_record(
                actor=None,
                verb="org.certificate_warning",
                target=org,
                data={"days_before": threshold},
            )
        sent["expired" if threshold == 0 else str(threshold)] += 1
    return sent
