"""Volunteers' rating pages: rate or edit (phone layout), the share card, the public list of an
activity's ratings and the photos (private files, served after a check)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from threehours.activities.models import Activity
from threehours.activities.selectors import activity_get_published
from threehours.core.errors import DomainError, InvalidInput, NotFound
from threehours.core.storage import private_file_response

from . import selectors, services
from .forms import RatingForm
from .models import PHOTOS_MAX, TEXT_MAX, RatingPhoto
from .sharecard import share_card_png

PAGE_SIZE = 20


def _errors_to_form(form, exc: DomainError) -> None:
    if isinstance(exc, InvalidInput) and exc.fields:
        for field, errors in exc.fields.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def rating_create_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = Activity.objects.select_related("organisation").filter(pk=activity_id).first()
    if activity is None or (
        activity.state != Activity.State.PUBLISHED
        and not selectors.credited_hours(volunteer=request.user, activity=activity)
    ):
        raise Http404  # a draft's title is nobody's business but its organisation's
    existing = selectors.rating_of(volunteer=request.user, activity_id=activity.pk)
    if existing is not None:
        return redirect("ratings:edit", existing.pk)
    refusal = services.rating_can_create(
        activity=activity, volunteer=request.user, now=timezone.now()
    )
    form = RatingForm(data=request.POST or None)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            rating = services.rating_create(
                activity=activity,
                volunteer=request.user,
                stars=form.cleaned_data["stars"],
                text=form.cleaned_data["text"],
                photos=request.FILES.getlist("photos"),
            )
        except DomainError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("ratings:share-card", rating.pk)
    return render(
        request,
        "ratings/rating_form.html",
        {
            "activity": activity,
            "form": form,
            "refusal": refusal,
            "photos_max": PHOTOS_MAX,
            "text_max": TEXT_MAX,
            "window_days": services.RATING_WINDOW_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rating_edit_view(request: HttpRequest, rating_id: int) -> HttpResponse:
    try:
        rating = selectors.access_rating_of_author(volunteer=request.user, rating_id=rating_id)
    except NotFound as exc:
        raise Http404 from exc
    editable = not rating.is_hidden and services.edit_window_open(rating=rating, now=timezone.now())
    initial = {"stars": rating.stars, "text": rating.text}
    form = RatingForm(data=request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.rating_edit(
                rating=rating,
                author=request.user,
                stars=form.cleaned_data["stars"],
                text=form.cleaned_data["text"],
                photos_add=request.FILES.getlist("photos"),
                photos_remove=[int(x) for x in request.POST.getlist("remove") if x.isdigit()],
            )
        except DomainError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Your rating was saved."))
            return redirect("ratings:share-card", rating.pk)
    return render(
        request,
        "ratings/rating_form.html",
        {
            "activity": rating.activity,
            "rating": rating,
            "photos": list(rating.photos.all()),
            "form": form,
            "editable": editable,
            "photos_max": PHOTOS_MAX,
            "text_max": TEXT_MAX,
            "edit_until": rating.created_at + services.EDIT_WINDOW,
        },
    )


@login_required
@require_GET
def share_card_view(request: HttpRequest, rating_id: int) -> HttpResponse:
    try:
        rating = selectors.access_rating_of_author(volunteer=request.user, rating_id=rating_id)
    except NotFound as exc:
        raise Http404 from exc
    return render(request, "ratings/share_card.html", {"rating": rating})


@login_required
@require_GET
def share_card_png_view(request: HttpRequest, rating_id: int) -> HttpResponse:
    """The card itself; `?download=1` makes it an attachment the phone saves."""
    try:
        rating = selectors.access_rating_of_author(volunteer=request.user, rating_id=rating_id)
    except NotFound as exc:
        raise Http404 from exc
    activity = rating.activity
    png = share_card_png(
        activity_id=activity.pk,
        title=activity.title,
        organisation=activity.organisation.name,
        hours=selectors.credited_hours(volunteer=request.user, activity=activity),
        stars=rating.stars,
    )
    response = HttpResponse(png, content_type="image/png")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="threehours-{activity.pk}.png"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def activity_ratings_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = activity_get_published(activity_id=activity_id)
    if activity is None:
        raise Http404
    ratings = list(selectors.ratings_visible_of_activity(activity_id=activity.pk)[:200])
    average = activity.rating_average
    return render(
        request,
        "ratings/activity_ratings.html",
        {"activity": activity, "ratings": ratings, "rounded": round(average) if average else 0},
    )


@require_GET
def photo_view(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = RatingPhoto.objects.select_related("rating__organisation").filter(pk=photo_id).first()
    if photo is None or not selectors.photo_may_see(photo=photo, user=request.user):
        raise Http404
    return private_file_response(photo.image)
