from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cohorts.models import (
    AuditEvent,
    CertificateSubmission,
    KaggleSubmission,
    Membership,
    Notification,
    TheorySubmission,
)
from cohorts.status import eliminate
from cohorts.submissions import (
    approve_submission,
    approve_submissions,
    reject_submission,
    revoke_approval,
    submit_certificate,
    submit_kaggle,
    submit_theory_evidence,
)
from courses.models import Certification
from tests.factories import CohortFactory, MembershipFactory, OrganizerFactory

from .pillar_helpers import (
    certificate_data,
    featured_route,
    finish_theory,
    kaggle_data,
    submit_all,
    team_route,
)

pytestmark = pytest.mark.django_db


def refreshed(membership):
    return Membership.objects.get(pk=membership.pk)


def test_a_certificate_submission_marks_the_pillar_submitted(participant):
    submission = submit_certificate(membership=participant, **certificate_data())
    assert submission.status == "submitted" and submission.certification.slug == "tensorflow-developer"
    assert refreshed(participant).certificate_state == "submitted"


def test_a_double_submission_leaves_one_open_submission_and_says_why(participant):
    submit_certificate(membership=participant, **certificate_data())
    with pytest.raises(ValidationError, match="already have a submission waiting"):
        submit_certificate(membership=participant, **certificate_data(credential_id="TF-999"))
    assert CertificateSubmission.objects.filter(membership=participant).count() == 1


def test_after_a_rejection_the_participant_resubmits_and_the_history_stays(participant, organizer):
    first = submit_certificate(membership=participant, **certificate_data())
    reject_submission(submission=first, actor=organizer.user, reason="The credential URL is broken.")
    assert refreshed(participant).certificate_state == "rejected"
    second = submit_certificate(membership=participant, **certificate_data(credential_id="TF-2"))
    assert list(CertificateSubmission.objects.filter(membership=participant).values_list("status", flat=True)) == [
        "rejected", "submitted"
    ]
    assert second.pk != first.pk and refreshed(participant).certificate_state == "submitted"


def test_an_approved_pillar_takes_no_new_submission(participant, organizer):
    approve_submission(submission=submit_certificate(membership=participant, **certificate_data()), actor=organizer.user)
    with pytest.raises(ValidationError, match="already approved"):
        submit_certificate(membership=participant, **certificate_data())


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"passed_on": timezone.localdate() + timedelta(days=2)}, "passed_on", "future"),
        ({"credential_url": "ftp://example.com/cert"}, "credential_url", "http://"),
        ({"credential_url": "javascript:alert(1)"}, "credential_url", "http://"),
        ({"credential_id": ""}, "credential_id", "cannot be blank"),
    ],
)
def test_bad_certificate_input_is_refused_and_nothing_is_written(participant, overrides, field, message):
    with pytest.raises(ValidationError) as caught:
        submit_certificate(membership=participant, **certificate_data(**overrides))
    assert message in " ".join(caught.value.message_dict[field])
    assert not CertificateSubmission.objects.exists()
    assert refreshed(participant).certificate_state == "not_started"


def test_only_the_cohorts_accepted_certificates_count(participant):
    gcp = Certification.objects.get(slug="gcp-associate-cloud-engineer")
    with pytest.raises(ValidationError, match="does not accept"):
        submit_certificate(membership=participant, **certificate_data(certification=gcp))
    participant.cohort.accepted_certifications.set([gcp])
    assert submit_certificate(membership=participant, **certificate_data(certification=gcp)).pk


def test_a_kaggle_submission_stores_percentile_medal_and_route(participant):
    featured_route(participant.cohort)
    route = team_route(participant.cohort)
    submission = submit_kaggle(
        membership=participant,
        **kaggle_data(category="playground", awards_medals=False, team_name="Tensors", team_size=3,
                      rank=12, teams=500),
    )
    assert (str(submission.percentile), submission.medal, submission.route) == ("2.40", "", route)
    assert refreshed(participant).kaggle_state == "submitted"


def test_a_medal_is_recorded_where_the_competition_awards_them(participant):
    featured_route(participant.cohort)
    submission = submit_kaggle(membership=participant, **kaggle_data(rank=11, teams=500))
    assert submission.medal == "gold"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"rank": 0}, "rank", "at least 1"),
        ({"rank": 101}, "rank", "greater than the number of teams"),
        ({"teams": 0, "rank": 1}, "teams", "at least 1"),
        ({"team_size": 0}, "team_size", "at least 1"),
        ({"evidence_url": "file:///etc/passwd"}, "evidence_url", "http://"),
        ({"category": "secret"}, "category", "not a valid choice"),
    ],
)
def test_bad_kaggle_input_is_refused_and_nothing_is_written(participant, overrides, field, message):
    featured_route(participant.cohort)
    with pytest.raises(ValidationError) as caught:
        submit_kaggle(membership=participant, **kaggle_data(**overrides))
    assert message in " ".join(caught.value.message_dict[field])
    assert not KaggleSubmission.objects.exists()


def test_a_result_that_meets_no_route_is_refused(participant):
    featured_route(participant.cohort)
    with pytest.raises(ValidationError, match="does not meet any"):
        submit_kaggle(membership=participant, **kaggle_data(rank=41))
    assert not KaggleSubmission.objects.exists()


def test_theory_evidence_waits_until_every_week_is_ticked(participant):
    with pytest.raises(ValidationError, match="Tick all weeks"):
        submit_theory_evidence(membership=participant, certificate_url="https://coursera.org/verify/X")
    finish_theory(participant)
    submit_theory_evidence(membership=participant, certificate_url="https://coursera.org/verify/X")
    assert refreshed(participant).theory_state == "submitted"


@pytest.mark.parametrize("status", ["eliminated", "withdrawn"])
def test_eliminated_or_withdrawn_participants_cannot_submit(participant, status):
    Membership.objects.filter(pk=participant.pk).update(status=status)
    with pytest.raises(ValidationError, match="your status is"):
        submit_certificate(membership=participant, **certificate_data())
    assert not CertificateSubmission.objects.exists()


def test_organizers_do_not_submit_evidence(organizer):
    with pytest.raises(ValidationError, match="Only participants"):
        submit_certificate(membership=organizer, **certificate_data())


def test_approval_is_audited_and_the_participant_is_emailed_once(
    participant, organizer, mailoutbox, django_capture_on_commit_callbacks
):
    submission = submit_certificate(membership=participant, **certificate_data())
    with django_capture_on_commit_callbacks(execute=True):
        approve_submission(submission=submission, actor=organizer.user)
    event = AuditEvent.objects.get(action=AuditEvent.Action.APPROVED)
    assert (event.membership, event.actor, event.data["pillar"]) == (participant, organizer.user, "certificate")
    assert Notification.objects.get().key == f"review:certificate:{submission.pk}:approved"
    (message,) = mailoutbox
    assert message.to == [participant.user.email] and "certificate was approved" in message.subject
    assert f"/c/{participant.cohort.slug}/pillars/certificate/" in message.body


def test_rejection_needs_a_reason_which_the_email_carries(
    participant, organizer, mailoutbox, django_capture_on_commit_callbacks
):
    submission = submit_certificate(membership=participant, **certificate_data())
    with pytest.raises(ValidationError, match="Give a reason"):
        reject_submission(submission=submission, actor=organizer.user, reason="   ")
    assert CertificateSubmission.objects.get().status == "submitted" and not AuditEvent.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        reject_submission(submission=submission, actor=organizer.user, reason="Name doesn't match")
    assert AuditEvent.objects.get().action == AuditEvent.Action.REJECTED
    (message,) = mailoutbox
    assert "not accepted" in message.subject and "Name doesn't match" in message.body
    assert "Name doesn&#x27;t match" in message.alternatives[0][0]


def test_a_decided_submission_cannot_be_decided_again(participant, organizer):
    submission = submit_certificate(membership=participant, **certificate_data())
    approve_submission(submission=submission, actor=organizer.user)
    with pytest.raises(ValidationError, match="now approved"):
        reject_submission(submission=submission, actor=organizer.user, reason="Too late")
    assert CertificateSubmission.objects.get().status == "approved"
    assert AuditEvent.objects.filter(action="rejected").count() == 0


def test_only_the_cohorts_organizers_decide(participant):
    submission = submit_certificate(membership=participant, **certificate_data())
    stranger = OrganizerFactory(cohort=CohortFactory())
    with pytest.raises(ValidationError, match="Only the cohort's organizers"):
        approve_submission(submission=submission, actor=stranger.user)
    with pytest.raises(ValidationError, match="Only the cohort's organizers"):
        approve_submission(submission=submission, actor=participant.user)
    assert CertificateSubmission.objects.get().status == "submitted"


def test_bulk_approval_skips_what_is_no_longer_pending(participant, organizer):
    theory, certificate, kaggle = submit_all(participant)
    other = MembershipFactory(cohort=participant.cohort)
    theirs = submit_certificate(membership=other, **certificate_data())
    reject_submission(submission=theirs, actor=organizer.user, reason="Wrong name")
    approved, skipped = approve_submissions(
        cohort=participant.cohort, actor=organizer.user,
        selected=[("theory", theory.pk), ("certificate", certificate.pk), ("kaggle", kaggle.pk),
                  ("certificate", theirs.pk)],
    )
    assert approved == 3 and len(skipped) == 1
    assert CertificateSubmission.objects.get(pk=theirs.pk).status == "rejected"
    assert AuditEvent.objects.filter(action="approved").count() == 3


def test_bulk_approval_ignores_other_cohorts_submissions(participant, organizer):
    outsider = MembershipFactory(cohort=CohortFactory())
    theirs = submit_certificate(membership=outsider, **certificate_data())
    approved, skipped = approve_submissions(
        cohort=participant.cohort, actor=organizer.user, selected=[("certificate", theirs.pk)]
    )
    assert (approved, CertificateSubmission.objects.get().status) == (0, "submitted")
    assert skipped


def test_rejecting_theory_evidence_takes_the_finish_off_the_finishers(participant, organizer):
    finish_theory(participant)
    submission = submit_theory_evidence(membership=participant, certificate_url="https://coursera.org/verify/X")
    assert list(participant.cohort.memberships.finishers()) == [participant]
    reject_submission(submission=submission, actor=organizer.user, reason="Certificate of someone else")
    assert list(participant.cohort.memberships.finishers()) == []
    assert TheorySubmission.objects.get().review_reason == "Certificate of someone else"


def test_revoking_an_approval_needs_an_approved_submission(participant, organizer):
    submission = submit_certificate(membership=participant, **certificate_data())
    with pytest.raises(ValidationError, match="now submitted"):
        revoke_approval(submission=submission, actor=organizer.user, reason="No")
    eliminate(membership=participant, reason="Missed mission 3")
    approve_submission(submission=submission, actor=organizer.user)
    revoke_approval(submission=submission, actor=organizer.user, reason="Credential invalid")
    assert refreshed(participant).certificate_state == "rejected"
