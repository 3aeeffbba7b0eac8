from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class PrivateFileStorage(FileSystemStorage):
    """Files that must never have a public URL (qualification scans, on-site photos): they are
    served only by views that check who asks, so asking this storage for a URL is a bug."""

    def url(self, name: str | None) -> str:
        raise NotImplementedError("private files have no public URL; serve them through a view")
