"""Per-process copies of the reference tables a discovery page shows: attribute options and
regions. Both are small, read on every list request and change rarely (regions only by data
migration, options by operators), so a list page takes them from memory instead of two queries.
A save or delete in this process clears the copy; other processes reload within REFRESH_SECONDS,
and a key that is missing reloads at once."""

from __future__ import annotations

import threading
import time

from django.db.models.signals import post_delete, post_save

REFRESH_SECONDS = 300.0

_lock = threading.Lock()
_copy: dict = {"loaded_at": None, "options": {}, "regions": {}}


def _load() -> None:
    from threehours.orgs.models import Region

    from .models import AttributeOption

    options = {o.pk: o for o in AttributeOption.objects.all()}
    regions = {r.pk: r for r in Region.objects.select_related("parent")}
    _copy.update(loaded_at=time.monotonic(), options=options, regions=regions)


def _tables(needed_options: set, needed_regions: set) -> tuple[dict, dict]:
    with _lock:
        loaded = _copy["loaded_at"]
        if (
            loaded is None
            or time.monotonic() - loaded > REFRESH_SECONDS
            or not needed_options <= _copy["options"].keys()
            or not needed_regions <= _copy["regions"].keys()
        ):
            _load()
        return _copy["options"], _copy["regions"]


def options_and_regions(option_ids: set, region_ids: set) -> tuple[dict, dict]:
    """{pk: AttributeOption} and {pk: Region (parent loaded)} holding at least the given keys."""
    return _tables(set(option_ids), set(region_ids))


def forget(**kwargs) -> None:
    with _lock:
        _copy["loaded_at"] = None


def connect_signals() -> None:
    from threehours.orgs.models import Region

    from .models import AttributeOption

    for model in (AttributeOption, Region):
        post_save.connect(forget, sender=model, dispatch_uid=f"reference-{model.__name__}-save")
        post_delete.connect(forget, sender=model, dispatch_uid=f"reference-{model.__name__}-del")
