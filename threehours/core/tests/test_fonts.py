"""PDFs on a machine without the configured CJK TrueType font: still a PDF, never a 500.

The poster and the endorsement template fall back to reportlab's built-in CID font
STSong-Light; the text stays Chinese text (pdftotext reads it back) and a renderer with a CJK
font of its own draws it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from threehours.activities import services as activity_services
from threehours.activities.tests.factories import activity_data
from threehours.core import fonts
from threehours.orgs.models import Organisation
from threehours.orgs.tests.factories import approved_org, draft_org

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils"),
]
SHOTS = Path("/tmp/shots-edges1")


@pytest.fixture
def no_cjk_font(settings, tmp_path):
    settings.CJK_FONT_PATHS = [str(tmp_path / "nowhere" / "wqy-microhei.ttc")]
    fonts.cjk_font_name.cache_clear()
    yield
    fonts.cjk_font_name.cache_clear()  # the next test registers the configured font again


def _pdf_text_and_page(pdf: bytes, tmp_path: Path, name: str) -> str:
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages: +1$", info.stdout, re.M)  # poppler reads it as a valid PDF
    assert not info.stderr
    if shutil.which("pdftoppm"):
        SHOTS.mkdir(exist_ok=True)
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", "-singlefile", str(path), str(SHOTS / name)],
            check=True,
        )
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_poster_falls_back_to_a_built_in_cid_font(no_cjk_font, operator, tmp_path):
    org = approved_org(operator=operator)
    activity = activity_services.activity_create(
        org=org, user=org.applicant, data=activity_data(title="周末社区图书角整理")
    )
    activity_services.activity_publish(activity=activity, user=org.applicant)
    client = Client()
    client.force_login(org.applicant)

    response = client.get(f"/org/{org.pk}/activities/{activity.pk}/poster.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"/STSong-Light" in response.content and b"/FontFile2" not in response.content
    text = _pdf_text_and_page(response.content, tmp_path, "poster-without-font")
    assert "周末社区图书角整理" in text
    assert "志愿者招募" in text
    assert org.name in text


def test_the_endorsement_template_falls_back_to_a_built_in_cid_font(no_cjk_font, tmp_path):
    org = draft_org(name="梅花社区志愿服务队", category=Organisation.Category.COMMUNITY)
    client = Client()
    client.force_login(org.applicant)

    response = client.get(f"/org/{org.pk}/endorsement-template.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"/STSong-Light" in response.content
    text = _pdf_text_and_page(response.content, tmp_path, "endorsement-without-font")
    assert "梅花社区志愿服务队" in text
    assert "盖章处" in text


def test_the_configured_font_is_embedded_when_it_exists(operator):
    fonts.cjk_font_name.cache_clear()
    if not Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists():
        pytest.skip("needs fonts-wqy-microhei")
    assert fonts.cjk_font_name() == fonts.FONT_NAME


@pytest.mark.parametrize("document", ["poster", "endorsement"])
def test_every_cjk_pdf_waits_for_the_render_lock(document, operator):
    """The shared CJK font is not thread-safe (core.fonts.PDF_RENDER_LOCK): the poster and the
    endorsement template, like certificates and the data download's summary, draw only while
    holding the lock — held here, the drawing waits until it is released."""
    import threading

    from threehours.activities.pdf import activity_poster_pdf
    from threehours.orgs.pdf import endorsement_template_pdf

    org = approved_org(operator=operator)
    if document == "poster":
        activity = activity_services.activity_create(
            org=org, user=org.applicant, data=activity_data()
        )

        def draw() -> bytes:
            return activity_poster_pdf(activity=activity, url="http://127.0.0.1/a/1")
    else:

        def draw() -> bytes:
            return endorsement_template_pdf(org=org)

    out: list[bytes] = []
    worker = threading.Thread(target=lambda: out.append(draw()))
    with fonts.PDF_RENDER_LOCK:
        worker.start()
        worker.join(0.5)
        assert worker.is_alive() and not out  # waiting for the lock
    worker.join(10)
    assert out and out[0].startswith(b"%PDF")
