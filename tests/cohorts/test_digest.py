from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cohorts.digest import digest_context, digest_key, queue_digests
from cohorts.models import Membership, Notification
from cohorts.progress import record_history
from courses.models import Week
from tests.factories import CohortFactory, DeadlineFactory, MembershipFactory, OrganizerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seoul(dls):
    cohort = CohortFactory(
        time_zone="Asia/Seoul", starts_on=date(2025, 3, 1), ends_on=date(2025, 6, 30)
    )
    DeadlineFactory(cohort=cohort, title="Mission 1", through_course=1,
                    due_at=cohort.end_of_day(date(2025, 3, 20)))
    return cohort


def run(at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return queue_digests()


def test_organizers_get_one_digest_per_local_day_from_the_cohorts_hour(
    seoul, django_capture_on_commit_callbacks
):
    organizer = OrganizerFactory(cohort=seoul)
    OrganizerFactory(cohort=seoul, user__email_digest=False)
    MembershipFactory(cohort=seoul, display_name="Behind Bora")

    assert run(datetime(2025, 3, 18, 23, 59, tzinfo=UTC), django_capture_on_commit_callbacks) == 0
    assert run(datetime(2025, 3, 19, 0, 0, tzinfo=UTC), django_capture_on_commit_callbacks) == 1
    assert run(datetime(2025, 3, 19, 5, 0, tzinfo=UTC), django_capture_on_commit_callbacks) == 0
    assert Notification.objects.get().key == digest_key(organizer.pk, date(2025, 3, 19))
    message = mail.outbox[0]
    assert message.to == [organizer.user.email]
    assert "1 critical" in message.subject
    assert "Behind Bora, 4 weeks left" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Next local day (a missed 09:00 run is caught up later that day).
    assert run(datetime(2025, 3, 20, 6, 0, tzinfo=UTC), django_capture_on_commit_callbacks) == 1


def test_digest_context_counts_statuses_and_who_is_behind(seoul):
    MembershipFactory(cohort=seoul, status=Membership.Status.ELIMINATED)
    MembershipFactory(cohort=seoul, display_name="Almost Done")
    done = MembershipFactory(cohort=seoul, display_name="Done Dana")
    weeks = list(Week.objects.through_course(1).order_by("number"))
    at = datetime(2025, 3, 10, tzinfo=UTC)
    record_history(membership=done, ticks=[(w, at) for w in weeks])
    record_history(membership=Membership.objects.get(display_name="Almost Done"), ticks=[(weeks[0], at)])

    context = digest_context(seoul, datetime(2025, 3, 15, tzinfo=UTC))
    assert context["counts"] == {"active": 2, "eliminated": 1, "withdrawn": 0, "graduated": 0}
    assert context["critical_count"] == 0 and context["at_risk_count"] == 1
    assert context["at_risk"] == [{"name": "Almost Done", "remaining": 3}]
    assert context["checkpoint"]["title"] == "Mission 1"


def test_digest_context_reads_a_fixed_number_of_queries(seoul):
    now = datetime(2025, 3, 19, tzinfo=UTC)
    MembershipFactory.create_batch(3, cohort=seoul)
    with CaptureQueriesContext(connection) as small:
        digest_context(seoul, now)
    MembershipFactory.create_batch(30, cohort=seoul)
    with CaptureQueriesContext(connection) as large:
        context = digest_context(seoul, now)
    assert len(small) == len(large)
    assert context["critical_count"] == 33
