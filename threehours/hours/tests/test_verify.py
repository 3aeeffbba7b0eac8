"""Public verification of a certificate (issue #15 §4): the page `/verify/<serial>`, the form
`/verify/` and `GET /api/v1/certificates/{serial}`."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from threehours.hours.models import Certificate
from threehours.hours.verification import certificate_public, serial_normalise

from .certificate_factory import PDF_BYTES, certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(volunteer):
    volunteer.real_name = "王小明"
    volunteer.save(update_fields=["real_name"])
    return volunteer


@pytest.fixture
def valid(holder, org):
    return certificate(
        holder,
        organisation=org,
        date_from=dt.date(2026, 3, 1),
        date_to=dt.date(2026, 9, 30),
        total_hours="12.5",
    )


def _revoke(cert, reason=Certificate.RevokedReason.CORRECTION):
    Certificate.objects.filter(pk=cert.pk).update(
        state=Certificate.State.REVOKED, revoked_reason=reason, revoked_at=timezone.now()
    )
    cert.refresh_from_db()
    return cert


def _page(client, serial, **headers):
    return client.get(reverse("hours:verify", args=[serial]), headers=headers)


# --- serials ------------------------------------------------------------------------------------


def test_serial_normalise_tolerates_case_spaces_hyphens_and_look_alikes():
    assert serial_normalise("3h-7k2m-q9tx-0bvr-hc4n") == "3H-7K2M-Q9TX-0BVR-HC4N"
    assert serial_normalise(" 3H 7K2M Q9TX 0BVR HC4N ") == "3H-7K2M-Q9TX-0BVR-HC4N"
    assert serial_normalise("7K2MQ9TX0BVRHC4N") == "3H-7K2M-Q9TX-0BVR-HC4N"
    assert serial_normalise("3H-7K2M-Q9TX-OBVR-HC4N") == "3H-7K2M-Q9TX-0BVR-HC4N"  # O read as 0
    assert serial_normalise("3H-7K2M-Q9TX-0BVR-HCIL") == "3H-7K2M-Q9TX-0BVR-HC11"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "3H",
        "3H-7K2M-Q9TX-0BVR-HC4",
        "3H-7K2M-Q9TX-0BVR-HC4NN",
        "3H-7K2M-Q9TX-0BVR-HC4U",
        "3H-7K2M-Q9TX-0BVR-HC4%",
        "x" * 1000,
    ],
)
def test_serial_normalise_refuses_what_cannot_be_a_serial(typed):
    assert serial_normalise(typed) is None


# --- the page -----------------------------------------------------------------------------------


def test_a_valid_certificate_shows_what_it_certifies_and_nothing_more(client, valid, holder, org):
    response = _page(client, valid.serial)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="valid"' in html
    assert valid.serial in html
    assert "王*明" in html
    assert "12.5" in html
    assert org.name in html
    assert valid.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert valid.sha256 in html
    assert "sha256sum" in html
    assert "2026" in html
    # Nothing more: not the full name, not the phone, no activity, no ID number.
    assert holder.real_name not in html
    assert holder.phone not in html
    assert "/activities/" not in html


def test_all_time_is_shown_as_such_with_its_dates(client, holder):
    cert = certificate(holder, all_time=True, date_from=dt.date(2025, 1, 5))
    html = _page(client, cert.serial, **{"Accept-Language": "en"}).content.decode()
    assert "All time (" in html
    assert "All organisations" in html


def test_a_revoked_certificate_says_so_why_and_when(client, valid):
    _revoke(valid)
    response = _page(client, valid.serial, **{"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="revoked"' in html
    assert "corrected after it was issued" in html
    assert "revoked on " in html and str(timezone.localdate(valid.revoked_at).year) in html


def test_the_page_is_in_chinese_by_default(client, valid):
    _revoke(valid)
    html = _page(client, valid.serial).content.decode()
    assert "已撤销" in html or "撤销" in html


def test_a_serial_typed_differently_redirects_to_the_page(client, valid):
    typed = valid.serial.lower().replace("-", " ")
    response = _page(client, typed)
    assert response.status_code == 301
    assert response["Location"] == reverse("hours:verify", args=[valid.serial])


@pytest.mark.parametrize("serial", ["3H-0000-0000-0000-0000", "not-a-serial", "3H-ZZZZ"])
def test_an_unknown_serial_is_a_404_that_says_no_such_certificate(client, valid, serial):
    response = _page(client, serial, **{"Accept-Language": "en"})
    assert response.status_code == 404
    assert "No such certificate" in response.content.decode()
    assert 'data-state="unknown"' in response.content.decode()


def test_the_page_is_cacheable_sets_no_cookie_and_is_not_indexed(client, valid):
    response = _page(client, valid.serial)
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    assert response["ETag"] and response["Last-Modified"]
    assert not response.cookies  # no session, no CSRF cookie
    assert "Cookie" not in response.get("Vary", "")
    assert response["X-Robots-Tag"] == "noindex"
    assert 'name="robots" content="noindex' in response.content.decode()


def test_an_unchanged_certificate_answers_304_and_a_revocation_changes_the_etag(client, valid):
    first = _page(client, valid.serial)
    again = _page(client, valid.serial, **{"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    _revoke(valid)
    after = _page(client, valid.serial, **{"If-None-Match": first["ETag"]})
    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]
    assert 'data-state="revoked"' in after.content.decode()


def test_the_page_reads_one_query_and_a_cached_page_none(client, valid, django_assert_num_queries):
    _page(client, valid.serial, **{"Accept-Language": "en"})  # warm: the URL resolver, templates
    with django_assert_num_queries(1):
        assert _page(client, valid.serial).status_code == 200
    with django_assert_num_queries(0):
        assert _page(client, valid.serial).status_code == 200


def test_a_logged_in_visitor_sees_the_same_page(client, valid, outsider):
    client.force_login(outsider)
    assert 'data-state="valid"' in _page(client, valid.serial).content.decode()


def test_the_page_is_rate_limited_per_ip(client, valid, holder, settings):
    settings.VERIFY_RATE = "3/m"
    others = [certificate(holder) for _ in range(3)]
    for cert in others:  # three misses (serials not asked for in the last minute)
        assert _page(client, cert.serial).status_code == 200
    refused = _page(client, valid.serial)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    other = client.get(reverse("hours:verify", args=[valid.serial]), REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 200


def test_the_form_redirects_a_typed_serial_to_its_page(client, valid):
    response = client.get(reverse("hours:verify-form"), {"serial": valid.serial.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("hours:verify", args=[valid.serial])


def test_the_form_explains_what_a_serial_looks_like(client):
    empty = client.get(reverse("hours:verify-form"), headers={"Accept-Language": "en"})
    assert empty.status_code == 200 and 'name="serial"' in empty.content.decode()
    bad = client.get(
        reverse("hours:verify-form"), {"serial": "hello"}, headers={"Accept-Language": "en"}
    )
    assert bad.status_code == 200
    assert "This is not a serial number" in bad.content.decode()


# --- the API ------------------------------------------------------------------------------------


def test_api_answers_the_public_fields_without_authentication(api, valid, org):
    response = api.get(f"certificates/{valid.serial}")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "serial": valid.serial,
        "state": "valid",
        "holder_masked": "王*明",
        "date_from": "2026-03-01",
        "date_to": "2026-09-30",
        "all_time": False,
        "organisation": org.name,
        "total_hours": 12.5,
        "sha256": valid.sha256,
        "revoked_reason": None,
        "revoked_at": None,
        "issued_at": body["issued_at"],
    }


def test_api_shows_a_revocation_and_its_reason(api, valid):
    _revoke(valid)
    body = api.get(f"certificates/{valid.serial.lower()}").json()
    assert body["state"] == "revoked"
    assert body["revoked_reason"] == "correction"
    assert body["revoked_at"]


def test_api_unknown_serial_is_404_not_found(api, valid):
    for serial in ("3H-0000-0000-0000-0000", "nope"):
        response = api.get(f"certificates/{serial}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_api_is_rate_limited(api, valid, settings):
    settings.VERIFY_RATE = "2/m"
    assert api.get(f"certificates/{valid.serial}").status_code == 200
    assert api.get(f"certificates/{valid.serial}").status_code == 200
    refused = api.get(f"certificates/{valid.serial}")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"


def test_the_public_read_answers_the_stored_types(valid, org):
    row = certificate_public(serial=valid.serial)
    assert row["issued_at"] == valid.issued_at
    assert row["total_hours"] == valid.total_hours
    assert (row["date_from"], row["date_to"], row["all_time"]) == (
        dt.date(2026, 3, 1),
        dt.date(2026, 9, 30),
        False,
    )
    assert row["organisation__name"] == org.name
    assert certificate_public(serial="3H-0000-0000-0000-0000") is None


def test_head_is_answered_and_post_is_not(client, valid):
    url = reverse("hours:verify", args=[valid.serial])
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405
