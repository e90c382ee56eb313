import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.utils import timezone

from cohorts.demo import DEMO_SLUG
from cohorts.models import (
    AuditEvent,
    CertificateSubmission,
    Cohort,
    DeadlineExtension,
    Invitation,
    KaggleSubmission,
    Membership,
    TheorySubmission,
    User,
    WeekCompletion,
)
from courses.models import Certification

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(dls):
    """The demo cohort plus one of every row kind the demo does not make."""
    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))
    cohort = Cohort.objects.get(slug=DEMO_SLUG)
    organizer = User.objects.get(email="organizer@example.com")
    staff = User.objects.create_user("staff@example.org", "x", name="Staff Reviewer", is_staff=True)
    # Finishers without demo evidence, so these rows add to the history rather than clash with it.
    finisher, learner = cohort.memberships.finishers().filter(kagglesubmissions=None, theorysubmissions=None)[:2]
    now = timezone.now()
    DeadlineExtension.objects.create(
        membership=learner,
        deadline=cohort.deadlines.first(),
        due_at=now + timedelta(days=3),
        reason="Hospital stay",
        granted_by=organizer,
    )
    TheorySubmission.objects.create(
        membership=finisher,
        certificate_url="https://coursera.org/verify/ABC",
        status="approved",
        reviewed_by=organizer,
        reviewed_at=now,
    )
    CertificateSubmission.objects.create(
        membership=finisher,
        certification=Certification.objects.get(slug="tensorflow-developer"),
        credential_id="TF-123",
        credential_url="https://example.org/cred/123",
        passed_on=date(2026, 1, 5),
        status="rejected",
        reviewed_by=staff,
        reviewed_at=now,
        review_reason="Blurry scan",
    )
    KaggleSubmission.objects.create(
        membership=finisher,
        competition_url="https://kaggle.com/c/x",
        competition_title="X",
        category="featured",
        rank=10,
        teams=100,
        evidence_url="https://kaggle.com/e",
        percentile=Decimal("10.00"),
        medal="silver",
        route=cohort.kaggle_routes.first(),
    )
    AuditEvent.objects.create(
        cohort=cohort,
        membership=learner,
        actor=organizer,
        action="extended",
        reason="Hospital stay",
        data={"days": 3},
    )
    Invitation.objects.create(
        cohort=cohort, email="newcomer@example.com", role="participant", invited_by=organizer
    )
    return cohort


def snapshot(cohort: Cohort):
    """The cohort as rows named by natural keys, read straight from the tables."""
    members = Membership.objects.filter(cohort=cohort)
    return {
        "cohort": Cohort.objects.filter(pk=cohort.pk)
        .values(
            "slug",
            "name",
            "starts_on",
            "ends_on",
            "finish_counter",
            "join_code",
            "created_at",
            "reminder_offsets",
            "specialization__slug",
        )
        .get(),
        "certifications": sorted(cohort.accepted_certifications.values_list("slug", flat=True)),
        "deadlines": list(
            cohort.deadlines.values_list("kind", "title", "through_course", "due_at")
        ),
        "members": sorted(
            members.values_list(
                "user__email",
                "user__name",
                "user__language",
                "role",
                "status",
                "weeks_done",
                "weeks_done_at",
                "theory_completed_at",
                "finish_seq",
                "theory_state",
                "status_reason",
                "calendar_token",
                "anonymous",
            )
        ),
        "completions": sorted(
            WeekCompletion.objects.filter(membership__in=members).values_list(
                "membership__user__email",
                "week__course__number",
                "week__number",
                "completed_at",
            )
        ),
        "extensions": list(
            DeadlineExtension.objects.filter(membership__in=members).values_list(
                "membership__user__email",
                "deadline__title",
                "due_at",
                "granted_by__email",
                "created_at",
            )
        ),
        "submissions": [
            sorted(
                model.objects.filter(membership__in=members).values_list(
                    "membership__user__email",
                    "status",
                    "reviewed_by__email",
                    "submitted_at",
                )
            )
            for model in (TheorySubmission, CertificateSubmission, KaggleSubmission)
        ],
        "kaggle": list(
            KaggleSubmission.objects.filter(membership__in=members).values_list(
                "percentile",
                "medal",
                "route__name",
            )
        ),
        "audit": sorted(
            AuditEvent.objects.filter(cohort=cohort).values_list(
                "membership__user__email",
                "actor__email",
                "action",
                "reason",
                "data",
                "created_at",
            ),
            key=repr,
        ),
        "invitations": list(cohort.invitations.values_list("email", "token", "invited_by__email")),
        "verified": sorted(
            EmailAddress.objects.filter(user__memberships__cohort=cohort).values_list(
                "email",
                "verified",
                "primary",
            )
        ),
    }


def wipe(cohort: Cohort) -> None:
    """Delete the cohort and everyone in it, as if restoring into an empty installation."""
    emails = list(
        User.objects.filter(
            Q(memberships__cohort=cohort) | Q(email="staff@example.org")
        ).values_list("email", flat=True)
    )
    cohort.delete()
    User.objects.filter(email__in=emails).delete()


def test_export_then_import_into_an_empty_database_restores_the_cohort(demo, tmp_path):
    before = snapshot(demo)
    dump = tmp_path / "cohort.json"
    call_command("export_cohort", DEMO_SLUG, output=str(dump), stderr=open("/dev/null", "w"))
    wipe(demo)
    assert not User.objects.exists()

    call_command("import_cohort", str(dump), stdout=open("/dev/null", "w"))

    restored = Cohort.objects.get(slug=DEMO_SLUG)
    assert snapshot(restored) == before
    again = tmp_path / "again.json"
    call_command("export_cohort", DEMO_SLUG, output=str(again), stderr=open("/dev/null", "w"))
    first, second = json.loads(dump.read_text()), json.loads(again.read_text())
    first.pop("exported_at"), second.pop("exported_at")
    assert first == second


def test_the_export_names_no_database_ids_and_holds_no_passwords_by_default(demo, tmp_path):
    dump = tmp_path / "cohort.json"
    call_command("export_cohort", DEMO_SLUG, output=str(dump), stderr=open("/dev/null", "w"))
    data = json.loads(dump.read_text())
    assert '"id"' not in dump.read_text() and "password" not in dump.read_text()
    assert {u["email"] for u in data["users"]} >= {"participant@example.com", "staff@example.org"}
    assert data["week_completions"][0]["week"][0] == "deep-learning"
    assert len(data["memberships"]) == demo.memberships.count()
    # Every submission of the cohort is exported: the demo's own plus the fixture's one per kind.
    assert {kind: len(rows) for kind, rows in data["submissions"].items()} == {
        "theory": TheorySubmission.objects.filter(membership__cohort=demo).count(),
        "certificate": CertificateSubmission.objects.filter(membership__cohort=demo).count(),
        "kaggle": KaggleSubmission.objects.filter(membership__cohort=demo).count(),
    }


def test_imported_members_keep_their_passwords_only_with_the_hashes(demo, tmp_path, client):
    dump = tmp_path / "cohort.json"
    call_command(
        "export_cohort",
        DEMO_SLUG,
        output=str(dump),
        with_password_hashes=True,
        stderr=open("/dev/null", "w"),
    )
    wipe(demo)
    call_command("import_cohort", str(dump), stdout=open("/dev/null", "w"))
    assert User.objects.get(email="participant@example.com").check_password("bootcamp-demo")
    assert not User.objects.get(email="learner01@example.com").has_usable_password()
    assert not User.objects.get(email="staff@example.org").is_staff


def test_import_refuses_an_existing_slug_and_changes_nothing(demo, tmp_path):
    dump = tmp_path / "cohort.json"
    call_command("export_cohort", DEMO_SLUG, output=str(dump), stderr=open("/dev/null", "w"))
    users = User.objects.count()
    with pytest.raises(CommandError, match="already exists"):
        call_command("import_cohort", str(dump))
    assert User.objects.count() == users and Cohort.objects.count() == 1


def test_import_reuses_people_who_already_have_an_account(demo, tmp_path):
    dump = tmp_path / "cohort.json"
    call_command("export_cohort", DEMO_SLUG, output=str(dump), stderr=open("/dev/null", "w"))
    members = demo.memberships.count()
    demo.delete()  # the people stay
    users = User.objects.count()
    call_command("import_cohort", str(dump), stdout=open("/dev/null", "w"))
    assert User.objects.count() == users
    assert Membership.objects.filter(cohort__slug=DEMO_SLUG).count() == members
