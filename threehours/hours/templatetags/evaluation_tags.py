"""Show the organisations' service evaluations (服务评价, issue #15 §2) beside a person's hours:
`{% evaluations_by_activity person as evaluations %}` reads them once (one query), and
`evaluations|evaluation_for:activity_id` picks one in a card."""

from __future__ import annotations

from django import template

from threehours.hours.evaluations import evaluations_of_volunteer

register = template.Library()


@register.simple_tag
def evaluations_by_activity(person) -> dict:
    if not getattr(person, "pk", None):
        return {}
    return {e.activity_id: e for e in evaluations_of_volunteer(volunteer=person)}


@register.filter
def evaluation_for(evaluations, activity_id):
    return evaluations.get(activity_id) if isinstance(evaluations, dict) else None
