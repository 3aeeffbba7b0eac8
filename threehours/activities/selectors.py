from __future__ import annotations

from collections import defaultdict

from .models import AttributeOption


def attribute_lists() -> dict[str, list[AttributeOption]]:
    """The offered options of every attribute list, in display order, keyed by kind."""
    lists: dict[str, list[AttributeOption]] = defaultdict(list)
    for option in AttributeOption.objects.filter(active=True).order_by("kind", "position", "pk"):
        lists[option.kind].append(option)
    return {kind: lists.get(kind, []) for kind in AttributeOption.Kind.values}
