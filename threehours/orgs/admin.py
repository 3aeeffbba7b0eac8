from django.contrib import admin

from .models import CertificateRenewal, Membership, Organisation, QualificationFile, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    search_fields = ["code", "name"]
    list_filter = ["level"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "state", "certificate_valid_until", "suspended_at"]
    list_filter = ["state", "category"]
    search_fields = ["name", "credit_code"]
    raw_id_fields = ["applicant", "province", "city", "district"]
    # State changes go through the operator console's services (audited, notified).
    readonly_fields = [
        "state",
        "reject_reason",
        "submitted_at",
        "reviewed_at",
        "approved_at",
        "suspended_at",
        "suspend_reason",
        "certificate_valid_until",
    ]


admin.site.register(
    Membership,
    list_display=["organisation", "user", "role"],
    raw_id_fields=["organisation", "user"],
)
admin.site.register(
    QualificationFile,
    list_display=["organisation", "kind", "created_at"],
    raw_id_fields=["organisation", "uploaded_by", "renewal"],
)
admin.site.register(
    CertificateRenewal,
    list_display=["organisation", "valid_until", "state"],
    raw_id_fields=["organisation", "submitted_by"],
)
