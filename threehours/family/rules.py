"""The guide's age limits for family accounts (docs/product.md §6), pure functions of dates.

"Older than 22" is 23 or more full years; "younger than 18" is 17 or fewer. A birthday counts on
the day itself (accounts.identity.age_on), so a guardian turns eligible and a child stops being
addable on their birthday."""

from __future__ import annotations

import datetime as dt

from threehours.accounts.identity import age_on

GUARDIAN_MIN_AGE = 23
CHILD_MAX_AGE = 17
# The age at which a child may claim the record into an own account.
CLAIM_AGE = 18

# The version of the guardian's consent text (family/templates/family/_child_consent.html).
# Change it with the text: every consent records the version it was given for.
CHILD_CONSENT_VERSION = "2026-12"


def guardian_age_ok(born: dt.date | None, today: dt.date) -> bool:
    return born is not None and age_on(born, today) >= GUARDIAN_MIN_AGE


def child_age_ok(born: dt.date, today: dt.date) -> bool:
    return age_on(born, today) <= CHILD_MAX_AGE


def can_claim(born: dt.date | None, today: dt.date) -> bool:
    return born is not None and age_on(born, today) >= CLAIM_AGE
