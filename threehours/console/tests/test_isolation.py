"""An organisation never sees another's data: every organisation-scoped page and API operation
answers 404 to a staff member of another organisation (and to a logged-in stranger)."""

import pytest
from django.test import Client
from django.urls import resolve

from threehours.orgs import services
from threehours.orgs.models import Membership
from threehours.orgs.tests.factories import applicant, approved_org, image_upload

pytestmark = pytest.mark.django_db


def _org_scoped_route_names() -> set[str]:
    """Every console URL that takes an org_id, read from the URLconf, so that a new page
    cannot be left out of the isolation test below."""
    from django.urls import URLResolver

    from threehours.console.urls import urlpatterns

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):  # an included module (e.g. registration pages)
                yield from walk(p.url_patterns)
            else:
                yield p

    return {f"console:{p.name}" for p in walk(urlpatterns) if "org_id" in str(p.pattern)}


@pytest.fixture
def two_orgs(operator):
    org_a = approved_org(operator=operator, user=applicant("a@ngo.example.cn"))
    org_b = approved_org(operator=operator, user=applicant("b@ngo.example.cn"))
    file_b = org_b.files.get()
    member_b = org_b.memberships.get()
    invitation_b = services.staff_invite(
        org=org_b, inviter=org_b.applicant, email="inv@ngo.example.cn", role="coordinator"
    )
    return org_a, org_b, file_b, member_b, invitation_b


@pytest.fixture
def activity_b(two_orgs, attributes):
    """A published activity of organisation B taking place today: a draft, or another day,
    answers 404 on some pages (poster, check-in QR) even to its owner, and the checks below
    would pass for the wrong reason."""
    from threehours.activities import services as activity_services
    from threehours.activities.tests.factories import activity_data
    from threehours.core.timeutil import local_today

    org_b = two_orgs[1]
    today = local_today().isoformat()
    data = activity_data(start_date=today, end_date=today)
    draft = activity_services.activity_create(org=org_b, user=org_b.applicant, data=data)
    return activity_services.activity_publish(activity=draft, user=org_b.applicant)


def _rating_of(activity):
    """A volunteer's rating of organisation B's activity (written directly: only its id and
    its unreplied state matter here; the rules are tested in ratings/tests)."""
    from threehours.accounts.models import User
    from threehours.ratings.models import Rating

    volunteer, _ = User.objects.get_or_create(phone="13600000002")
    rating, _ = Rating.objects.get_or_create(
        activity=activity,
        volunteer=volunteer,
        defaults={"organisation_id": activity.organisation_id, "stars": 5},
    )
    return rating


def _signup_of(activity):
    """A pending registration for organisation B's activity (written directly, as a state the
    registration service leaves under staff review, without its notifications)."""
    from django.db.models import F

    from threehours.accounts.models import User
    from threehours.signups.models import Signup

    volunteer, _ = User.objects.get_or_create(phone="13600000001")
    signup, created = Signup.objects.get_or_create(
        activity=activity, volunteer=volunteer, status="pending"
    )
    if created:  # it holds a place, as the registration service would leave it
        type(activity).objects.filter(pk=activity.pk).update(places_taken=F("places_taken") + 1)
    return signup


def _export_of(org):
    """A finished export of organisation B (a file in private storage)."""
    from django.core.files.base import ContentFile

    from threehours.signups.models import Export

    export, created = Export.objects.get_or_create(
        organisation=org, requested_by=org.applicant, kind="hours", status="ready"
    )
    if created:
        export.file.save("b.csv", ContentFile(b"secret"))
    return export


def _pending_of(activity):
    """A proposed credit after a forgotten check-out at organisation B's activity (written
    directly, like the registration above)."""
    import datetime as dt

    from django.utils import timezone

    from threehours.attendance.models import Attendance
    from threehours.hours.models import PendingCredit

    signup = _signup_of(activity)
    attendance, _ = Attendance.objects.get_or_create(
        signup=signup,
        day=activity.start_date,
        defaults={
            "activity": activity,
            "volunteer": signup.volunteer,
            "checked_in_at": timezone.now(),
            "checkin_method": "staff",
        },
    )
    pending, _ = PendingCredit.objects.get_or_create(
        attendance=attendance,
        defaults={"hours": 1, "expires_at": timezone.now() + dt.timedelta(days=7)},
    )
    return pending


def _correction_of(activity):
    """A correction waiting for a second staff member of organisation B (written directly)."""
    from django.utils import timezone

    from threehours.attendance.models import Correction

    signup = _signup_of(activity)
    moment = timezone.now()
    correction, _ = Correction.objects.get_or_create(
        signup=signup,
        defaults={
            "activity": activity,
            "organisation_id": activity.organisation_id,
            "volunteer": signup.volunteer,
            "day": activity.start_date,
            "checkin_at": moment,
            "checkout_at": moment,
            "hours": 1,
            "reason": "补签",
            "requested_by": activity.organisation.applicant,
            "status": Correction.Status.PENDING,
            "why_pending": Correction.Why.OLD,
        },
    )
    return correction


def _org_urls(org_b, file_b, member_b, invitation_b, activity_b):
    b, act = org_b.pk, activity_b.pk
    reg = _signup_of(activity_b).pk
    export = _export_of(org_b).pk
    pending = _pending_of(activity_b).pk
    correction = _correction_of(activity_b).pk
    return [
        ("post", f"/org/{b}/hours/corrections/{correction}/approve/"),
        ("post", f"/org/{b}/hours/corrections/{correction}/reject/"),
        ("get", f"/org/{b}/activities/{act}/checkin-screen/"),
        ("get", f"/org/{b}/activities/{act}/checkin-qr.svg"),
        ("get", f"/org/{b}/activities/{act}/attendance/"),
        ("post", f"/org/{b}/registrations/{reg}/attendance/staff/"),
        ("post", f"/org/{b}/registrations/{reg}/attendance/correct/"),
        ("post", f"/org/{b}/registrations/{reg}/attendance/no-show/"),
        ("get", f"/org/{b}/hours/pending/"),
        ("post", f"/org/{b}/hours/pending/{pending}/cosign/"),
        ("post", f"/org/{b}/volunteers/{_signup_of(activity_b).volunteer_id}/phone/"),
        ("get", f"/org/{b}/activities/{act}/registrants.xlsx"),
        ("get", f"/org/{b}/activities/{act}/registrants.csv"),
        ("get", f"/org/{b}/exports/hours?from=2020-01-01&to=2020-12-31"),
        ("get", f"/org/{b}/exports/{export}/download"),
        ("get", f"/org/{b}/activities/{act}/registrants/"),
        ("post", f"/org/{b}/registrations/{reg}/accept/"),
        ("post", f"/org/{b}/registrations/{reg}/reject/"),
        ("post", f"/org/{b}/registrations/{reg}/remove/"),
        ("get", f"/org/{b}/activities/"),
        ("get", f"/org/{b}/activities/new/"),
        ("post", f"/org/{b}/activities/new/"),
        ("post", f"/org/{b}/activities/images/"),
        ("get", f"/org/{b}/activities/{act}/"),
        ("get", f"/org/{b}/activities/{act}/edit/"),
        ("post", f"/org/{b}/activities/{act}/edit/"),
        ("post", f"/org/{b}/activities/{act}/publish/"),
        ("post", f"/org/{b}/activities/{act}/copy/"),
        ("post", f"/org/{b}/activities/{act}/cancel/"),
        ("get", f"/org/{b}/activities/{act}/poster.pdf"),
        ("post", f"/org/{b}/activities/{act}/cover/"),
        ("get", f"/org/{b}/"),
        ("get", f"/org/{b}/application/"),
        ("post", f"/org/{b}/application/"),
        ("post", f"/org/{b}/files/"),
        ("get", f"/org/{b}/files/{file_b.pk}/"),
        ("post", f"/org/{b}/files/{file_b.pk}/delete/"),
        ("post", f"/org/{b}/submit/"),
        ("get", f"/org/{b}/endorsement-template.pdf"),
        ("get", f"/org/{b}/staff/"),
        ("post", f"/org/{b}/staff/"),
        ("post", f"/org/{b}/staff/{member_b.pk}/remove/"),
        ("post", f"/org/{b}/staff/{member_b.pk}/role/"),
        ("post", f"/org/{b}/invitations/{invitation_b.pk}/revoke/"),
        ("get", f"/org/{b}/certificate/"),
        ("post", f"/org/{b}/certificate/"),
        ("get", f"/org/{b}/activities/{act}/evaluations/"),
        ("post", f"/org/{b}/registrations/{reg}/evaluation/"),
        ("get", f"/org/{b}/ratings/"),
        ("post", f"/org/{b}/ratings/{_rating_of(activity_b).pk}/reply/"),
        *_incentive_urls(org_b),
    ]


def _incentive_urls(org_b):
    """Issue #15 §5: org B's own incentive (made once) and its pages."""
    from threehours.rewards.models import Incentive
    from threehours.rewards.tests.factories import active_incentive

    incentive = Incentive.objects.filter(organisation=org_b).first() or active_incentive(
        actor=org_b.applicant, org=org_b, codes=1
    )
    base = f"/org/{org_b.pk}/incentives/"
    one = f"{base}{incentive.pk}/"
    return [
        ("get", base),
        ("get", f"{base}new/"),
        ("post", f"{base}new/"),
        ("get", one),
        ("post", one),
        ("post", f"{one}codes/"),
        ("post", f"{one}activate/"),
        ("post", f"{one}close/"),
        ("get", f"{one}redemptions.csv"),
        ("get", f"{one}redemptions.xlsx"),
    ]


def test_every_org_scoped_page_is_covered(two_orgs, activity_b):
    covered = {
        resolve(url.split("?")[0]).view_name for _m, url in _org_urls(*two_orgs[1:], activity_b)
    }
    assert _org_scoped_route_names() == covered


@pytest.mark.parametrize("who", ["staff_of_a", "stranger"])
def test_pages_of_another_organisation_answer_404(two_orgs, who, outsider, activity_b):
    org_a, org_b, file_b, member_b, invitation_b = two_orgs
    client = Client()
    client.force_login(org_a.applicant if who == "staff_of_a" else outsider)
    for method, url in _org_urls(org_b, file_b, member_b, invitation_b, activity_b):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    org_b.refresh_from_db()
    assert org_b.files.count() == 1 and org_b.memberships.count() == 1
    assert org_b.invitations.filter(revoked_at__isnull=True).count() == 1
    activity_b.refresh_from_db()
    assert activity_b.state == "published" and org_b.activities.count() == 1
    assert _signup_of(activity_b).status == "pending"
    pending = _pending_of(activity_b)
    assert pending.state == "open" and pending.cosigned_at is None
    assert activity_b.attendances.count() == 1
    assert _correction_of(activity_b).status == "pending_approval"


def test_the_owner_opens_every_page_that_answers_404_to_others(two_orgs, activity_b):
    org_b = two_orgs[1]
    client = Client()
    client.force_login(org_b.applicant)
    for method, url in _org_urls(*two_orgs[1:], activity_b):
        if method == "get":
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
    poster = client.get(f"/org/{org_b.pk}/activities/{activity_b.pk}/poster.pdf")
    assert poster["Content-Type"] == "application/pdf" and poster.content.startswith(b"%PDF")
    qr = client.get(f"/org/{org_b.pk}/activities/{activity_b.pk}/checkin-qr.svg")
    assert qr["Content-Type"].startswith("image/svg+xml")


def test_api_operations_on_another_organisation_answer_404(two_orgs, api):
    org_a, org_b, file_b, member_b, invitation_b = two_orgs
    client = api.as_user(org_a.applicant)
    b = org_b.pk
    calls = [
        client.get(f"orgs/{b}"),
        client.patch(f"orgs/{b}", {"name": "改名"}),
        client.client.post(
            f"/api/v1/orgs/{b}/files",
            {"kind": "other", "file": image_upload()},
            headers=client._headers(),
        ),
        client.delete(f"orgs/{b}/files/{file_b.pk}"),
        client.post(f"orgs/{b}/submit"),
        client.get(f"orgs/{b}/staff"),
        client.post(f"orgs/{b}/invitations", {"email": "x@ngo.example.cn", "role": "admin"}),
        client.delete(f"orgs/{b}/staff/{member_b.pk}"),
        client.client.post(
            f"/api/v1/orgs/{b}/renewals",
            {"valid_until": "2035-01-01", "file": image_upload()},
            headers=client._headers(),
        ),
    ]
    for response in calls:
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"
    org_b.refresh_from_db()
    assert org_b.name != "改名" and org_b.files.count() == 1
    assert org_b.memberships.count() == 1 and org_b.invitations.count() == 1
    assert not org_b.renewals.exists()


def test_a_coordinator_sees_the_org_but_cannot_manage_staff(two_orgs):
    org_a = two_orgs[0]
    coordinator = applicant("coord@ngo.example.cn")
    Membership.objects.create(organisation=org_a, user=coordinator, role="coordinator")
    client = Client()
    client.force_login(coordinator)
    assert client.get(f"/org/{org_a.pk}/").status_code == 200
    assert client.get(f"/org/{org_a.pk}/staff/").status_code == 200
    response = client.post(
        f"/org/{org_a.pk}/staff/", {"email": "x@ngo.example.cn", "role": "admin"}
    )
    assert response.status_code == 403
    admin = org_a.memberships.get(role="admin")
    assert client.post(f"/org/{org_a.pk}/staff/{admin.pk}/remove/").status_code == 403
    assert org_a.memberships.count() == 2 and not org_a.invitations.exists()


def test_operator_pages_need_an_operator(two_orgs, outsider):
    org_b = two_orgs[1]
    client = Client()
    client.force_login(org_b.applicant)
    for url in [
        "/ops/",
        "/ops/orgs/",
        "/ops/orgs/review/",
        f"/ops/orgs/{org_b.pk}/",
        f"/ops/orgs/{org_b.pk}/files/{org_b.files.get().pk}/",
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/ops/login/" in response["Location"], url
    response = client.post(f"/ops/orgs/{org_b.pk}/suspend/", {"reason": "x"})
    assert response.status_code == 302
    org_b.refresh_from_db()
    assert org_b.suspended_at is None


def _api_org_operations() -> list[tuple[str, str, dict]]:
    """Every operation of the JSON API whose path names an organisation, read from the API's
    own schema, so that a new endpoint cannot be left out of the test below."""
    from django.urls import reverse

    from threehours.api.api import api

    schema = api.get_openapi_schema(path_prefix=reverse("api:api-root"))
    return [
        (method.upper(), path, operation)
        for path, operations in schema["paths"].items()
        if "{org_id}" in path
        for method, operation in operations.items()
    ]


def _api_bodies() -> dict[tuple[str, str], dict]:
    """A valid body for each operation that takes one: the refusal must come from the
    organisation check, not from a body that fails validation (which would answer 400)."""
    from threehours.activities.tests.factories import activity_data

    reason = {"reason": "核查"}
    return {
        ("PATCH", "/api/v1/orgs/{org_id}"): {"name": "改名"},
        ("POST", "/api/v1/orgs/{org_id}/files"): {"kind": "other", "file": image_upload()},
        ("POST", "/api/v1/orgs/{org_id}/renewals"): {
            "valid_until": "2035-01-01",
            "file": image_upload(),
        },
        ("POST", "/api/v1/orgs/{org_id}/invitations"): {
            "email": "x@ngo.example.cn",
            "role": "admin",
        },
        ("POST", "/api/v1/orgs/{org_id}/ratings/{rating_id}/reply"): {"text": "谢谢"},
        ("POST", "/api/v1/ops/orgs/{org_id}/reject"): reason,
        ("POST", "/api/v1/ops/orgs/{org_id}/suspend"): reason,
        ("POST", "/api/v1/ops/orgs/{org_id}/reinstate"): reason,
        ("POST", "/api/v1/orgs/{org_id}/activities"): activity_data(),
        ("PATCH", "/api/v1/orgs/{org_id}/activities/{activity_id}"): {"places": 1},
        ("POST", "/api/v1/orgs/{org_id}/activities/{activity_id}/cancel"): reason,
        ("POST", "/api/v1/orgs/{org_id}/activities/{activity_id}/cover"): {"file": image_upload()},
        ("POST", "/api/v1/orgs/{org_id}/registrations/{reg_id}/reject"): reason,
        ("POST", "/api/v1/orgs/{org_id}/corrections/{correction_id}/reject"): reason,
        ("POST", "/api/v1/orgs/{org_id}/registrations/{reg_id}/remove"): reason,
        ("POST", "/api/v1/orgs/{org_id}/registrations/{reg_id}/attendance"): {
            "day": "2026-01-01",
            "checkin_at": "09:00",
            "checkout_at": "10:00",
            "reason": "补录",
        },
        ("POST", "/api/v1/orgs/{org_id}/registrations/{reg_id}/evaluation"): {
            "grade": "good",
            "text": "好",
        },
    }


def _everything_stored(settings) -> tuple:
    """Every row of every table, and every stored file."""
    from pathlib import Path

    from django.apps import apps

    rows = {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    files = sorted(
        str(p)
        for root in (settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT)
        if Path(root).exists()
        for p in Path(root).rglob("*")
        if p.is_file()
    )
    return rows, files


def test_every_api_operation_on_another_organisation_answers_404_and_writes_nothing(
    two_orgs, activity_b, api, settings
):
    org_a, org_b, file_b, member_b, _invitation = two_orgs
    ids = {
        "org_id": org_b.pk,
        "activity_id": activity_b.pk,
        "reg_id": _signup_of(activity_b).pk,
        "file_id": file_b.pk,
        "membership_id": member_b.pk,
        "correction_id": _correction_of(activity_b).pk,
        "rating_id": _rating_of(activity_b).pk,
        "user_id": _signup_of(activity_b).volunteer_id,
    }
    _pending_of(activity_b)
    client = api.as_user(org_a.applicant)
    operations = _api_org_operations()
    covered = {(method, path) for method, path, _op in operations}
    assert ("POST", "/api/v1/orgs/{org_id}/activities/{activity_id}/cover") in covered
    assert ("POST", "/api/v1/orgs/{org_id}/registrations/{reg_id}/attendance") in covered
    bodies = _api_bodies()
    before = _everything_stored(settings)
    for method, path, operation in operations:
        url = path.format(**ids)
        content = operation.get("requestBody", {}).get("content", {})
        if content:
            assert (method, path) in bodies, f"give {method} {path} a valid body above"
        body = bodies.get((method, path))
        if "multipart/form-data" in content:
            response = client.client.post(url, body, headers=client._headers())
        elif method in {"GET", "DELETE"}:
            response = getattr(client, method.lower())(url)
        else:
            response = client.request(method.lower(), url, body)
        assert response.status_code in (403, 404), (method, url, response.content)
        assert response.json()["code"], (method, url)
        if "/ops/" not in path:  # operator operations answer 403 to any non-operator
            assert response.status_code == 404, (method, url, response.content)
    assert _everything_stored(settings) == before


def test_another_organisations_objects_under_ones_own_organisation_answer_404(
    two_orgs, activity_b, settings
):
    """Staff of A naming A in the URL but an object of B (an activity, a registration, a
    file...): the object is fetched through A (`access_*`), so B's ids answer 404 and change
    nothing."""
    import re

    org_a, org_b, file_b, member_b, invitation_b = two_orgs
    client = Client()
    client.force_login(org_a.applicant)
    urls = [
        (method, url.replace(f"/org/{org_b.pk}/", f"/org/{org_a.pk}/", 1))
        for method, url in _org_urls(org_b, file_b, member_b, invitation_b, activity_b)
        if re.match(r"/org/\d+/[^?]*\d", url)  # names an object besides the organisation
    ]
    assert len(urls) > 20
    before = _everything_stored(settings)
    answers = [(method, url, getattr(client, method)(url).status_code) for method, url in urls]
    assert [answer for answer in answers if answer[2] != 404] == []
    assert _everything_stored(settings) == before


def test_api_operations_on_another_organisations_objects_answer_404(
    two_orgs, activity_b, api, settings
):
    """The API's twin of the test above: A's id in the path, B's objects after it."""
    org_a, org_b, file_b, member_b, _invitation = two_orgs
    ids = {
        "org_id": org_a.pk,
        "activity_id": activity_b.pk,
        "reg_id": _signup_of(activity_b).pk,
        "file_id": file_b.pk,
        "membership_id": member_b.pk,
        "correction_id": _correction_of(activity_b).pk,
        "rating_id": _rating_of(activity_b).pk,
        "user_id": _signup_of(activity_b).volunteer_id,
    }
    _pending_of(activity_b)
    client = api.as_user(org_a.applicant)
    operations = [
        (method, path, operation)
        for method, path, operation in _api_org_operations()
        if "/ops/" not in path and path.count("{") > 1
    ]
    assert len(operations) > 10
    bodies = _api_bodies()
    before = _everything_stored(settings)
    wrong = []
    for method, path, operation in operations:
        url = path.format(**ids)
        content = operation.get("requestBody", {}).get("content", {})
        body = bodies.get((method, path))
        if "multipart/form-data" in content:
            response = client.client.post(url, body, headers=client._headers())
        elif method in {"GET", "DELETE"}:
            response = getattr(client, method.lower())(url)
        else:
            response = client.request(method.lower(), url, body)
        if response.status_code != 404 or response.json()["code"] != "not_found":
            wrong.append((method, url, response.status_code, response.content))
    assert wrong == []
    assert _everything_stored(settings) == before
