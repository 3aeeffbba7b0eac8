"""Receivers of lower floors' signals, connected in ActivitiesConfig.ready()."""

from __future__ import annotations

from .search import activity_search_text_refresh


def organisation_renamed_refresh_search(sender, *, org, **kwargs) -> None:
    # Keyword search matches the organisation's name through each activity's search text.
    activity_search_text_refresh(org=org)
