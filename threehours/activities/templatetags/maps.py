"""Links to a public map for a place stored in GCJ-02 (docs/product.md §4)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template

register = template.Library()


def map_url(lat, lng, name: str = "") -> str:
    """An https link to Amap's marker page, which reads GCJ-02 coordinates as stored
    (`coordinate=gaode`); empty when a coordinate is missing."""
    if lat in (None, "") or lng in (None, ""):
        return ""
    query = {"position": f"{lng},{lat}", "name": name or "", "coordinate": "gaode"}
    return "https://uri.amap.com/marker?" + urlencode(query)


register.simple_tag(map_url, name="map_url")
