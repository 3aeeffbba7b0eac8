"""The child's optional photo (issue #14 §1): checked and re-encoded, private, replaced and
removed by a current guardian only; a bad file writes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from threehours.core.errors import NotFound
from threehours.core.images import ImageTooLarge, InvalidImage
from threehours.orgs.tests.factories import image_upload

from .. import services
from ..models import ChildPortrait
from ..services.portrait import PORTRAIT_MAX_BYTES
from .factories import child_of, guardian

pytestmark = pytest.mark.django_db


def _files(storage) -> set[str]:
    try:
        _dirs, files = storage.listdir("family")
    except FileNotFoundError:
        return set()
    return set(files) | set(_dirs)


def test_a_photo_is_re_encoded_and_replaced(django_capture_on_commit_callbacks):
    parent = guardian()
    child = child_of(parent)
    first = services.child_portrait_set(
        guardian=parent, child=child, upload=image_upload("a.png", fmt="PNG")
    )
    assert first.image.name.startswith(f"family/{child.pk}/portrait/")
    assert first.width == 800
    with first.image.open("rb") as handle:
        assert Image.open(handle).format == "JPEG"  # re-encoded, metadata gone
    old_name = first.image.name
    with django_capture_on_commit_callbacks(execute=True):
        second = services.child_portrait_set(guardian=parent, child=child, upload=image_upload())
    assert ChildPortrait.objects.filter(child=child).count() == 1
    assert second.image.name != old_name
    assert not first.image.storage.exists(old_name)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.child_portrait_remove(guardian=parent, child=child) is True
    assert not ChildPortrait.objects.exists()
    assert not second.image.storage.exists(second.image.name)
    assert services.child_portrait_remove(guardian=parent, child=child) is False


def test_not_an_image_or_too_large_writes_nothing():
    parent = guardian()
    child = child_of(parent)
    storage = ChildPortrait._meta.get_field("image").storage
    before = _files(storage)
    fake = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
    with pytest.raises(InvalidImage) as caught:
        services.child_portrait_set(guardian=parent, child=child, upload=fake)
    assert caught.value.code == "invalid_image"
    big = SimpleUploadedFile("big.jpg", b"\xff" * (PORTRAIT_MAX_BYTES + 1))
    with pytest.raises(ImageTooLarge) as caught:
        services.child_portrait_set(guardian=parent, child=child, upload=big)
    assert caught.value.code == "image_too_large"
    assert not ChildPortrait.objects.exists()
    assert _files(storage) == before


def test_exactly_the_size_limit_is_accepted():
    parent = guardian()
    child = child_of(parent)
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), (1, 2, 3)).save(buffer, format="PNG")
    data = buffer.getvalue()
    padded = data + b"\0" * (PORTRAIT_MAX_BYTES - len(data))  # trailing bytes after IEND
    upload = SimpleUploadedFile("edge.png", padded, content_type="image/png")
    assert services.child_portrait_set(guardian=parent, child=child, upload=upload).pk


def test_another_familys_child_is_not_found():
    parent = guardian()
    child = child_of(parent)
    stranger = guardian("13900000002", name="李四")
    with pytest.raises(NotFound):
        services.child_portrait_set(guardian=stranger, child=child, upload=image_upload())
    with pytest.raises(NotFound):
        services.child_portrait_remove(guardian=stranger, child=child)
    assert not ChildPortrait.objects.exists()
