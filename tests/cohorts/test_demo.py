import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from cohorts.demo import DEMO_SLUG
from cohorts.models import AuditEvent, Cohort, Membership, User, WeekCompletion

pytestmark = pytest.mark.django_db


def demo_state():
    return (
        list(Membership.objects.values_list(
            "user__email", "role", "status", "weeks_done", "finish_seq", "theory_completed_at"
        ).order_by("pk")),
        WeekCompletion.objects.count(),
        AuditEvent.objects.count(),
        User.objects.count(),
    )


def test_seed_demo_twice_gives_the_same_state(capsys):
    call_command("seed_demo", allow_production=True)
    first = demo_state()
    call_command("seed_demo", allow_production=True)
    assert demo_state() == first


def test_the_demo_cohort_is_alive_and_varied():
    call_command("seed_demo", allow_production=True)
    cohort = Cohort.objects.get(slug=DEMO_SLUG)
    participants = cohort.memberships.participants()
    assert 55 <= participants.count() <= 65
    assert cohort.memberships.finishers().count() >= 5
    assert participants.filter(status=Membership.Status.ELIMINATED).count() >= 3
    assert participants.filter(weeks_done__gt=0, weeks_done__lt=17, status="active").count() >= 30
    assert cohort.memberships.organizers().get().user.email == "organizer@example.com"
    assert EmailAddress.objects.get(email="participant@example.com").verified
    # Finish order follows finish time.
    times = list(cohort.memberships.finishers().values_list("theory_completed_at", flat=True))
    assert times == sorted(times)
