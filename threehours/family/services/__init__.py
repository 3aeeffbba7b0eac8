"""Family services (STYLE.md: domain logic here, explicit transactions)."""

from .children import child_add

__all__ = ["child_add"]
