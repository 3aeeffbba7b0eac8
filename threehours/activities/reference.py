"""Per-process copies of the reference tables a discovery page shows: attribute options,
regions and organisers' names. They are small, read on every list request and change rarely
(regions only by data migration, options by operators, names when an organisation renames
itself), so a list page takes them from memory instead of three queries.
A save or delete in this process clears the copy; other processes reload within REFRESH_SECONDS,
and a key that is missing reloads at once."""

from __future__ import annotations

import threading
import time

from django.db import transaction
from django.db.models.signals import post_delete, post_save

REFRESH_SECONDS = 300.0

_lock = threading.Lock()
_copy: dict = {"loaded_at": None, "options": {}, "regions": {}, "organisations": {}}


def _load() -> None:
    from threehours.orgs.models import Organisation, Region

    from .models import AttributeOption

    options = {o.pk: o for o in AttributeOption.objects.all()}
    regions = {r.pk: r for r in Region.objects.select_related("parent")}
    # Lists show the organiser's name only; its other ~30 columns stay in the database.
    organisations = {o.pk: o for o in Organisation.objects.only("id", "name")}
    _copy.update(
        loaded_at=time.monotonic(), options=options, regions=regions, organisations=organisations
    )


def _tables(needed_options: set, needed_regions: set, needed_orgs: set) -> tuple[dict, ...]:
    with _lock:
        loaded = _copy["loaded_at"]
        if (
            loaded is None
            or time.monotonic() - loaded > REFRESH_SECONDS
            or not needed_options <= _copy["options"].keys()
            or not needed_regions <= _copy["regions"].keys()
            or not needed_orgs <= _copy["organisations"].keys()
        ):
            _load()
        return _copy["options"], _copy["regions"], _copy["organisations"]


def options_regions_organisations(
    option_ids: set, region_ids: set, organisation_ids: set
) -> tuple[dict, dict, dict]:
    """{pk: AttributeOption}, {pk: Region (parent loaded)} and {pk: Organisation (id and name
    only)} holding at least the given keys."""
    return _tables(set(option_ids), set(region_ids), set(organisation_ids))


def _clear() -> None:
    with _lock:
        _copy["loaded_at"] = None


def forget(**kwargs) -> None:
    # Now, and again once the change commits: a list read in between would reload the old row.
    _clear()
    transaction.on_commit(_clear)


def connect_signals() -> None:
    from threehours.orgs.models import Organisation, Region

    from .models import AttributeOption

    for model in (AttributeOption, Region, Organisation):
        post_save.connect(forget, sender=model, dispatch_uid=f"reference-{model.__name__}-save")
        post_delete.connect(forget, sender=model, dispatch_uid=f"reference-{model.__name__}-del")
