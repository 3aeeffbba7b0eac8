"""Optional error reporting to Sentry (issue #17 §6): on only when `SENTRY_DSN` is set.

No personal data leaves: `send_default_pii=False` (no cookies, users, IP addresses), request
bodies are not sent, and `scrub` masks what looks like a mainland phone number or a resident ID
number in every string of the event (messages, exception values, local variables, breadcrumbs,
the request's query and headers) before it is sent.
"""

from __future__ import annotations

import re
from typing import Any

# An ID number: 17 digits and a digit or X (or the old 15 digits); a phone: 1[3-9] + 9 digits,
# optionally after +86. Not inside a longer run of digits.
_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9]{9}(?![0-9])")

ID_MASK = "[id-number]"
PHONE_MASK = "[phone]"


def scrub_text(text: str) -> str:
    return _PHONE.sub(PHONE_MASK, _ID_NUMBER.sub(ID_MASK, text))


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        return value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: _scrub(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, depth + 1) for item in value]
    if isinstance(value, tuple):
        return tuple(_scrub(item, depth + 1) for item in value)
    return value


def scrub(event: dict, hint: dict | None = None) -> dict:
    """Sentry's `before_send`: the event with phone and ID numbers masked everywhere."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("data", None)  # form and JSON bodies: never sent
        request.pop("cookies", None)
    return _scrub(event)


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float, release: str = ""):
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        max_request_body_size="never",
        before_send=scrub,
        before_send_transaction=scrub,
        integrations=[DjangoIntegration()],
    )
