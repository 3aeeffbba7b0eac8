from __future__ import annotations

from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header


class PrivateFileStorage(FileSystemStorage):
    """Files that must never have a public URL (qualification scans, on-site photos): they are
    served only by views that check who asks, so asking this storage for a URL is a bug."""

    def url(self, name: str | None) -> str:
        raise NotImplementedError("private files have no public URL; serve them through a view")


def private_file_response(file: FieldFile) -> FileResponse:
    """Serve a private file to someone a view has already checked; browsers may keep it for an
    hour, shared caches never."""
    response = FileResponse(file.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def file_response(filename: str, content_type: str, content: bytes) -> HttpResponse:
    """An attachment download of personal data: never kept by shared caches."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
