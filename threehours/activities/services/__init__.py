"""Activity services: create, edit, publish, copy and cancel (docs/product.md §2).

Invariants guarded here (the database repeats the ones it can: dates, window, places, fee, and
a published offline activity having a place):
- at most 7 activity days; the registration deadline not after the last day (default: that day);
- a daily window with check-out after check-in, at most 8 hours; the daily maximum hours are
  computed from it, never typed; online activities (chosen by the form) credit 0.1 h and have
  no place, offline ones need an address, GCJ-02 coordinates inside China and a radius of
  50 m–5 km (default 500 m);
- at least 1 place and at most the organisation's limit (default 100);
- free, or a positive fee with a note on how to pay; requirements at most 20 characters;
- type, form and field required; further attributes only from the lists; at most 5 questions;
- descriptions are sanitised; only an organisation that may publish can publish;
- no payment links in any text the organisation writes that volunteers see (title,
  description, requirements, fee note, questions and their choices, contact, address, cancel
  reason), matched on the text as a browser resolves it (core.qrscan.link_normalise); no
  payment QR codes in uploaded images (covers and description images): fees are collected on
  site;
- time only moves forward (issue #12): an activity is created and published with days from
  today on, and a changed first or last day is not before today;
- once anyone has checked in, the days, daily times, form and place are frozen
  (rules.FROZEN_AFTER_CHECKIN; checked after locking the activity); cancelling stays possible.
"""

from __future__ import annotations

from .clean import (
    CHINA_LAT,
    CHINA_LNG,
    EXTRA_KINDS,
    FEE_MAX,
    activity_as_data,
    activity_clean,
)
from .lifecycle import (
    activity_cancel,
    activity_publish,
    activity_restore,
    activity_take_down,
)
from .uploads import (
    COVER_MAX_BYTES,
    COVER_RECOMMENDED_MIN_BYTES,
    DESCRIPTION_IMAGE_DIR,
    DESCRIPTION_IMAGE_MAX_BYTES,
    DESCRIPTION_IMAGE_MIN,
    activity_cover_set,
    activity_image_store,
)
from .writes import (
    activity_changes_describe,
    activity_copy,
    activity_create,
    activity_plan,
    activity_update,
)

__all__ = [
    "activity_changes_describe",
    "activity_plan",
    "EXTRA_KINDS",
    "CHINA_LAT",
    "CHINA_LNG",
    "FEE_MAX",
    "activity_clean",
    "activity_as_data",
    "COVER_MAX_BYTES",
    "COVER_RECOMMENDED_MIN_BYTES",
    "activity_cover_set",
    "DESCRIPTION_IMAGE_MAX_BYTES",
    "DESCRIPTION_IMAGE_DIR",
    "DESCRIPTION_IMAGE_MIN",
    "activity_image_store",
    "activity_create",
    "activity_update",
    "activity_copy",
    "activity_publish",
    "activity_cancel",
    "activity_take_down",
    "activity_restore",
]
