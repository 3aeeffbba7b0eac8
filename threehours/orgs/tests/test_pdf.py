"""The endorsement template: a real PDF with an embedded CJK font, rendered to an image."""

import shutil
import subprocess

import pytest
from django.test import Client

from threehours.orgs.models import Organisation

from .factories import draft_org

pytestmark = pytest.mark.django_db


def test_template_is_an_a4_pdf_with_the_org_name_and_an_embedded_cjk_font(tmp_path):
    org = draft_org(name="梅花社区志愿服务队", category=Organisation.Category.COMMUNITY)
    client = Client()
    client.force_login(org.applicant)
    response = client.get(f"/org/{org.pk}/endorsement-template.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile2" in pdf  # TrueType outlines embedded, not a viewer-dependent CID font
    path = tmp_path / "template.pdf"
    path.write_bytes(pdf)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout
        assert "梅花社区志愿服务队" in text
        assert "社区（村）类志愿组织" in text
        assert "盖章处" in text
    if shutil.which("pdfinfo"):
        info = subprocess.run(
            ["pdfinfo", str(path)], capture_output=True, check=True, text=True
        ).stdout
        assert "595.276 x 841.89 pts (A4)" in info


def test_registered_social_organisations_get_no_endorsement_template():
    org = draft_org(category=Organisation.Category.SOCIAL_ORG)
    client = Client()
    client.force_login(org.applicant)
    assert client.get(f"/org/{org.pk}/endorsement-template.pdf").status_code == 404
