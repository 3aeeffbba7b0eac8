"""Batched deletion for the retention jobs (issue #16 §4, docs/privacy.md).

A retention job deletes old rows `batch` primary keys at a time, each batch its own short
statement outside any long transaction, so a night with a million expired rows never holds a
lock for long and a job stopped half-way leaves only what it had not reached. The batch's
DELETE re-applies the job's filter, so a row that stopped matching meanwhile is kept, and a
second run finds nothing: the jobs are idempotent.
"""

from __future__ import annotations

from django.db.models import QuerySet

BATCH = 1000


def delete_in_batches(queryset: QuerySet, *, batch: int = BATCH) -> int:
    """Delete the rows of `queryset` by primary-key batches of `batch`; the number of rows of
    its model deleted (rows of other models removed by cascade are not counted)."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    label = queryset.model._meta.label
    deleted = 0
    while True:
        pks = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch])
        if not pks:
            return deleted
        _total, per_model = queryset.filter(pk__in=pks).delete()
        deleted += per_model.get(label, 0)
        if len(pks) < batch:
            return deleted
