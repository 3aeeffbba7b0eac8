"""The operator's integrity report (issue #12 §9), read from rows the real services wrote."""

import datetime as dt
from decimal import Decimal

import pytest

from threehours.core.audit import audit_record
from threehours.core.timeutil import local_today
from threehours.hours.tests.factories import integrity_story
from threehours.reporting.selectors import IntegrityRow, integrity_default_period, integrity_report

pytestmark = pytest.mark.django_db


def _figures(row: IntegrityRow) -> dict:
    return {
        "corrections": row.corrections,
        "correction_hours": row.correction_hours,
        "raised_hours": row.raised_hours,
        "total_hours": row.total_hours,
        "share_percent": row.share_percent,
        "own_refused": row.own_refused,
        "pending": row.pending,
        "rejected": row.rejected,
        "code_rotations": row.code_rotations,
        "same_position": row.same_position,
    }


def _expected(**figures) -> dict:
    zero = {
        "corrections": 0,
        "correction_hours": Decimal("0.0"),
        "raised_hours": Decimal("0.0"),
        "total_hours": Decimal("0.0"),
        "share_percent": Decimal("0.0"),
        "own_refused": 0,
        "pending": 0,
        "rejected": 0,
        "code_rotations": 0,
        "same_position": 0,
    }
    return {**zero, **{k: Decimal(v) if isinstance(v, str) else v for k, v in figures.items()}}


@pytest.fixture
def story(operator):
    return integrity_story(operator=operator)


def test_integrity_report_counts_what_the_services_recorded(story):
    rows = integrity_report(**_period(story))
    assert [r.name for r in rows] == ["阳光志愿者协会", "晨光读书会", "河道守护队", ""]
    sunshine, books, river, total = rows
    assert _figures(sunshine) == _expected(
        corrections=1,
        correction_hours="2.0",
        raised_hours="2.0",
        total_hours="14.0",
        share_percent="14.3",
        own_refused=1,
        pending=1,
        rejected=1,
        code_rotations=1,
        same_position=2,
    )
    assert sunshine.flagged and sunshine.share_flagged
    assert _figures(river) == _expected(corrections=1, correction_hours="-3.5", total_hours="4.5")
    assert _figures(books) == _expected(total_hours="4.0")
    assert not river.flagged and not books.flagged
    assert total.is_total and total.organisation_id is None and not total.flagged
    assert _figures(total) == _expected(
        corrections=2,
        correction_hours="-1.5",
        raised_hours="2.0",
        total_hours="22.5",
        share_percent="8.9",
        own_refused=1,
        pending=1,
        rejected=1,
        code_rotations=1,
        same_position=2,
    )


def _period(story, before: int = 1, after: int = 1) -> dict:
    return {
        "date_from": story.day - dt.timedelta(days=before),
        "date_to": story.day + dt.timedelta(days=after),
    }


def test_integrity_report_outside_the_period_keeps_only_what_waits_now(story):
    rows = integrity_report(
        date_from=story.day - dt.timedelta(days=30), date_to=story.day - dt.timedelta(days=1)
    )
    sunshine, total = rows
    assert sunshine.organisation_id == story.sunshine.pk
    assert _figures(sunshine) == _expected(pending=1)
    assert _figures(total) == _expected(pending=1)


def test_integrity_report_for_one_organisation(story):
    rows = integrity_report(**_period(story), organisation=story.river)
    assert [r.organisation_id for r in rows] == [story.river.pk, None]
    assert _figures(rows[0]) == _figures(rows[1])


def test_integrity_report_queries_do_not_grow_with_the_organisations(
    story, django_assert_num_queries
):
    # ledger, corrections, attended activities, their check-ins, day codes, refusals, the
    # refusals' registrations, the organisations' names
    for organisation in (None, story.river, story.books):
        with django_assert_num_queries(8):
            integrity_report(**_period(story), organisation=organisation)


def test_a_refusal_whose_target_cannot_be_placed_counts_for_the_actors_organisations(story):
    audit_record(actor=story.second_staff, verb="integrity.own_refused", target=None)
    today = local_today()
    rows = integrity_report(date_from=story.day, date_to=today)
    assert rows[0].organisation_id == story.sunshine.pk and rows[0].own_refused == 2
    assert rows[-1].own_refused == 2


def test_the_share_is_what_corrections_raised_over_all_hours_and_flags_above_ten_percent():
    assert IntegrityRow(None, "", raised_hours=Decimal("1.0")).share_percent == Decimal("0.0")
    at_limit = IntegrityRow(1, "", raised_hours=Decimal("1.0"), total_hours=Decimal("10.0"))
    assert at_limit.share_percent == Decimal("10.0") and not at_limit.flagged
    above = IntegrityRow(1, "", raised_hours=Decimal("1.1"), total_hours=Decimal("10.0"))
    assert above.share_flagged and above.flagged
    assert IntegrityRow(1, "", own_refused=1).flagged


def test_the_default_period_is_the_last_thirty_days_today_included():
    today = dt.date(2026, 12, 7)
    assert integrity_default_period(today=today) == (dt.date(2026, 11, 8), today)
