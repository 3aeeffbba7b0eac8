"""Rich-text descriptions are sanitised on the server with nh3 (an allow-list): no scripts, no
event handlers, no javascript: URLs, no styles; images only from our own media."""

from __future__ import annotations

import re

import nh3
from django.conf import settings

TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "blockquote",
    "a",
    "img",
    "hr",
}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}}


# Where activities.services.activity_image_store puts description images: a plain file name in
# one folder. A looser prefix test would let "/media/../some/page" through, and every reader's
# browser would then request that page of ours on their behalf.
_IMAGE_NAME = r"activities/images/[A-Za-z0-9_-]{1,100}\.(?:jpg|png)"


def _image_src_allowed(value: str) -> bool:
    media = re.escape("/" + settings.MEDIA_URL.strip("/") + "/")
    return re.fullmatch(media + _IMAGE_NAME, value) is not None


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not _image_src_allowed(value):
        return None  # images must be uploaded to the platform (checked for payment QR codes)
    return value


def sanitize_description(html: str) -> str:
    return nh3.clean(
        html or "",
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        attribute_filter=_filter,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()
