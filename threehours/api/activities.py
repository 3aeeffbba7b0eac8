"""Activities operations of API.md (so far: the attribute lists)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from threehours.activities.selectors import attribute_lists

router = Router(tags=["activities"])


class OptionOut(Schema):
    code: str
    label: str


class FormOptionOut(OptionOut):
    online: bool


class AttributesOut(Schema):
    types: list[OptionOut]
    forms: list[FormOptionOut]
    fields: list[OptionOut]
    regions: list[OptionOut]
    beneficiaries: list[OptionOut]
    skills: list[OptionOut]
    incentives: list[OptionOut]


@router.get("/attributes", response={200: AttributesOut}, auth=None)
def attributes(request: HttpRequest):
    """The attribute lists in the request's language; forms say whether they are online."""
    lists = attribute_lists()

    def out(kind: str) -> list[dict]:
        return [{"code": o.code, "label": o.label, "online": o.online} for o in lists[kind]]

    return {
        "types": out("type"),
        "forms": out("form"),
        "fields": out("field"),
        "regions": out("region"),
        "beneficiaries": out("beneficiary"),
        "skills": out("skill"),
        "incentives": out("incentive"),
    }
