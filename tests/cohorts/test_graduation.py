from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from cohorts.graduation import graduation_gaps, update_graduation
from cohorts.models import AuditEvent, Deadline, DeadlineExtension, Membership
from cohorts.progress import untick_week
from cohorts.submissions import approve_submission, revoke_approval
from courses.models import Week
from tests.factories import DeadlineFactory

from .pillar_helpers import submit_all

pytestmark = pytest.mark.django_db


def refreshed(membership):
    return Membership.objects.get(pk=membership.pk)


def approve_all(submissions, organizer):
    for submission in submissions:
        approve_submission(submission=submission, actor=organizer.user)


def deadlines(cohort, days: int):
    due = timezone.now() + timedelta(days=days)
    for kind in [Deadline.Kind.CERTIFICATE, Deadline.Kind.KAGGLE]:
        DeadlineFactory(cohort=cohort, kind=kind, through_course=None, due_at=due)
    DeadlineFactory(cohort=cohort, kind=Deadline.Kind.THEORY, through_course=5, due_at=due)


def test_the_last_approval_graduates_the_participant_with_its_time(participant, organizer):
    deadlines(participant.cohort, days=10)
    theory, certificate, kaggle = submit_all(participant)
    approve_all([theory, certificate], organizer)
    assert refreshed(participant).status == "active"
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False) as traveller:
        approve_submission(submission=kaggle, actor=organizer.user)
        membership = refreshed(participant)
        assert membership.status == "graduated" and membership.graduated_at == timezone.now()
    event = AuditEvent.objects.get(action=AuditEvent.Action.GRADUATED)
    assert (event.membership, event.actor) == (participant, organizer.user)


def test_rerunning_the_graduation_check_changes_nothing(participant, organizer):
    approve_all(submit_all(participant), organizer)
    graduated_at = refreshed(participant).graduated_at
    assert update_graduation(membership=participant) is False
    assert refreshed(participant).graduated_at == graduated_at
    assert AuditEvent.objects.filter(action="graduated").count() == 1


def test_evidence_submitted_after_its_deadline_does_not_graduate(participant, organizer):
    deadlines(participant.cohort, days=-1)  # theory finished and evidence sent after the due moment
    approve_all(submit_all(participant), organizer)
    membership = refreshed(participant)
    assert membership.status == "active" and membership.graduated_at is None
    assert graduation_gaps(membership) == [
        "Theory was not met by its deadline.",
        "Certificate was not met by its deadline.",
        "Kaggle was not met by its deadline.",
    ]


def test_an_extension_counts_for_graduation(participant, organizer):
    deadlines(participant.cohort, days=-1)
    for deadline in participant.cohort.deadlines.all():
        DeadlineExtension.objects.create(
            membership=participant, deadline=deadline, due_at=timezone.now() + timedelta(days=3),
            reason="Illness",
        )
    approve_all(submit_all(participant), organizer)
    assert refreshed(participant).status == "graduated"


def test_the_theory_deadline_is_the_last_checkpoint(participant, organizer):
    cohort = participant.cohort
    DeadlineFactory(cohort=cohort, through_course=1, due_at=timezone.now() - timedelta(days=5))
    DeadlineFactory(cohort=cohort, through_course=5, due_at=timezone.now() + timedelta(days=5))
    approve_all(submit_all(participant), organizer)
    assert refreshed(participant).status == "graduated"


def test_revoking_an_approval_revokes_graduation(participant, organizer):
    theory, certificate, kaggle = submit_all(participant)
    approve_all([theory, certificate, kaggle], organizer)
    revoke_approval(submission=certificate, actor=organizer.user, reason="Credential is not valid")
    membership = refreshed(participant)
    assert (membership.status, membership.graduated_at, membership.certificate_state) == (
        "active", None, "rejected"
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.GRADUATION_REVOKED)
    assert (event.actor, event.reason) == (organizer.user, "Credential is not valid")
    assert AuditEvent.objects.get(action="rejected").data["revoked"] is True


def test_unticking_a_week_after_graduating_revokes_graduation(participant, organizer):
    approve_all(submit_all(participant), organizer)
    untick_week(membership=participant, week=Week.objects.first())
    assert refreshed(participant).status == "active"


def test_eliminated_participants_do_not_graduate(participant, organizer):
    submissions = submit_all(participant)
    Membership.objects.filter(pk=participant.pk).update(status="eliminated")
    approve_all(submissions, organizer)
    assert refreshed(participant).status == "eliminated"
    assert not AuditEvent.objects.filter(action="graduated").exists()
