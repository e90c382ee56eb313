"""The three pillars a participant must clear: where each one's evidence and state live."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import (
    CertificateSubmission,
    Deadline,
    KaggleSubmission,
    Membership,
    Submission,
    TheorySubmission,
)


class Pillar(models.TextChoices):
    THEORY = "theory", _("Theory")
    CERTIFICATE = "certificate", _("Certificate")
    KAGGLE = "kaggle", _("Kaggle")


SUBMISSION_MODELS: dict[str, type[Submission]] = {
    Pillar.THEORY: TheorySubmission,
    Pillar.CERTIFICATE: CertificateSubmission,
    Pillar.KAGGLE: KaggleSubmission,
}

# What showing a submission needs beyond the submission itself.
EVIDENCE_RELATED: dict[str, list[str]] = {
    Pillar.THEORY: [],
    Pillar.CERTIFICATE: ["certification"],
    Pillar.KAGGLE: ["route"],
}

# The denormalised state on Membership, written only by cohorts/submissions.py.
STATE_FIELDS: dict[str, str] = {
    Pillar.THEORY: "theory_state",
    Pillar.CERTIFICATE: "certificate_state",
    Pillar.KAGGLE: "kaggle_state",
}

# Theory is judged against its last checkpoint; the others against their own deadline.
DEADLINE_KINDS: dict[str, str] = {
    Pillar.THEORY: Deadline.Kind.THEORY,
    Pillar.CERTIFICATE: Deadline.Kind.CERTIFICATE,
    Pillar.KAGGLE: Deadline.Kind.KAGGLE,
}


def pillar_of(submission: Submission) -> Pillar:
    return next(Pillar(p) for p, model in SUBMISSION_MODELS.items() if isinstance(submission, model))


def pillar_state(membership: Membership, pillar: str) -> str:
    return getattr(membership, STATE_FIELDS[pillar])


def pillar_deadline(
    deadlines: Iterable[Deadline], pillar: str, extensions: dict[int, datetime] | None = None
) -> tuple[Deadline, datetime] | None:
    """The deadline that covers `pillar` (the last of its kind) and its due moment for this
    participant, with their extension if they have one."""
    kind = DEADLINE_KINDS[pillar]
    last = max(
        (d for d in deadlines if d.kind == kind), key=lambda d: (d.due_at, d.pk), default=None
    )
    if last is None:
        return None
    return last, (extensions or {}).get(last.pk, last.due_at)


@dataclass
class PillarCard:
    """A pillar as the participant sees it: state, the deadline that covers it, the last verdict."""

    pillar: Pillar
    state: str
    deadline: Deadline | None
    due_at: datetime | None
    reason: str = ""

    @property
    def state_label(self) -> str:
        return Membership.PillarState(self.state).label

    @property
    def extended(self) -> bool:
        return self.deadline is not None and self.due_at != self.deadline.due_at

    @property
    def open_for_submission(self) -> bool:
        return self.state in {Membership.PillarState.NOT_STARTED, Membership.PillarState.REJECTED}


def pillar_cards(
    membership: Membership, deadlines: Iterable[Deadline], extensions: dict[int, datetime]
) -> dict[str, PillarCard]:
    """Each pillar's card; the rejection reason costs a query only for a rejected pillar."""
    deadlines = list(deadlines)
    cards = {}
    for pillar in Pillar:
        state = pillar_state(membership, pillar)
        reason = ""
        if state == Membership.PillarState.REJECTED:
            reason = (
                SUBMISSION_MODELS[pillar].objects.filter(
                    membership=membership, status=Submission.Status.REJECTED
                )
                .order_by("-reviewed_at", "-pk")
                .values_list("review_reason", flat=True)
                .first()
                or ""
            )
        deadline, due_at = pillar_deadline(deadlines, pillar, extensions) or (None, None)
        cards[pillar.value] = PillarCard(
            pillar=pillar, state=state, deadline=deadline, due_at=due_at, reason=reason
        )
    return cards


def pillar_cards_for(membership: Membership) -> dict[str, PillarCard]:
    return pillar_cards(
        membership,
        membership.cohort.deadlines.all(),
        dict(membership.extensions.values_list("deadline_id", "due_at")),
    )
