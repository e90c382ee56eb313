import threading

import pytest
from django.db import connection
from django.urls import reverse

from cohorts.models import AuditEvent, CertificateSubmission, KaggleSubmission, Membership, Notification
from cohorts.submissions import approve_submission, reject_submission, submit_certificate
from tests.factories import CohortFactory, MembershipFactory, OrganizerFactory

from .pillar_helpers import certificate_data, submit_all

pytestmark = pytest.mark.django_db


def queue_url(cohort, tab=None):
    url = reverse("cohorts:verify", args=[cohort.slug])
    return f"{url}?tab={tab}" if tab else url


def decide_url(submission, pillar, decision):
    return reverse(
        "cohorts:verify-decide", args=[submission.membership.cohort.slug, pillar, submission.pk, decision]
    )


@pytest.fixture
def organizer_client(client, organizer):
    client.force_login(organizer.user)
    return client


def test_a_participant_cannot_see_or_use_the_queue(participant_client, participant):
    submission = submit_certificate(membership=participant, **certificate_data())
    assert participant_client.get(queue_url(participant.cohort)).status_code == 404
    assert participant_client.post(decide_url(submission, "certificate", "approve")).status_code == 404
    assert CertificateSubmission.objects.get().status == "submitted"


def test_an_organizer_of_another_cohort_gets_404_on_the_queue_and_its_actions(client, participant):
    submission = submit_certificate(membership=participant, **certificate_data())
    elsewhere = OrganizerFactory(cohort=CohortFactory())
    client.force_login(elsewhere.user)
    assert client.get(queue_url(participant.cohort)).status_code == 404
    for decision in ["approve", "reject", "revoke"]:
        response = client.post(decide_url(submission, "certificate", decision), {"reason": "x"})
        assert response.status_code == 404
    bulk = reverse("cohorts:verify-bulk", args=[participant.cohort.slug])
    assert client.post(bulk, {"selected": [f"certificate:{submission.pk}"]}).status_code == 404
    # Their own cohort's URLs do not reach another cohort's submissions either.
    own = reverse("cohorts:verify-decide", args=[elsewhere.cohort.slug, "certificate", submission.pk, "approve"])
    assert client.post(own).status_code == 404
    client.post(reverse("cohorts:verify-bulk", args=[elsewhere.cohort.slug]), {"selected": [f"certificate:{submission.pk}"]})
    assert CertificateSubmission.objects.get().status == "submitted" and not AuditEvent.objects.exists()


def test_the_queue_lists_pending_evidence_of_every_kind_oldest_first(organizer_client, organizer, participant):
    theory, certificate, kaggle = submit_all(participant)
    body = organizer_client.get(queue_url(organizer.cohort)).content.decode()
    positions = [body.index(f'id="review-{p}-{s.pk}"') for p, s in
                 [("theory", theory), ("certificate", certificate), ("kaggle", kaggle)]]
    assert positions == sorted(positions)
    assert "Titanic 2" in body and "TF-123" in body and "Featured, top 40%" in body
    assert participant.user.email in body


def test_approving_from_the_queue_without_javascript(organizer_client, participant):
    submission = submit_certificate(membership=participant, **certificate_data())
    response = organizer_client.post(decide_url(submission, "certificate", "approve"))
    assert response.status_code == 302 and response.url == queue_url(participant.cohort)
    assert CertificateSubmission.objects.get().status == "approved"
    assert Membership.objects.get(pk=participant.pk).certificate_state == "approved"


def test_rejecting_needs_a_reason(organizer_client, participant):
    submission = submit_certificate(membership=participant, **certificate_data())
    response = organizer_client.post(decide_url(submission, "certificate", "reject"), {"reason": ""}, follow=True)
    assert "Give a reason" in response.content.decode()
    assert CertificateSubmission.objects.get().status == "submitted" and not AuditEvent.objects.exists()
    organizer_client.post(decide_url(submission, "certificate", "reject"), {"reason": "Expired"})
    assert CertificateSubmission.objects.get().review_reason == "Expired"


def test_a_decision_with_htmx_swaps_the_row(organizer_client, participant):
    submission = submit_certificate(membership=participant, **certificate_data())
    response = organizer_client.post(
        decide_url(submission, "certificate", "reject"), {"reason": "Expired", "tab": "pending"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert body.lstrip().startswith(f'<li id="review-certificate-{submission.pk}"')
    assert "Rejected" in body and "Expired" in body and "<html" not in body


def test_a_second_decision_on_the_same_submission_is_refused_clearly(organizer_client, organizer, participant):
    submission = submit_certificate(membership=participant, **certificate_data())
    approve_submission(submission=submission, actor=organizer.user)
    response = organizer_client.post(
        decide_url(submission, "certificate", "reject"), {"reason": "Late"}, HTTP_HX_REQUEST="true"
    )
    assert "now approved, so this action no longer applies" in response.content.decode()
    assert CertificateSubmission.objects.get().status == "approved"


def test_bulk_approve_of_selected_submissions(organizer_client, organizer, participant):
    theory, certificate, kaggle = submit_all(participant)
    response = organizer_client.post(
        reverse("cohorts:verify-bulk", args=[organizer.cohort.slug]),
        {"selected": [f"theory:{theory.pk}", f"kaggle:{kaggle.pk}", "bogus", "kaggle:x"]},
        follow=True,
    )
    assert "2 submissions approved." in response.content.decode()
    membership = Membership.objects.get(pk=participant.pk)
    assert (membership.theory_state, membership.certificate_state, membership.kaggle_state) == (
        "approved", "submitted", "approved"
    )
    assert Notification.objects.filter(kind="approved").count() == 2


def test_revoking_from_the_approved_tab(organizer_client, organizer, participant):
    for submission in submit_all(participant):
        approve_submission(submission=submission, actor=organizer.user)
    assert Membership.objects.get(pk=participant.pk).status == "graduated"
    kaggle = KaggleSubmission.objects.get()
    assert f'id="review-kaggle-{kaggle.pk}"' in organizer_client.get(queue_url(organizer.cohort, "approved")).content.decode()
    response = organizer_client.post(decide_url(kaggle, "kaggle", "revoke"), {"reason": "Team too big", "tab": "approved"})
    assert response.url == queue_url(organizer.cohort, "approved")
    assert Membership.objects.get(pk=participant.pk).status == "active"


def test_the_queue_costs_the_same_queries_whatever_its_length(client, organizer, django_assert_num_queries):
    client.force_login(organizer.user)
    cohort = organizer.cohort

    def fill(n):
        for _ in range(n):
            submit_all(MembershipFactory(cohort=cohort))

    fill(1)
    with django_assert_num_queries(QUEUE_QUERIES):
        assert client.get(queue_url(cohort)).status_code == 200
    fill(10)
    with django_assert_num_queries(QUEUE_QUERIES):
        body = client.get(queue_url(cohort)).content.decode()
    assert body.count('class="card review"') == 33


# session, user, membership with its cohort; then a count and a page of rows for each of the
# three kinds.
QUEUE_QUERIES = 9


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_approve_and_reject_give_one_outcome(dls):
    cohort = CohortFactory()
    participant = MembershipFactory(cohort=cohort)
    organizers = [OrganizerFactory(cohort=cohort), OrganizerFactory(cohort=cohort)]
    submission = submit_certificate(membership=participant, **certificate_data())
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(decision, actor):
        try:
            barrier.wait()
            if decision == "approve":
                approve_submission(submission=submission, actor=actor)
            else:
                reject_submission(submission=submission, actor=actor, reason="Not valid")
            outcomes.append(decision)
        except Exception as error:  # noqa: BLE001 - the loser's message is the point
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("approve", organizers[0].user)),
        threading.Thread(target=decide, args=("reject", organizers[1].user)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o in {"approve", "reject"}]
    losers = [o for o in outcomes if o not in winners]
    assert len(winners) == 1 and len(losers) == 1 and "no longer applies" in losers[0]
    final = CertificateSubmission.objects.get()
    assert final.status == {"approve": "approved", "reject": "rejected"}[winners[0]]
    assert Membership.objects.get(pk=participant.pk).certificate_state == final.status
    assert AuditEvent.objects.filter(action__in=["approved", "rejected"]).count() == 1
    assert Notification.objects.count() == 1
