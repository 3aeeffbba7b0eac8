from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEntry


def audit_record(
    *, actor: Any, verb: str, target: models.Model | None = None, data: dict[str, Any] | None = None
) -> AuditEntry:
    """Append one audit entry. Call it inside the service's transaction so it commits with it."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        verb=verb,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data or {},
    )
