"""Cover and description images are checked like the organisations' files (orgs test_services):
by content, at most 5 MB, decoded in full (truncated files and decompression bombs refused) and
re-encoded without EXIF, so a volunteer's photo never publishes where it was taken."""

import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from threehours.activities import services
from threehours.activities.models import Activity
from threehours.core.images import ImageTooLarge, InvalidImage
from threehours.core.tests.pictures import (
    bomb_png,
    exif_with_gps,
    jpeg_bytes,
    noise_bmp,
    truncated_jpeg,
)
from threehours.orgs.tests.factories import approved_org

from .factories import activity_data

pytestmark = pytest.mark.django_db

FIVE_MB = 5 * 1024 * 1024


@pytest.fixture
def org(operator):
    return approved_org(operator=operator)


@pytest.fixture
def activity(org):
    return services.activity_create(org=org, user=org.applicant, data=activity_data())


def _cover(activity, data: bytes, name: str = "cover.jpg") -> bool:
    upload = SimpleUploadedFile(name, data)
    user = activity.organisation.applicant
    return services.activity_cover_set(activity=activity, user=user, upload=upload)


def _description_image(org, data: bytes, name: str = "photo.jpg") -> str:
    return services.activity_image_store(
        org=org, user=org.applicant, upload=SimpleUploadedFile(name, data)
    )


def _assert_no_metadata(data: bytes) -> None:
    assert b"SecretCam" not in data and b"GPS" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG"
        exif = stored.getexif()
        assert not dict(exif)
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)


def _media_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_upload_really_carries_camera_and_gps_exif():
    with Image.open(io.BytesIO(jpeg_bytes(exif=exif_with_gps()))) as original:
        exif = original.getexif()
        assert exif[ExifTags.Base.Make] == "SecretCam"
        assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == (31.0, 11.0, 16.8)


def test_a_stored_cover_has_no_exif_and_no_gps(activity):
    _cover(activity, jpeg_bytes(exif=exif_with_gps()))
    activity.refresh_from_db()
    with activity.cover.open("rb") as fh:
        _assert_no_metadata(fh.read())
    assert (activity.cover_width, activity.cover_height) == (900, 700)


def test_a_stored_description_image_has_no_exif_and_no_gps(org):
    url = _description_image(org, jpeg_bytes(exif=exif_with_gps()))
    with default_storage.open(url.removeprefix("/media/"), "rb") as fh:
        _assert_no_metadata(fh.read())


def test_a_cover_just_under_5_mb_is_accepted_and_over_5_mb_is_refused(activity, settings):
    under, over = noise_bmp(1320), noise_bmp(1325)
    assert len(under) <= FIVE_MB < len(over)
    with pytest.raises(ImageTooLarge) as caught:
        _cover(activity, over, "big.bmp")
    assert caught.value.code == "image_too_large"
    assert "5 MB" in caught.value.message
    activity.refresh_from_db()
    assert not activity.cover
    assert _cover(activity, under, "big.bmp") is False  # above 400 KB: no warning
    activity.refresh_from_db()
    assert activity.cover.name.endswith(".jpg") and activity.cover_width == 1320


def test_the_api_refuses_a_cover_over_5_mb_naming_the_limit(api, org, activity):
    staff = api.as_user(org.applicant)
    response = staff.client.post(
        f"/api/v1/orgs/{org.pk}/activities/{activity.pk}/cover",
        {"file": SimpleUploadedFile("big.bmp", noise_bmp(1325))},
        headers=staff._headers(),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "image_too_large" and "5" in response.json()["message"]
    assert not Activity.objects.get().cover


BAD_FILES = [
    ("notes.jpg", lambda: b"this is a text file, not a photo", InvalidImage, "invalid_image"),
    ("page.png", lambda: b"<html><script>alert(1)</script></html>", InvalidImage, "invalid_image"),
    ("cut.jpg", truncated_jpeg, InvalidImage, "invalid_image"),
    ("bomb.png", bomb_png, InvalidImage, "invalid_image"),
    ("huge.bmp", lambda: noise_bmp(1325), ImageTooLarge, "image_too_large"),
]
BAD_IDS = ["text-renamed-jpg", "html-renamed-png", "truncated-jpeg", "decompression-bomb", "5MB+"]


@pytest.mark.parametrize("name,make,error,code", BAD_FILES, ids=BAD_IDS)
def test_bad_covers_are_refused_and_leave_nothing(activity, settings, name, make, error, code):
    before = _media_files(settings)
    with pytest.raises(error) as caught:
        _cover(activity, make(), name)
    assert caught.value.code == code and caught.value.message
    activity.refresh_from_db()
    assert not activity.cover
    assert _media_files(settings) == before


@pytest.mark.parametrize("name,make,error,code", BAD_FILES, ids=BAD_IDS)
def test_bad_description_images_are_refused_and_leave_nothing(
    org, settings, name, make, error, code
):
    before = _media_files(settings)
    with pytest.raises(error) as caught:
        _description_image(org, make(), name)
    assert caught.value.code == code and caught.value.message
    assert _media_files(settings) == before
