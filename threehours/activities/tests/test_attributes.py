"""The attribute lists of docs/product.md §2 are data: seeded, editable, served by the API."""

import pytest

from threehours.activities.models import AttributeOption

pytestmark = pytest.mark.django_db


def test_the_guides_lists_are_seeded(attributes):
    forms = {o.code: o for o in attributes.filter(kind="form")}
    assert forms["offline_community_service"].label_zh == "线下-社区服务"
    assert forms["offline_community_service"].online is False
    assert forms["online_remote_teaching"].online is True
    types = set(attributes.filter(kind="type").values_list("label_zh", flat=True))
    assert types == {"亲子活动", "明星活动", "团队活动", "其他"}
    assert attributes.filter(kind="beneficiary", label_zh="流浪猫狗").exists()
    assert attributes.filter(kind="field", label_zh="教育助学").exists()


def test_api_serves_the_lists_in_the_requests_language(api, attributes):
    body = api.get("attributes").json()
    assert set(body) == {
        "types",
        "forms",
        "fields",
        "regions",
        "beneficiaries",
        "skills",
        "incentives",
    }
    forms = {f["code"]: f for f in body["forms"]}
    assert forms["online_mutual_aid"] == {
        "code": "online_mutual_aid",
        "label": "线上-互助互济",
        "online": True,
    }
    english = api.__class__(language="en").get("attributes").json()
    assert {t["label"] for t in english["types"]} == {"Parent-child", "Celebrity", "Team", "Other"}


def test_operators_edit_labels_and_withdraw_options(api, attributes):
    option = attributes.get(kind="skill", code="driving")
    option.label_zh = "驾驶（需驾照）"
    option.save()
    attributes.filter(kind="skill", code="photography").update(active=False)
    skills = {s["code"]: s["label"] for s in api.get("attributes").json()["skills"]}
    assert skills["driving"] == "驾驶（需驾照）"
    assert "photography" not in skills


def test_only_forms_can_be_online(attributes):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AttributeOption.objects.create(
            kind="type", code="virtual", label_zh="虚拟", label_en="Virtual", online=True
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AttributeOption.objects.create(
            kind="form", code="offline_teaching", label_zh="重复", label_en="Duplicate"
        )


def test_the_seed_migration_keeps_operator_edits(attributes):
    from importlib import import_module

    from django.apps import apps

    attributes.filter(kind="type", code="team").update(label_zh="团队志愿")
    count = attributes.count()
    import_module("threehours.activities.migrations.0002_seed_attributes").load_attributes(
        apps, None
    )
    assert attributes.count() == count
    assert attributes.get(kind="type", code="team").label_zh == "团队志愿"
