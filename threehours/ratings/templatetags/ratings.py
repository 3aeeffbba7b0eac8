"""`{% activity_ratings activity %}`: the average and count (from the Activity's counters, no
query on ratings) and the latest visible ratings, for the activity page (a floor below)."""

from __future__ import annotations

from django import template

from ..selectors import ratings_visible_of_activity

register = template.Library()

LATEST = 3


@register.inclusion_tag("ratings/partials/_activity_ratings.html")
def activity_ratings(activity):
    ratings = (
        list(ratings_visible_of_activity(activity_id=activity.pk)[:LATEST])
        if activity.rating_count
        else []
    )
    average = activity.rating_average
    return {
        "activity": activity,
        "count": activity.rating_count,
        "average": average,
        "rounded": round(average) if average else 0,
        "ratings": ratings,
    }
