"""Family accounts (小宝) over the API (docs/api.md "Family"): a child's own hours as /me/hours
shows
them, the family's hours, and the hand-over of a record at 18."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from threehours.accounts.services import token_issue
from threehours.core.ratelimit import ratelimit_check
from threehours.family.selectors import access_child_record_for_guardian
from threehours.family.services.claim import CLAIM_RATE, CLAIM_RATE_GROUP, record_claim
from threehours.reporting.family_selectors import child_ledger, child_totals, family_hours

from .accounts import LoginOut, me_out
from .attendance import HoursOut, hours_out
from .auth import token_auth
from .schemas import Hours, Id, Out, StrictIn, errors

router = Router(tags=["family"], auth=token_auth)


class ChildHoursRow(Out):
    id: Id
    name: str
    hours: Hours


class FamilyHoursOut(Out):
    total: Hours
    me: Hours
    children: list[ChildHoursRow]


class ClaimIn(StrictIn):
    id_number: str


@router.get("/me/children/{child_id}/hours", response={200: HoursOut, **errors(401, 404)})
def child_hours(request: HttpRequest, child_id: Id):
    """The child's hours in the shape of /me/hours, for the child's guardians (404 for anyone
    else). After the hand-over at 18 a former guardian reads only what came before it."""
    access = access_child_record_for_guardian(guardian=request.user, child_id=child_id)
    return hours_out(child_totals(access=access), child_ledger(access=access))


@router.get("/me/family/hours", response={200: FamilyHoursOut, **errors(401)})
def my_family_hours(request: HttpRequest):
    """家庭公益时: my hours, each child's I look after now, and the sum."""
    family = family_hours(guardian=request.user)
    return {
        "total": family.total,
        "me": family.me,
        "children": [
            {"id": row.child.pk, "name": row.child.real_name, "hours": row.hours}
            for row in family.children
        ],
    }


@router.post("/me/claim", response={200: LoginOut, **errors(400, 401, 409, 429)})
def claim(request: HttpRequest, payload: ClaimIn):
    """Take over the record kept as 小宝 at 18 (the ID number proves it). The calling account
    must be empty: it is deleted, with its tokens, and the record's account takes its phone.
    The answer carries a new token for that account. 400 `claim_not_found` (one answer for
    any number that has no record to hand over), `claim_too_young`, `invalid_id_number`;
    409 `claim_account_has_records`; 429 after five tries an hour."""
    ratelimit_check(request, group=CLAIM_RATE_GROUP, rate=CLAIM_RATE, key="user")
    claimed = record_claim(user=request.user, id_number=payload.id_number)
    return {"token": token_issue(user=claimed, name="claim"), "user": me_out(claimed)}
