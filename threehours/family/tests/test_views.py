"""我的小宝 pages (issue #14 §1): they render in Chinese and English, the forms keep their
values and show errors on their fields, and another family's child is a 404 on every page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from threehours.accounts.models import User
from threehours.orgs.tests.factories import image_upload

from .. import services
from ..models import ChildPortrait, GuardianInvitation, Guardianship
from ..selectors import children_of
from .factories import child_of, guardian, id_number_born, years_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def mother():
    return guardian("13900000001", name="王妈妈")


def _as(client, user, language="zh-hans"):
    User.objects.filter(pk=user.pk).update(language=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("language", "texts"),
    [("zh-hans", ["我的小宝", "添加小宝"]), ("en", ["My children", "Add a child"])],
)
def test_the_children_page_lists_children_in_both_languages(client, mother, language, texts):
    kid = child_of(mother)
    html = _as(client, mother, language).get(reverse("family:children")).content.decode()
    for text in texts:
        assert text in html
    assert kid.real_name in html and kid.id_number_masked in html
    assert kid.id_number_plain() not in html
    assert "139****0001" in html  # the guardian, masked
    assert reverse("family:child", args=[kid.pk]) in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_renders_in_both_languages(client, mother, language):
    kid = child_of(mother)
    _as(client, mother, language)
    for url in (
        reverse("family:children"),
        reverse("family:child-add"),
        reverse("family:child", args=[kid.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    html = client.get(reverse("family:child-add")).content.decode()
    assert "PIPL" in html and "90" in html  # the consent text, with the retention period


def test_the_me_page_links_to_my_children(client, mother):
    html = _as(client, mother).get(reverse("accounts:me")).content.decode()
    assert reverse("family:children") in html and "我的小宝" in html


def test_the_pages_need_a_login(client):
    response = client.get(reverse("family:children"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_without_real_name_the_page_says_why_and_links_to_it(client, volunteer):
    _as(client, volunteer)
    for url in (reverse("family:children"), reverse("family:child-add")):
        html = client.get(url).content.decode()
        assert reverse("accounts:real-name") in html
        assert 'data-testid="cannot-add"' in html
    assert (
        'data-testid="child-add-link"'
        not in client.get(reverse("family:children")).content.decode()
    )


def test_a_guardian_under_23_is_told_why(client):
    young = guardian("13900000005", age=22)
    html = _as(client, young).get(reverse("family:children")).content.decode()
    assert 'data-testid="cannot-add"' in html and "23" in html


def test_adding_a_child_on_the_page(client, mother):
    number = id_number_born(years_ago(6))
    response = _as(client, mother).post(
        reverse("family:child-add"), {"name": "王小宝", "id_number": number, "consent": "on"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("family:children")
    [kid] = children_of(guardian=mother)
    assert kid.id_number_plain() == number


def test_errors_are_shown_on_the_fields_and_values_kept(client, mother):
    _as(client, mother)
    number = id_number_born(years_ago(18))  # too old
    response = client.post(
        reverse("family:child-add"), {"name": "王大宝", "id_number": number, "consent": "on"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "id_number" in form.errors
    html = response.content.decode()
    assert 'value="王大宝"' in html and f'value="{number}"' in html
    response = client.post(
        reverse("family:child-add"),
        {"name": "王小宝", "id_number": id_number_born(years_ago(6))},
    )
    assert response.status_code == 400 and "consent" in response.context["form"].errors
    assert not children_of(guardian=mother).exists()


def test_another_familys_child_is_a_404_on_every_page(client, mother):
    kid = child_of(mother)
    services.child_portrait_set(guardian=mother, child=kid, upload=image_upload())
    invitation = services.guardian_invite(guardian=mother, child=kid, phone="13700000000")
    stranger = guardian("13900000002", name="李四")
    _as(client, stranger)
    pages = [
        ("get", reverse("family:child", args=[kid.pk])),
        ("get", reverse("family:child-photo", args=[kid.pk])),
        ("post", reverse("family:child-photo-upload", args=[kid.pk])),
        ("post", reverse("family:child-photo-remove", args=[kid.pk])),
        ("post", reverse("family:guardian-invite", args=[kid.pk])),
        ("post", reverse("family:invitation-cancel", args=[kid.pk, invitation.pk])),
        ("post", reverse("family:child-remove", args=[kid.pk])),
        ("post", reverse("family:invitation-accept", args=[invitation.pk])),
        ("post", reverse("family:invitation-decline", args=[invitation.pk])),
    ]
    for method, url in pages:
        data = {"phone": "13900000003", f"inv{invitation.pk}-consent": "on"}
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 404, url
    assert User.objects.filter(pk=kid.pk).exists()
    assert ChildPortrait.objects.filter(child=kid).exists()
    assert GuardianInvitation.objects.get().status == "pending"
    assert Guardianship.objects.filter(child=kid).count() == 1


def test_the_photo_is_served_to_the_guardians_only(client, mother):
    kid = child_of(mother)
    _as(client, mother)
    url = reverse("family:child-photo", args=[kid.pk])
    assert client.get(url).status_code == 404
    response = client.post(
        reverse("family:child-photo-upload", args=[kid.pk]), {"photo": image_upload()}
    )
    assert response.status_code == 302
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private")
    bad = client.post(
        reverse("family:child-photo-upload", args=[kid.pk]),
        {"photo": image_upload("x.txt", size=(50, 50))},
    )
    assert bad.status_code == 400 and "photo" in bad.context["portrait_form"].errors
    client.post(reverse("family:child-photo-remove", args=[kid.pk]))
    assert client.get(url).status_code == 404


def test_inviting_accepting_and_removing_on_the_pages(client, mother):
    kid = child_of(mother)
    _as(client, mother)
    response = client.post(reverse("family:guardian-invite", args=[kid.pk]), {"phone": "1390000"})
    assert response.status_code == 400 and "phone" in response.context["invite_form"].errors
    response = client.post(
        reverse("family:guardian-invite", args=[kid.pk]), {"phone": "13900000002"}
    )
    assert response.status_code == 302
    invitation = GuardianInvitation.objects.get()
    assert "139****0002" in client.get(reverse("family:child", args=[kid.pk])).content.decode()

    father = guardian("13900000002", name="王爸爸")
    _as(client, father)
    html = client.get(reverse("family:children")).content.decode()
    assert 'data-testid="invitation"' in html and "王妈妈" in html
    response = client.post(reverse("family:invitation-accept", args=[invitation.pk]), {})
    assert response.status_code == 400
    assert not children_of(guardian=father).exists()
    response = client.post(
        reverse("family:invitation-accept", args=[invitation.pk]),
        {f"inv{invitation.pk}-consent": "on"},
    )
    assert response.status_code == 302
    assert list(children_of(guardian=father)) == [kid]

    response = client.post(reverse("family:child-remove", args=[kid.pk]))
    assert response.status_code == 302
    assert not User.objects.filter(pk=kid.pk).exists()


def test_a_child_with_records_is_kept_and_the_page_says_why(client, mother, activity):
    from threehours.signups.models import Signup, SignupChild

    kid = child_of(mother)
    signup = Signup.objects.create(
        activity=activity, volunteer=mother, status=Signup.Status.CONFIRMED, seats=2
    )
    SignupChild.objects.create(signup=signup, child=kid, activity=activity)
    response = _as(client, mother).post(reverse("family:child-remove", args=[kid.pk]))
    assert response.status_code == 409
    assert "不能删除该小宝" in response.content.decode()
    assert list(children_of(guardian=mother)) == [kid]


def test_the_list_reads_in_a_fixed_number_of_queries(client, mother):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    child_of(mother, name="王一宝", age=3)
    _as(client, mother)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("family:children"))
    child_of(mother, name="王二宝", age=4)
    child_of(mother, name="王三宝", age=5)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("family:children"))
    assert len(three) == len(one)
