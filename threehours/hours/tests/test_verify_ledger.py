"""verify_ledger runs in the database, in batches of volunteers (issue #17 "Speed and scale")."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from threehours.hours.models import HoursSummary, LedgerEntry
from threehours.hours.services import VerifyProgress, ledger_append, ledger_verify_iter
from threehours.signups.tests.factories import published_activity, volunteers

pytestmark = pytest.mark.django_db


def _credit(person, activity, hours, reason="test"):
    with transaction.atomic():
        ledger_append(
            volunteer=person,
            activity=activity,
            day=activity.start_date,
            hours=Decimal(hours),
            entry_type=LedgerEntry.EntryType.CORRECTION,
            actor=activity.organisation.applicant,
            reason=reason,
        )


@pytest.fixture
def story(org):
    activity = published_activity(org, questions=[])
    people = volunteers(5)
    for i, person in enumerate(people):
        _credit(person, activity, "1.5")
        _credit(person, activity, "0.1")
        if i % 2:
            _credit(person, activity, "-0.2")
    return activity, people


@pytest.mark.parametrize("batch_size", [1, 2, 5000])
def test_a_consistent_ledger_passes_in_any_batch_size(story, batch_size, capsys):
    progress = VerifyProgress()
    assert list(ledger_verify_iter(batch_size=batch_size, progress=progress)) == []
    assert progress.volunteers >= 5
    call_command("verify_ledger", batch_size=batch_size)
    assert "ledger OK" in capsys.readouterr().out


@pytest.mark.parametrize("batch_size", [1, 3, 5000])
def test_every_difference_is_found_whatever_the_batch(story, batch_size):
    activity, people = story
    HoursSummary.objects.filter(volunteer=people[0]).update(service_hours=Decimal("9.0"))
    HoursSummary.objects.filter(volunteer=people[3]).update(online_hours=Decimal("0.3"))
    HoursSummary.objects.filter(volunteer=people[4]).delete()  # entries without a summary
    found = {
        (d.volunteer_id, d.kind, d.summary, d.ledger)
        for d in ledger_verify_iter(batch_size=batch_size)
    }
    kind = LedgerEntry.objects.filter(volunteer=people[0]).first().kind
    assert found == {
        (people[0].pk, kind, Decimal("9.0"), Decimal("1.6")),
        (people[3].pk, "online", Decimal("0.3"), Decimal("0.0")),
        (people[4].pk, kind, Decimal("0.0"), Decimal("1.6")),
    }


def test_the_command_prints_the_first_differences_and_the_count(story, capsys):
    _activity, people = story
    for person in people:
        HoursSummary.objects.filter(volunteer=person).update(service_hours=Decimal("7.0"))
    with pytest.raises(CommandError, match="5 difference"):
        call_command("verify_ledger", show=2, batch_size=2)
    out = capsys.readouterr().out
    assert out.count("summary 7.0 != entries") == 2
    assert "... and 3 more" in out
