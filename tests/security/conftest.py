"""Two cohorts, a member of each kind in both, and one object of every kind a URL can name.

The cohort under test is `world.cohort`; `world.other` is a second cohort whose members are the
outsiders, and whose objects are the "somebody else's id" of the 404 tests.
"""

import copy
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from cohorts.models import (
    CertificateSubmission,
    Cohort,
    Deadline,
    Invitation,
    KaggleRoute,
    Membership,
    User,
)
from cohorts.submissions import submit_certificate
from cohorts.tokens import Topic, make_unsubscribe_token
from courses.models import Certification, Week
from tests.factories import (
    CohortFactory,
    DeadlineFactory,
    MembershipFactory,
    OrganizerFactory,
    UserFactory,
)

ROLES = (
    "anonymous",
    "participant",
    "other_participant",
    "organizer",
    "other_organizer",
    "staff",
)


@dataclass
class Side:
    """One cohort and the objects in it that URLs name by id or token."""

    cohort: Cohort
    participant: Membership
    organizer: Membership
    target: Membership  # the participant an organizer acts on
    deadline: Deadline
    route: KaggleRoute
    submission: CertificateSubmission
    invitation: Invitation


@dataclass
class World:
    mine: Side
    other: Side
    staff: User
    week: Week
    users: dict = field(default_factory=dict)

    @property
    def cohort(self) -> Cohort:
        return self.mine.cohort

    def client(self, role: str, **kwargs) -> Client:
        client = Client(**kwargs)
        if self.users[role] is not None:
            client.force_login(self.users[role])
        return client


def verified_user(email: str, **fields) -> User:
    """A user as allauth leaves one after sign-up: with a verified primary address."""
    user = UserFactory(email=email, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def build_side(label: str) -> Side:
    cohort = CohortFactory(slug=f"{label}-cohort", name=f"{label.title()} cohort")
    participant = MembershipFactory(cohort=cohort, user=verified_user(f"{label}-p@example.com"))
    organizer = OrganizerFactory(cohort=cohort, user=verified_user(f"{label}-o@example.com"))
    target = MembershipFactory(cohort=cohort, user=verified_user(f"{label}-t@example.com"))
    deadline = DeadlineFactory(cohort=cohort, kind=Deadline.Kind.THEORY, through_course=1)
    route = KaggleRoute.objects.create(
        cohort=cohort, name="Featured, top 40%", categories=["featured"], top_percent=40
    )
    submission = submit_certificate(
        membership=target,
        certification=Certification.objects.get(slug="tensorflow-developer"),
        credential_id=f"TF-{label}", credential_url="https://www.credential.net/abc",
        passed_on=timezone.localdate() - timedelta(days=3),
    )
    invitation = Invitation.objects.create(
        cohort=cohort, email=f"{label}-invitee@example.com", name="Invitee",
        role=Membership.Role.PARTICIPANT, invited_by=organizer.user,
    )
    return Side(cohort, participant, organizer, target, deadline, route, submission, invitation)


@pytest.fixture
def world(dls) -> World:
    mine, other = build_side("mine"), build_side("other")
    staff = verified_user("staff@example.com", is_staff=True, is_superuser=True)
    # An address the participant added and has not confirmed yet: its key is a real one.
    EmailAddress.objects.create(user=mine.participant.user, email="mine-p-new@example.com")
    week = Week.objects.of(mine.cohort.specialization_id).order_by("pk").first()
    users = {
        "anonymous": None,
        "participant": mine.participant.user,
        "other_participant": other.participant.user,
        "organizer": mine.organizer.user,
        "other_organizer": other.organizer.user,
        "staff": staff,
    }
    return World(mine=mine, other=other, staff=staff, week=week, users=users)


def unsubscribe_token(world: World) -> str:
    return make_unsubscribe_token(user_id=world.mine.participant.user_id, topic=Topic.REMINDERS)


def write_counters() -> dict[str, tuple[int, int, int]]:
    """Rows inserted, updated and deleted per table so far in this transaction (PostgreSQL).

    Every table but the session store (a login writes it by design). Savepoints rolled back
    still count, so a request that wrote and was undone shows here too.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables"
            " WHERE relname <> 'django_session'"
        )
        return {name: tuple(counts) for name, *counts in cursor.fetchall()}


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def post_and_undo(client: Client, url: str, data) -> tuple:
    """POST, then roll everything back: the response and the tables the request wrote.

    The client's cookies are put back too, so no login, message or session change carries over.
    """
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        before = write_counters()
        response = client.post(url, data)
        written = changed_tables(before, write_counters())
        transaction.set_rollback(True)
    client.cookies = cookies
    return response, written
