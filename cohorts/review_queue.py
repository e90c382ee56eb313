"""The organizers' verification queue: every kind of evidence in one list, in constant queries."""

from dataclasses import dataclass

from .models import Cohort, Submission
from .pillars import EVIDENCE_RELATED, SUBMISSION_MODELS, Pillar

QUEUE_LIMIT = 100


@dataclass(frozen=True)
class QueueItem:
    pillar: Pillar
    submission: Submission

    @property
    def ref(self) -> str:
        return f"{self.pillar.value}:{self.submission.pk}"


@dataclass(frozen=True)
class ReviewQueue:
    status: str
    items: list[QueueItem]
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def review_queue(*, cohort: Cohort, status: str = Submission.Status.SUBMITTED,
                 limit: int = QUEUE_LIMIT) -> ReviewQueue:
    """Pending evidence oldest first (decided evidence: latest decision first), at most `limit`.

    Two queries per kind of evidence, whatever the length of the queue.
    """
    pending = status == Submission.Status.SUBMITTED
    order = ["submitted_at", "pk"] if pending else ["-reviewed_at", "-pk"]
    items, counts = [], {}
    for pillar, model in SUBMISSION_MODELS.items():
        queryset = model.objects.in_cohort(cohort).filter(status=status)
        counts[pillar] = queryset.count()
        rows = queryset.for_review().select_related(*EVIDENCE_RELATED[pillar]).order_by(*order)[:limit]
        items.extend(QueueItem(pillar=Pillar(pillar), submission=row) for row in rows)
    if pending:
        items.sort(key=lambda item: (item.submission.submitted_at, item.pillar, item.submission.pk))
    else:
        items.sort(key=lambda item: item.submission.reviewed_at, reverse=True)
    return ReviewQueue(status=status, items=items[:limit], counts=counts)
