"""Building blocks for pillar tests: evidence submitted through the services themselves."""

from datetime import timedelta

from django.utils import timezone

from cohorts.models import KaggleRoute
from cohorts.progress import record_history
from cohorts.submissions import submit_certificate, submit_kaggle, submit_theory_evidence
from courses.models import Certification, Week


def tensorflow():
    return Certification.objects.get(slug="tensorflow-developer")


def finish_theory(membership, at=None):
    at = at or timezone.now() - timedelta(hours=1)
    weeks = Week.objects.of(membership.cohort.specialization_id)
    record_history(membership=membership, ticks=[(week, at) for week in weeks])


def featured_route(cohort, **overrides):
    values = {"name": "Featured, top 40%", "categories": ["featured"], "top_percent": 40}
    return KaggleRoute.objects.create(cohort=cohort, **{**values, **overrides})


def team_route(cohort):
    return KaggleRoute.objects.create(
        cohort=cohort, name="Team in Playground or Community, top 20%",
        categories=["playground", "community"], top_percent=20, team_required=True, max_team_size=3,
    )


def certificate_data(**overrides):
    return {
        "certification": tensorflow(), "credential_id": "TF-123",
        "credential_url": "https://www.credential.net/abc", "note": "",
        "passed_on": timezone.localdate() - timedelta(days=3), **overrides,
    }


def kaggle_data(**overrides):
    return {
        "competition_url": "https://www.kaggle.com/competitions/titanic-2",
        "competition_title": "Titanic 2", "category": "featured", "awards_medals": True,
        "team_name": "", "team_size": 1, "rank": 40, "teams": 100,
        "evidence_url": "https://www.kaggle.com/competitions/titanic-2/leaderboard", **overrides,
    }


def submit_all(membership):
    """Theory finished and all three kinds of evidence in, ready for review."""
    if not membership.cohort.kaggle_routes.exists():
        featured_route(membership.cohort)
    finish_theory(membership)
    theory = submit_theory_evidence(
        membership=membership, certificate_url="https://coursera.org/verify/specialization/X"
    )
    certificate = submit_certificate(membership=membership, **certificate_data())
    kaggle = submit_kaggle(membership=membership, **kaggle_data())
    return theory, certificate, kaggle
