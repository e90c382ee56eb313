import pytest

from cohorts.demo import seed_demo
from cohorts.models import Notification
from cohorts.review_queue import review_queue

pytestmark = pytest.mark.django_db


def test_the_demo_has_evidence_waiting_for_the_organizers():
    cohort = seed_demo()
    queue = review_queue(cohort=cohort)
    assert queue.counts == {"theory": 6, "certificate": 3, "kaggle": 2}
    assert all(item.submission.status == "submitted" for item in queue.items)
    assert not Notification.objects.exists()  # submitting evidence emails nobody
    seed_demo()
    assert review_queue(cohort=cohort).counts == queue.counts
