"""Pillar evidence and its verification: the only writers of a membership's pillar states.

Every service locks the membership first, then the submission, so a submit, an approval and a
rejection touching the same participant run one after the other and never deadlock.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Certification

from .graduation import update_graduation
from .kaggle_routes import KaggleResult, evaluate_routes, validate_standing
from .models import (
    AuditEvent,
    CertificateSubmission,
    Cohort,
    KaggleSubmission,
    Membership,
    Notification,
    Submission,
    TheorySubmission,
)
from .notifications import queue_notification
from .pillars import STATE_FIELDS, SUBMISSION_MODELS, Pillar, pillar_of

DEFAULT_CERTIFICATION_SLUG = "tensorflow-developer"


def accepted_certifications(cohort: Cohort) -> QuerySet[Certification]:
    """The certificates the cohort counts; the TensorFlow Developer Certificate if it chose none."""
    chosen = cohort.accepted_certifications.all()
    if chosen.exists():
        return chosen
    return Certification.objects.filter(slug=DEFAULT_CERTIFICATION_SLUG)


def _lock_membership(membership_id: int) -> Membership:
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("cohort", "user")
        .get(pk=membership_id)
    )


def submission_block(membership: Membership, pillar: str) -> str | None:
    """Why the participant cannot submit evidence for `pillar` now, or None if they can."""
    if not membership.is_participant:
        return _("Only participants submit evidence.")
    if membership.status != Membership.Status.ACTIVE:
        return _("You cannot submit evidence because your status is %(status)s.") % {
            "status": membership.get_status_display()
        }
    state = getattr(membership, STATE_FIELDS[pillar])
    if state == Membership.PillarState.SUBMITTED:
        return _(
            "You already have a submission waiting for review. If it is rejected, you can submit again."
        )
    if state == Membership.PillarState.APPROVED:
        return _("This pillar is already approved.")
    if pillar == Pillar.THEORY and membership.theory_completed_at is None:
        return _("Tick all weeks of the specialization before you submit its certificate.")
    return None


def _validate(membership: Membership, submission: Submission) -> None:
    submission.membership = membership
    submission.status = Submission.Status.SUBMITTED
    submission.submitted_at = timezone.now()
    submission.full_clean(validate_constraints=False)


def _save(membership: Membership, submission: Submission) -> Submission:
    """Save a validated submission as the participant's one open submission for its pillar."""
    pillar = pillar_of(submission)
    try:
        with transaction.atomic():
            submission.save()
    except IntegrityError:
        # Only reachable if the state on Membership and the rows disagree; the rows win.
        raise ValidationError(submission_block(membership, pillar) or _("Please try again."))
    setattr(membership, STATE_FIELDS[pillar], Membership.PillarState.SUBMITTED)
    membership.last_activity_at = submission.submitted_at
    membership.save(update_fields=[STATE_FIELDS[pillar], "last_activity_at"])
    return submission


def _open_for(membership: Membership, pillar: str) -> Membership:
    membership = _lock_membership(membership.pk)
    block = submission_block(membership, pillar)
    if block:
        raise ValidationError(block)
    return membership


@transaction.atomic
def submit_theory_evidence(*, membership: Membership, certificate_url: str) -> TheorySubmission:
    """The Coursera specialization certificate, once every week is ticked."""
    membership = _open_for(membership, Pillar.THEORY)
    submission = TheorySubmission(certificate_url=certificate_url)
    _validate(membership, submission)
    return _save(membership, submission)


@transaction.atomic
def submit_certificate(
    *,
    membership: Membership,
    certification: Certification,
    credential_id: str,
    credential_url: str,
    passed_on: date,
    note: str = "",
) -> CertificateSubmission:
    membership = _open_for(membership, Pillar.CERTIFICATE)
    submission = CertificateSubmission(
        certification=certification, credential_id=credential_id.strip(),
        credential_url=credential_url, passed_on=passed_on, note=note,
    )
    _validate(membership, submission)
    if not accepted_certifications(membership.cohort).filter(pk=certification.pk).exists():
        raise ValidationError({"certification": _("This cohort does not accept that certificate.")})
    if passed_on > timezone.localdate(timezone=membership.cohort.tz):
        raise ValidationError({"passed_on": _("The date you passed cannot be in the future.")})
    return _save(membership, submission)


def evaluate_kaggle_result(*, cohort: Cohort, result: KaggleResult):
    """Which of the cohort's routes accept the result (the pre-submission check)."""
    validate_standing(rank=result.rank, teams=result.teams, team_size=result.team_size)
    return evaluate_routes(routes=cohort.kaggle_routes.all(), result=result)


@transaction.atomic
def submit_kaggle(
    *,
    membership: Membership,
    competition_url: str,
    competition_title: str,
    category: str,
    awards_medals: bool,
    team_name: str,
    team_size: int,
    rank: int,
    teams: int,
    evidence_url: str,
) -> KaggleSubmission:
    """A final private-leaderboard result, stored with its percentile, medal and route."""
    membership = _open_for(membership, Pillar.KAGGLE)
    validate_standing(rank=rank, teams=teams, team_size=team_size)
    result = KaggleResult(
        category=category, team_size=team_size, rank=rank, teams=teams, awards_medals=awards_medals
    )
    submission = KaggleSubmission(
        competition_url=competition_url, competition_title=competition_title.strip(),
        category=category, awards_medals=awards_medals, team_name=team_name.strip(),
        team_size=team_size, rank=rank, teams=teams, evidence_url=evidence_url,
        percentile=result.percentile, medal=result.medal,
    )
    _validate(membership, submission)
    submission.route = evaluate_routes(routes=membership.cohort.kaggle_routes.all(), result=result).route
    if submission.route is None:
        raise ValidationError(
            _("This result does not meet any of the cohort's Kaggle routes, so it cannot be submitted.")
        )
    return _save(membership, submission)


# Verification -----------------------------------------------------------------------------


def _check_organizer(cohort_id: int, actor) -> None:
    if not Membership.objects.organizers().filter(cohort_id=cohort_id, user=actor).exists():
        raise ValidationError(_("Only the cohort's organizers verify evidence."))


def _decide(
    submission: Submission, *, actor, status: str, reason: str, expected: str, revoked: bool = False
) -> Submission:
    pillar = pillar_of(submission)
    membership = _lock_membership(submission.membership_id)
    _check_organizer(membership.cohort_id, actor)
    submission = SUBMISSION_MODELS[pillar].objects.select_for_update().get(pk=submission.pk)
    if submission.status != expected:
        raise ValidationError(
            _("This submission is now %(status)s, so this action no longer applies. Nothing was changed.")
            % {"status": submission.get_status_display().lower()}
        )
    now = timezone.now()
    submission.membership = membership
    submission.status, submission.reviewed_by, submission.reviewed_at = status, actor, now
    submission.review_reason = reason
    submission.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    setattr(membership, STATE_FIELDS[pillar], status)
    membership.save(update_fields=[STATE_FIELDS[pillar]])
    approved = status == Submission.Status.APPROVED
    AuditEvent.objects.create(
        cohort_id=membership.cohort_id, membership=membership, actor=actor,
        action=AuditEvent.Action.APPROVED if approved else AuditEvent.Action.REJECTED,
        reason=reason, created_at=now,
        data={"pillar": str(pillar), "submission": submission.pk, "revoked": revoked},
    )
    outcome = "revoked" if revoked else status
    queue_notification(
        key=f"review:{pillar}:{submission.pk}:{outcome}",
        kind=Notification.Kind.APPROVED if approved else Notification.Kind.REJECTED,
        user=membership.user,
        cohort=membership.cohort,
        context={
            "pillar": str(pillar), "reason": reason, "revoked": revoked,
            "path": reverse("cohorts:pillar", args=[membership.cohort.slug, pillar]),
        },
    )
    update_graduation(membership=membership, actor=actor, reason=reason)
    return submission


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Give a reason: the participant sees it and can resubmit.")}
        )
    return reason


@transaction.atomic
def approve_submission(*, submission: Submission, actor, reason: str = "") -> Submission:
    """Accept pending evidence; graduates the participant if this was the last pillar."""
    return _decide(
        submission, actor=actor, status=Submission.Status.APPROVED, reason=reason.strip(),
        expected=Submission.Status.SUBMITTED,
    )


@transaction.atomic
def reject_submission(*, submission: Submission, actor, reason: str) -> Submission:
    """Refuse pending evidence with a reason; the participant may resubmit."""
    return _decide(
        submission, actor=actor, status=Submission.Status.REJECTED,
        reason=_require_reason(reason), expected=Submission.Status.SUBMITTED,
    )


@transaction.atomic
def revoke_approval(*, submission: Submission, actor, reason: str) -> Submission:
    """Withdraw an approval (e.g. a certificate found invalid); any graduation goes with it."""
    return _decide(
        submission, actor=actor, status=Submission.Status.REJECTED,
        reason=_require_reason(reason), expected=Submission.Status.APPROVED, revoked=True,
    )


@transaction.atomic
def approve_submissions(
    *, cohort: Cohort, actor, selected: list[tuple[str, int]]
) -> tuple[int, list[str]]:
    """Approve several pending submissions; returns how many were approved and why others were not.

    Each approval is its own savepoint, so one that someone else already decided is skipped
    without undoing the others. Memberships are locked in id order to avoid deadlocks.
    """
    _check_organizer(cohort.pk, actor)
    found: list[Submission] = []
    for pillar, model in SUBMISSION_MODELS.items():
        ids = {pk for p, pk in selected if p == pillar}
        if ids:
            found.extend(model.objects.in_cohort(cohort).filter(pk__in=ids))
    approved, skipped = 0, []
    for submission in sorted(found, key=lambda s: (s.membership_id, s.submitted_at)):
        try:
            approve_submission(submission=submission, actor=actor)
        except ValidationError as error:
            skipped.extend(error.messages)
        else:
            approved += 1
    missing = len(set(selected)) - len(found)
    if missing > 0:
        skipped.append(_("Some selected submissions are not in this cohort."))
    return approved, skipped
