"""The console's activity form sets the parent-child settings (issue #14 §2): the family box,
the children's age range and the registration commitment, with the service's errors."""

import pytest
from django.test import Client

from threehours.activities.tests.factories import activity_data
from threehours.orgs.tests.factories import approved_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(operator):
    return approved_org(operator=operator)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(data: dict) -> dict:
    form = {k: "" if v is None else v for k, v in data.items() if k != "questions"}
    form.update(province="31", city="3101")
    return form


def test_the_form_offers_the_family_settings(org):
    page = _client(org.applicant).get(f"/org/{org.pk}/activities/new/").content.decode()
    assert "亲子活动：志愿者可带孩子一起报名" in page
    assert 'name="child_age_min"' in page and 'name="commitment"' in page


def test_a_family_activity_is_saved_from_the_form_and_shown_again(org):
    client = _client(org.applicant)
    data = activity_data(questions=[], family="on", child_age_min="6", child_age_max="12")
    data["commitment"] = "家长全程陪同孩子。"
    response = client.post(f"/org/{org.pk}/activities/new/", _post(data))
    assert response.status_code == 302, response.context["form"].errors
    activity = org.activities.get()
    assert activity.family and (activity.child_age_min, activity.child_age_max) == (6, 12)
    assert activity.commitment == "家长全程陪同孩子。"
    page = client.get(f"/org/{org.pk}/activities/{activity.pk}/edit/").content.decode()
    [family_input] = [tag for tag in page.split("<input") if 'name="family"' in tag]
    assert "checked" in family_input.split(">")[0]
    assert "家长全程陪同孩子。" in page and 'value="12"' in page


def test_bad_family_settings_are_shown_on_their_fields(org):
    data = activity_data(questions=[], type="parent_child", child_age_min="9", child_age_max="8")
    data["commitment"] = "付款请扫 https://qr.alipay.com/x"
    response = _client(org.applicant).post(f"/org/{org.pk}/activities/new/", _post(data))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "child_age_max" in errors and "commitment" in errors
    assert not org.activities.exists()
