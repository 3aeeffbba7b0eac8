from django.contrib import admin

from .models import AttributeOption


@admin.register(AttributeOption)
class AttributeOptionAdmin(admin.ModelAdmin):
    """Operators edit the attribute lists here. Codes are stable: deactivate an option rather
    than renaming its code, since activities and clients refer to it."""

    list_display = ["kind", "code", "label_zh", "label_en", "online", "position", "active"]
    list_filter = ["kind", "active", "online"]
    list_editable = ["label_zh", "label_en", "position", "active"]
    search_fields = ["code", "label_zh", "label_en"]

    def get_readonly_fields(self, request, obj=None):
        return ["kind", "code"] if obj is not None else []
