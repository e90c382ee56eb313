"""Organizers change their cohort's settings, deadlines and Kaggle routes; each change audited."""

from django.db import transaction
from django.forms.models import model_to_dict

from courses.models import Certification

from .models import AuditEvent, Cohort, Deadline, KaggleRoute

SETTINGS_FIELDS = ["prize_slots", "reminder_offsets", "reminder_hour", "grace_hours", "join_code"]


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _audit(*, cohort: Cohort, actor, what: str, before: dict, after: dict, **data) -> bool:
    changes = {
        name: [_plain(before.get(name)), _plain(value)]
        for name, value in after.items()
        if _plain(before.get(name)) != _plain(value)
    }
    if not changes:
        return False
    AuditEvent.objects.create(
        cohort=cohort, actor=actor, action=AuditEvent.Action.SETTINGS_CHANGED,
        data={"what": what, "changes": changes, **data},
    )
    return True


@transaction.atomic
def update_cohort_settings(
    *, cohort: Cohort, actor, certifications: list[Certification], **values
) -> bool:
    """Save the given settings fields and accepted certificates; False if nothing changed."""
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    before = {name: getattr(cohort, name) for name in SETTINGS_FIELDS}
    before["accepted_certifications"] = sorted(
        cohort.accepted_certifications.values_list("slug", flat=True)
    )
    values = {name: values[name] for name in SETTINGS_FIELDS if name in values}
    for name, value in values.items():
        setattr(cohort, name, value)
    cohort.full_clean()
    cohort.save(update_fields=list(values))
    cohort.accepted_certifications.set(certifications)
    after = {**values, "accepted_certifications": sorted(c.slug for c in certifications)}
    return _audit(cohort=cohort, actor=actor, what="cohort", before=before, after=after)


DEADLINE_FIELDS = ["kind", "title", "through_course", "due_at"]


@transaction.atomic
def save_deadline(*, cohort: Cohort, actor, deadline: Deadline | None = None, **values) -> Deadline:
    """Add a deadline, or change one of the cohort's."""
    before = model_to_dict(deadline, fields=DEADLINE_FIELDS) if deadline else {}
    deadline = deadline or Deadline(cohort=cohort)
    for name in DEADLINE_FIELDS:
        setattr(deadline, name, values.get(name))
    if deadline.kind != Deadline.Kind.THEORY:
        deadline.through_course = None
    deadline.full_clean()
    deadline.save()
    after = model_to_dict(deadline, fields=DEADLINE_FIELDS)
    _audit(cohort=cohort, actor=actor, what="deadline", before=before, after=after,
           deadline_id=deadline.pk)
    return deadline


ROUTE_FIELDS = ["name", "categories", "top_percent", "team_required", "max_team_size"]


@transaction.atomic
def save_kaggle_route(
    *, cohort: Cohort, actor, route: KaggleRoute | None = None, **values
) -> KaggleRoute:
    before = model_to_dict(route, fields=ROUTE_FIELDS) if route else {}
    route = route or KaggleRoute(cohort=cohort)
    for name in ROUTE_FIELDS:
        setattr(route, name, values.get(name))
    route.full_clean()
    route.save()
    after = model_to_dict(route, fields=ROUTE_FIELDS)
    _audit(cohort=cohort, actor=actor, what="kaggle_route", before=before, after=after,
           route_id=route.pk)
    return route


@transaction.atomic
def delete_kaggle_route(*, route: KaggleRoute, actor) -> None:
    before = model_to_dict(route, fields=ROUTE_FIELDS)
    _audit(cohort=route.cohort, actor=actor, what="kaggle_route_deleted", before=before,
           after={name: None for name in ROUTE_FIELDS}, route_id=route.pk)
    route.delete()
