from django.utils.translation import gettext_lazy as _

from threehours.core.errors import DomainError, NotFound


class ActivityError(DomainError):
    pass


class ActivityNotFound(NotFound):
    default_message = _("No such activity.")


class OrgCannotPublish(ActivityError):
    code = "org_cannot_publish"
    status = 409
    default_message = _(
        "This organisation cannot publish now: it must be approved, not suspended, and its "
        "registration certificate valid."
    )


class ActivityWrongState(ActivityError):
    code = "wrong_state"
    status = 409
    default_message = _("This cannot be done while the activity is %(state)s.")


class PaymentQrImage(ActivityError):
    """docs/product.md §2: fees are collected on site; payment QR codes may not be on the
    platform."""

    code = "payment_qr"
    default_message = _(
        "The image contains a payment QR code. Activities on the platform cannot take "
        "payments; if there is a fee, explain in “How to pay” how volunteers pay on site."
    )
