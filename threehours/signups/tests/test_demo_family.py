"""The demo family: 小李 registered the parent-child reading day with two children."""

import io

import pytest
from django.core.management import call_command

from threehours.accounts.models import User
from threehours.family.selectors import children_of
from threehours.signups.models import Signup


@pytest.mark.django_db
def test_the_demo_volunteer_brings_two_children(settings, regions):
    settings.DEBUG = True
    call_command("demo_data", stdout=io.StringIO())
    li = User.objects.get(phone="13800000001")
    kids = list(children_of(guardian=li))
    assert li.real_name and len(kids) == 2
    signup = Signup.objects.get(volunteer=li, activity__title="亲子绘本共读：图书馆志愿日")
    assert signup.activity.family and signup.status == "confirmed" and signup.seats == 3
    assert set(signup.children.all()) == set(kids)
    call_command("demo_data", stdout=io.StringIO())  # idempotent
    assert len(children_of(guardian=li)) == 2
