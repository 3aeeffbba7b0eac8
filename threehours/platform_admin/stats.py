"""Operator statistics of issue #16 §6: charts drawn on the server (charts.py) over the roll-up
(reporting.stats), the numbers in a table under them, and the same table as CSV.
`urlpatterns` is added by platform_admin/urls.py."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from threehours.core.timeutil import local_today
from threehours.reporting import exports
from threehours.reporting import stats as report

from . import charts
from .views import operator_required

TOP = 10
MAX_MONTHS = 120

GROUP_CHOICES = [
    ("month", gettext_lazy("Month")),
    ("province", gettext_lazy("Province")),
    ("city", gettext_lazy("City")),
    ("type", gettext_lazy("Activity type")),
]


class StatsFilterForm(forms.Form):
    start = forms.CharField(label=gettext_lazy("From month"), required=False)
    end = forms.CharField(label=gettext_lazy("To month"), required=False)
    group = forms.ChoiceField(label=gettext_lazy("Group by"), choices=GROUP_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].widget.input_type = "month"
        self.fields["end"].widget.input_type = "month"

    @staticmethod
    def _month(raw: str | None) -> dt.date | None:
        try:
            return dt.date.fromisoformat(f"{raw}-01") if raw else None
        except ValueError:
            return None

    def period(self) -> tuple[dt.date, dt.date, str]:
        """From, to (first days of months) and group; the last 12 months by default, at most
        MAX_MONTHS, `from` never after `to`."""
        data = self.cleaned_data if self.is_valid() else {}
        last = self._month(data.get("end")) or report.month_start(local_today())
        first = self._month(data.get("start"))
        if first is None:
            first = report.month_start(last - dt.timedelta(days=334))
        if first > last:
            first, last = last, first
        months = report.months_between(first, last)
        if len(months) > MAX_MONTHS:
            first = months[-MAX_MONTHS]
        return first, last, data.get("group") or "month"


def stats_period(request: HttpRequest) -> tuple[StatsFilterForm, dt.date, dt.date, str]:
    form = StatsFilterForm(request.GET or None)
    first, last, group = form.period()
    if not form.is_bound:
        form = StatsFilterForm(
            initial={"start": f"{first:%Y-%m}", "end": f"{last:%Y-%m}", "group": group}
        )
    return form, first, last, group


def _charts(rows, group: str) -> list:
    labels = [r.label for r in rows]
    if group == "month":
        return [
            charts.column_chart(
                title=_("New volunteers"),
                labels=labels,
                values=[r.volunteers_new for r in rows],
                colour="violet",
            ),
            charts.column_chart(
                title=_("Active volunteers"),
                labels=labels,
                values=[r.volunteers for r in rows],
                colour="violet",
            ),
            charts.column_chart(
                title=_("Organisations approved"),
                labels=labels,
                values=[r.organisations for r in rows],
                colour="orange",
            ),
            charts.column_chart(
                title=_("Activities published"), labels=labels, values=[r.activities for r in rows]
            ),
            charts.column_chart(
                title=_("Registrations"),
                labels=labels,
                values=[r.registrations for r in rows],
            ),
            charts.column_chart(
                title=_("Service hours"),
                labels=labels,
                values=[r.hours for r in rows],
                unit=_("h"),
                colour="green",
            ),
        ]
    shown = rows[:15]
    labels = [r.label for r in shown]
    return [
        charts.bar_chart(
            title=_("Service hours"), labels=labels, values=[r.hours for r in shown], unit=_("h")
        ),
        charts.bar_chart(
            title=_("Registrations"),
            labels=labels,
            values=[r.registrations for r in shown],
            colour="blue",
        ),
        charts.bar_chart(
            title=_("Activities published"),
            labels=labels,
            values=[r.activities for r in shown],
            colour="orange",
        ),
        charts.bar_chart(
            title=_("Volunteer-months"),
            labels=labels,
            values=[r.volunteers for r in shown],
            colour="violet",
        ),
    ]


@require_GET
@operator_required
def stats_view(request: HttpRequest) -> HttpResponse:
    form, first, last, group = stats_period(request)
    rows = report.stats_rows(first=first, last=last, group=group)
    top = report.stats_rows(first=first, last=last, group="organisation", limit=TOP)
    top_labels = [r.label for r in top]
    return render(
        request,
        "platform_admin/stats.html",
        {
            "form": form,
            "first": first,
            "last": last,
            "group": group,
            "rows": rows,
            "charts": _charts(rows, group),
            "top": top,
            "top_charts": [
                charts.bar_chart(
                    title=_("Top organisations by service hours"),
                    labels=top_labels,
                    values=[r.hours for r in top],
                    unit=_("h"),
                ),
                charts.bar_chart(
                    title=_("Top organisations by volunteer-months"),
                    labels=top_labels,
                    values=[r.volunteers for r in top],
                    colour="violet",
                ),
            ],
            "query": request.GET.urlencode(),
        },
    )


@require_GET
@operator_required
def stats_csv_view(request: HttpRequest) -> HttpResponse:
    _form, first, last, group = stats_period(request)
    rows = report.stats_rows(first=first, last=last, group=group)
    columns = [
        exports.Column(_("Key")),
        exports.Column(_("Name")),
        exports.Column(_("Active volunteers") if group == "month" else _("Volunteer-months")),
        *([exports.Column(_("New volunteers"))] if group == "month" else []),
        exports.Column(_("Organisations approved")),
        exports.Column(_("Activities published")),
        exports.Column(_("Registrations")),
        exports.Column(_("Service hours")),
    ]
    body = exports.csv_bytes(
        columns,
        (
            [
                r.key,
                r.label,
                r.volunteers,
                *([r.volunteers_new] if group == "month" else []),
                r.organisations,
                r.activities,
                r.registrations,
                r.hours,
            ]
            for r in rows
        ),
    )
    response = HttpResponse(body, content_type=exports.CSV_CONTENT_TYPE)
    name = f"statistics-{group}-{first:%Y%m}-{last:%Y%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns: list = [
    path("stats/", stats_view, name="stats"),
    path("stats.csv", stats_csv_view, name="stats-csv"),
]
