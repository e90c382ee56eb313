"""One cohort as a JSON document, and back: `manage.py export_cohort` / `import_cohort`.

The document carries no database ids. Catalog rows are named by their natural keys (the
specialization slug, (specialization, course number, week number) for a week, certification
slugs), people by email, and rows inside the document by their position in their list
(`deadline: 0` is the first deadline). Exporting an imported cohort gives the same document.

What it leaves out, on purpose: password hashes unless asked for (the file then holds
credentials), Django-admin rights (`is_staff`, `is_superuser`: installation-wide, not the
cohort's), and the notification log (delivery bookkeeping whose keys name database ids).
"""

from datetime import date, datetime, time
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from courses.models import Certification, Specialization, Week

from .models import (
    AuditEvent,
    CertificateSubmission,
    Cohort,
    Deadline,
    DeadlineExtension,
    Invitation,
    KaggleRoute,
    KaggleSubmission,
    Membership,
    TheorySubmission,
    User,
    WeekCompletion,
)

FORMAT = "bootcamp-cohort"
VERSION = 1
BATCH = 1000
USER_FIELDS = [
    "email",
    "name",
    "language",
    "email_reminders",
    "email_digest",
    "is_active",
    "date_joined",
]

# Every relation of every exported model, and how the document names its target. A relation
# added to a model later makes export fail loudly until it is mapped here.
RELATIONS: dict[type[models.Model], set[str]] = {
    Cohort: {"specialization", "accepted_certifications"},
    Deadline: {"cohort"},
    KaggleRoute: {"cohort"},
    Membership: {"cohort", "user"},
    WeekCompletion: {"membership", "week"},
    DeadlineExtension: {"membership", "deadline", "granted_by"},
    TheorySubmission: {"membership", "reviewed_by"},
    CertificateSubmission: {"membership", "reviewed_by", "certification"},
    KaggleSubmission: {"membership", "reviewed_by", "route"},
    AuditEvent: {"cohort", "membership", "actor"},
    Invitation: {"cohort", "invited_by"},
}
SUBMISSIONS = {
    "theory": TheorySubmission,
    "certificate": CertificateSubmission,
    "kaggle": KaggleSubmission,
}


def _check_relations() -> None:
    for model, mapped in RELATIONS.items():
        relations = {
            f.name
            for f in [*model._meta.concrete_fields, *model._meta.many_to_many]
            if f.is_relation
        }
        if relations - mapped:
            raise NotImplementedError(
                f"{model.__name__} has relations the cohort export does not map: "
                f"{relations - mapped}"
            )


def _json(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _plain(obj: models.Model, *, only: list[str] | None = None) -> dict:
    """The row's own (non-relation, non-id) columns as JSON values."""
    return {
        f.name: _json(f.value_from_object(obj))
        for f in obj._meta.concrete_fields
        if not f.primary_key and not f.is_relation and (only is None or f.name in only)
    }


def _unplain(model: type[models.Model], data: dict) -> dict:
    """Column values back from JSON, for exactly the plain fields the model has."""
    values = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.is_relation or f.name not in data:
            continue
        values[f.name] = f.to_python(data[f.name]) if data[f.name] is not None else None
    return values


def _email(user: User | None) -> str | None:
    return user.email if user else None


def export_cohort(*, cohort: Cohort, with_password_hashes: bool = False) -> dict:
    """The whole cohort as JSON-ready data."""
    _check_relations()
    cohort = Cohort.objects.select_related("specialization").get(pk=cohort.pk)
    deadlines = list(cohort.deadlines.order_by("due_at", "pk"))
    deadline_ref = {d.pk: i for i, d in enumerate(deadlines)}
    routes = list(cohort.kaggle_routes.order_by("pk"))
    route_ref = {r.pk: i for i, r in enumerate(routes)}
    memberships = list(cohort.memberships.select_related("user").order_by("pk"))
    member = {m.pk: m.user.email for m in memberships}

    completions = (
        WeekCompletion.objects.filter(membership__cohort=cohort)
        .select_related("week__course__specialization")
        .order_by("membership_id", "week__course__number", "week__number")
    )
    extensions = list(
        DeadlineExtension.objects.filter(membership__cohort=cohort)
        .select_related("granted_by")
        .order_by("pk")
    )
    submissions = {
        kind: list(
            model.objects.filter(membership__cohort=cohort)
            .select_related("reviewed_by")
            .order_by("pk")
        )
        for kind, model in SUBMISSIONS.items()
    }
    events = list(cohort.audit_events.select_related("actor").order_by("created_at", "pk"))
    invitations = list(cohort.invitations.select_related("invited_by").order_by("pk"))

    # Members, and anyone else a row names (an organizer who since left, a staff reviewer).
    people = {m.user for m in memberships}
    people |= {e.granted_by for e in extensions} | {e.actor for e in events}
    people |= {i.invited_by for i in invitations}
    people |= {s.reviewed_by for rows in submissions.values() for s in rows}
    people.discard(None)
    addresses: dict[int, list] = {}
    for address in EmailAddress.objects.filter(user__in=people).order_by("pk"):
        addresses.setdefault(address.user_id, []).append(
            {"email": address.email, "verified": address.verified, "primary": address.primary}
        )

    def user_data(user: User) -> dict:
        data = _plain(user, only=USER_FIELDS)
        if with_password_hashes:
            data["password"] = user.password
        data["email_addresses"] = addresses.get(user.pk, [])
        return data

    def submission_data(kind: str, s) -> dict:
        data = {
            "membership": member[s.membership_id],
            "reviewed_by": _email(s.reviewed_by),
            **_plain(s),
        }
        if kind == "certificate":
            data["certification"] = s.certification.slug
        if kind == "kaggle":
            data["route"] = route_ref.get(s.route_id)
        return data

    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "cohort": {
            **_plain(cohort),
            "specialization": cohort.specialization.slug,
            "accepted_certifications": sorted(
                cohort.accepted_certifications.values_list("slug", flat=True)
            ),
        },
        "deadlines": [_plain(d) for d in deadlines],
        "kaggle_routes": [_plain(r) for r in routes],
        "users": [user_data(u) for u in sorted(people, key=lambda u: u.email)],
        "memberships": [{"user": m.user.email, **_plain(m)} for m in memberships],
        "week_completions": [
            {
                "membership": member[c.membership_id],
                "week": [c.week.course.specialization.slug, c.week.course.number, c.week.number],
                **_plain(c),
            }
            for c in completions
        ],
        "extensions": [
            {
                "membership": member[e.membership_id],
                "deadline": deadline_ref[e.deadline_id],
                "granted_by": _email(e.granted_by),
                **_plain(e),
            }
            for e in extensions
        ],
        "submissions": {
            kind: [submission_data(kind, s) for s in rows] for kind, rows in submissions.items()
        },
        "audit_events": [
            {
                "membership": member.get(e.membership_id),
                "actor": _email(e.actor),
                **_plain(e),
            }
            for e in events
        ],
        "invitations": [{"invited_by": _email(i.invited_by), **_plain(i)} for i in invitations],
    }


def _restore_created_at(model, objects: list, rows: list[dict]) -> None:
    """auto_now_add stamps "now" on insert; put the exported moments back."""
    for obj, row in zip(objects, rows, strict=True):
        model.objects.filter(pk=obj.pk).update(created_at=_unplain(model, row)["created_at"])


@transaction.atomic
def import_cohort(*, data: dict) -> Cohort:
    """Recreate an exported cohort; refuses if its slug is taken. Users are created if missing."""
    _check_relations()
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ValidationError(f"Not a {FORMAT} version {VERSION} document.")
    slug = data["cohort"]["slug"]
    if Cohort.objects.filter(slug=slug).exists():
        raise ValidationError(f"A cohort with the slug {slug} already exists.")
    try:
        specialization = Specialization.objects.get(slug=data["cohort"]["specialization"])
    except Specialization.DoesNotExist:
        raise ValidationError(
            f"Specialization {data['cohort']['specialization']} is missing: "
            "load the curriculum first."
        ) from None
    certifications = list(
        Certification.objects.filter(slug__in=data["cohort"]["accepted_certifications"])
    )
    if len(certifications) != len(data["cohort"]["accepted_certifications"]):
        raise ValidationError(
            "Some accepted certifications are missing: load the curriculum first."
        )

    users = _import_users(data["users"])

    def user(email: str | None) -> User | None:
        return users[email.lower()] if email else None

    cohort = Cohort.objects.create(
        specialization=specialization, **_unplain(Cohort, data["cohort"])
    )
    Cohort.objects.filter(pk=cohort.pk).update(
        created_at=_unplain(Cohort, data["cohort"])["created_at"]
    )
    cohort.refresh_from_db()
    cohort.accepted_certifications.set(certifications)

    deadlines = Deadline.objects.bulk_create(
        [Deadline(cohort=cohort, **_unplain(Deadline, row)) for row in data["deadlines"]]
    )
    routes = KaggleRoute.objects.bulk_create(
        [KaggleRoute(cohort=cohort, **_unplain(KaggleRoute, row)) for row in data["kaggle_routes"]]
    )
    memberships = Membership.objects.bulk_create(
        [
            Membership(cohort=cohort, user=user(row["user"]), **_unplain(Membership, row))
            for row in data["memberships"]
        ],
        batch_size=BATCH,
    )
    member = {m.user.email.lower(): m for m in memberships}

    weeks = {
        (w.course.specialization.slug, w.course.number, w.number): w
        for w in Week.objects.select_related("course__specialization")
    }
    try:
        WeekCompletion.objects.bulk_create(
            [
                WeekCompletion(
                    membership=member[row["membership"].lower()],
                    week=weeks[tuple(row["week"])],
                    **_unplain(WeekCompletion, row),
                )
                for row in data["week_completions"]
            ],
            batch_size=BATCH,
        )
    except KeyError as missing:
        raise ValidationError(f"Week {missing} is not in the curriculum: load it first.") from None

    extensions = DeadlineExtension.objects.bulk_create(
        [
            DeadlineExtension(
                membership=member[row["membership"].lower()],
                deadline=deadlines[row["deadline"]],
                granted_by=user(row["granted_by"]),
                **_unplain(DeadlineExtension, row),
            )
            for row in data["extensions"]
        ]
    )
    _restore_created_at(DeadlineExtension, extensions, data["extensions"])

    certification = {c.slug: c for c in Certification.objects.all()}
    for kind, model in SUBMISSIONS.items():
        rows = data["submissions"][kind]
        objects = []
        for row in rows:
            extra = {}
            if kind == "certificate":
                extra["certification"] = certification[row["certification"]]
            if kind == "kaggle":
                extra["route"] = routes[row["route"]] if row["route"] is not None else None
            objects.append(
                model(
                    membership=member[row["membership"].lower()],
                    reviewed_by=user(row["reviewed_by"]),
                    **extra,
                    **_unplain(model, row),
                )
            )
        model.objects.bulk_create(objects, batch_size=BATCH)

    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                cohort=cohort,
                membership=member[row["membership"].lower()] if row["membership"] else None,
                actor=user(row["actor"]),
                **_unplain(AuditEvent, row),
            )
            for row in data["audit_events"]
        ],
        batch_size=BATCH,
    )
    Invitation.objects.bulk_create(
        [
            Invitation(
                cohort=cohort, invited_by=user(row["invited_by"]), **_unplain(Invitation, row)
            )
            for row in data["invitations"]
        ],
        batch_size=BATCH,
    )
    return cohort


def _import_users(rows: list[dict]) -> dict[str, User]:
    """email (lower case) -> User; people already here are reused as they are."""
    emails = [row["email"].lower() for row in rows]
    existing = {u.email.lower(): u for u in User.objects.filter(email__in=emails)}
    new_rows = [row for row in rows if row["email"].lower() not in existing]
    created = User.objects.bulk_create(
        [
            User(
                **_unplain(User, {k: v for k, v in row.items() if k in USER_FIELDS}),
                password=row.get("password") or make_password(None),
            )
            for row in new_rows
        ],
        batch_size=BATCH,
    )
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=user, **address)
            for user, row in zip(created, new_rows, strict=True)
            for address in row["email_addresses"]
        ],
        batch_size=BATCH,
    )
    return existing | {u.email.lower(): u for u in created}
