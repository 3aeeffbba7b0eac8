"""Key rotation for personal data at rest (issue #17 §5).

THREEHOURS_FIELD_ENCRYPTION_KEYS lists Fernet keys newest first: the first encrypts, all
decrypt. After a new key is put in front, `fields_rotate` re-encrypts every encrypted field
under it, a batch of rows (by primary key) per transaction, so it can be stopped and run again:
rows already under the newest key are recognised by one decryption and skipped.

What does not rotate: the blind index (`User.id_number_index`) is keyed by the LAST key of
the list (core.crypto.blind_index), so putting a new key in front leaves every index valid.
That last key must therefore stay last in the list for good (see docs/operations.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from threehours.accounts.models import User
from threehours.core.crypto import newest_key_decrypts, rotate_text

# Every encrypted column: (model, field). Add new ones here.
ENCRYPTED_FIELDS = [(User, "id_number_encrypted")]


@dataclass
class RotationCounts:
    seen: int = 0
    rotated: int = 0
    current: int = 0  # already under the newest key
    batches: int = 0
    last_pk: dict[str, int] = field(default_factory=dict)


def fields_rotate(
    *,
    batch_size: int = 1000,
    dry_run: bool = False,
    max_batches: int | None = None,
    on_batch=None,
) -> RotationCounts:
    """Re-encrypt every encrypted field under the newest key. `max_batches` stops early (the
    next run continues); `on_batch(label, counts)` is called after each batch (progress)."""
    counts = RotationCounts()
    for model, name in ENCRYPTED_FIELDS:
        label = f"{model._meta.label}.{name}"
        last = 0
        while max_batches is None or counts.batches < max_batches:
            rows = (
                model.objects.filter(pk__gt=last)
                .exclude(**{name: ""})
                .order_by("pk")
                .values_list("pk", name)[:batch_size]
            )
            stale = []
            with transaction.atomic():
                batch = list(rows)
                if not batch:
                    break
                for pk, token in batch:
                    if newest_key_decrypts(token):
                        counts.current += 1
                    else:
                        stale.append(pk)
                if stale and not dry_run:
                    # Lock and re-read the stale rows: a real-name write meanwhile wins.
                    locked = (
                        model.objects.select_for_update()
                        .filter(pk__in=stale)
                        .exclude(**{name: ""})
                        .order_by("pk")
                        .values_list("pk", name)
                    )
                    for pk, token in locked:
                        if not newest_key_decrypts(token):
                            model.objects.filter(pk=pk).update(**{name: rotate_text(token)})
                            counts.rotated += 1
                        else:
                            counts.current += 1
                elif dry_run:
                    counts.rotated += len(stale)
            counts.seen += len(batch)
            counts.batches += 1
            last = batch[-1][0]
            counts.last_pk[label] = last
            if on_batch:
                on_batch(label, counts)
    return counts
