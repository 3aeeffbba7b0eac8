"""Operator pages for the user agreement and the privacy policy (issue #16 §1): list the
versions, write a draft with a preview, publish it (audited); published versions are read-only."""

import pytest
from django.test import Client
from django.utils import timezone

from threehours.accounts import consent
from threehours.accounts.models import PolicyDocument
from threehours.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def policies():
    for kind in ("terms", "privacy"):
        PolicyDocument.objects.update_or_create(
            kind=kind,
            version=1,
            defaults={"title": kind, "body_markdown": "旧", "published_at": timezone.now()},
        )
    consent.policies_cache_clear()


@pytest.fixture
def ops(operator):
    client = Client()
    client.force_login(operator)
    return client


def test_only_operators_see_the_policy_pages(client, volunteer):
    assert client.get("/ops/policies/").status_code == 302
    client.force_login(volunteer)
    assert client.get("/ops/policies/").status_code == 302


def test_write_preview_save_and_publish_a_new_version(ops):
    page = ops.get("/ops/policies/").content.decode()
    assert "用户协议" in page and "隐私政策" in page
    response = ops.post("/ops/policies/new/privacy/")
    draft = PolicyDocument.objects.get(kind="privacy", published_at__isnull=True)
    assert response["Location"] == f"/ops/policies/{draft.pk}/" and draft.version == 2
    # Posting again continues the same draft.
    ops.post("/ops/policies/new/privacy/")
    assert PolicyDocument.objects.filter(kind="privacy").count() == 2
    body = {"title": "隐私政策", "body_markdown": "## 新增\n\n<script>x</script>", "changes": ""}
    preview = ops.post(f"/ops/policies/{draft.pk}/", {**body, "preview": "1"})
    html = preview.content.decode()
    assert "<h2>新增</h2>" in html and "<script>x</script>" not in html
    draft.refresh_from_db()
    assert draft.body_markdown == "旧"  # a preview saves nothing
    assert ops.post(f"/ops/policies/{draft.pk}/", body).status_code == 302
    # A second version must say what changed.
    ops.post(f"/ops/policies/{draft.pk}/publish/")
    draft.refresh_from_db()
    assert draft.published_at is None
    ops.post(f"/ops/policies/{draft.pk}/", {**body, "changes": "新增注销说明"})
    response = ops.post(f"/ops/policies/{draft.pk}/publish/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published_at is not None and consent.current_version("privacy") == 2
    assert AuditEntry.objects.filter(verb="policy.published").count() == 1
    # Read-only now: the page shows no form and a save is refused.
    page = ops.get(f"/ops/policies/{draft.pk}/").content.decode()
    assert 'name="body_markdown"' not in page
    ops.post(f"/ops/policies/{draft.pk}/", {**body, "title": "改"})
    draft.refresh_from_db()
    assert draft.title == "隐私政策"


def test_unknown_kinds_and_ids_are_404(ops):
    assert ops.post("/ops/policies/new/cookies/").status_code == 404
    assert ops.get("/ops/policies/999999/").status_code == 404
