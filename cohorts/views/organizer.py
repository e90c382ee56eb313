"""The organizer console: every view sits behind `organizer_required` (404 for anyone else)."""

from itertools import chain

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import roster
from ..access import organizer_required
from ..configuration import (
    delete_kaggle_route,
    save_deadline,
    save_kaggle_route,
    update_cohort_settings,
)
from ..console import CSV_HEADER, PAGE_SIZE, PILLARS, ConsoleFilters, build_console, csv_row
from ..eliminations import eliminate_overdue, extend_deadline, missed, preview
from ..forms_organizer import (
    CohortSettingsForm,
    DeadlineForm,
    EliminateForm,
    ExtensionForm,
    JoinForm,
    KaggleRouteForm,
    NudgeForm,
    ReasonForm,
    RosterConfirmForm,
    RosterUploadForm,
)
from ..invitations import accept_invitation, join_with_code
from ..models import (
    AuditEvent,
    CertificateSubmission,
    Invitation,
    KaggleRoute,
    KaggleSubmission,
    Membership,
    TheorySubmission,
)
from ..nudges import nudge
from ..risk import COUNTED_LEVELS, Level, assess_membership
from ..status import eliminate, reinstate, withdraw


def _console_url(request) -> str:
    return reverse("cohorts:organize", args=[request.cohort.slug])


def _pillar_choices():
    labels = {
        "theory_state": _("Theory evidence"),
        "certificate_state": _("Certificate"),
        "kaggle_state": _("Kaggle"),
    }
    return [
        (labels[pillar], [(f"{pillar}:{value}", label) for value, label in Membership.PillarState.choices])
        for pillar in PILLARS
    ]


COLUMNS = [
    ("name", gettext_lazy("Participant")),
    ("status", gettext_lazy("Status")),
    ("weeks_done", gettext_lazy("Weeks done")),
    ("deadline", gettext_lazy("Next deadline")),
    ("required", gettext_lazy("Required")),
    ("remaining", gettext_lazy("Remaining")),
    ("days_left", gettext_lazy("Days left")),
    ("pace", gettext_lazy("Pace (weeks/week)")),
    ("projected", gettext_lazy("Projected finish")),
    ("last_activity", gettext_lazy("Last activity")),
    ("risk", gettext_lazy("Risk")),
    ("theory_state", gettext_lazy("Theory evidence")),
    ("certificate_state", gettext_lazy("Certificate")),
    ("kaggle_state", gettext_lazy("Kaggle")),
]


def _columns(sort: str, base_query: str) -> list[dict]:
    """Header links: a click sorts by the column, a second click reverses it."""
    prefix = f"{base_query}&" if base_query else ""
    columns = []
    for key, label in COLUMNS:
        current = sort.lstrip("-") == key
        descending = current and sort.startswith("-")
        target = key if not current or descending else f"-{key}"
        columns.append({
            "key": key, "label": label, "url": f"?{prefix}sort={target}",
            "aria_sort": ("descending" if descending else "ascending") if current else "none",
        })
    return columns


@organizer_required
def console(request):
    filters = ConsoleFilters.from_query(request.GET)
    data = build_console(request.cohort, filters)
    page = Paginator(data.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    return render(
        request,
        "cohorts/organize/console.html",
        {
            "cohort": request.cohort,
            "nav": "organize",
            "console": data,
            "counts": [(Level(level), data.counts[level]) for level in COUNTED_LEVELS],
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "columns": _columns(filters.sort, sort_query.urlencode()),
            "risk_choices": Level.choices,
            "status_choices": Membership.Status.choices,
            "pillar_choices": _pillar_choices(),
            "nudge_form": NudgeForm(),
        },
    )


@organizer_required
def participants_csv(request):
    cohort = request.cohort
    data = build_console(cohort, ConsoleFilters.from_query(request.GET))
    lines = roster.csv_lines(CSV_HEADER, (csv_row(row, cohort) for row in data.rows))
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in lines), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().astimezone(cohort.tz).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{cohort.slug}-participants-{stamp}.csv"'
    return response


@require_POST
@organizer_required
def nudge_view(request):
    form = NudgeForm(request.POST)
    if form.is_valid():
        sent = nudge(
            cohort=request.cohort, membership_ids=form.cleaned_data["members"],
            actor=request.user, message=form.cleaned_data["message"],
        )
        messages.success(request, _("Reminders queued for %(count)s participants.") % {"count": sent})
    else:
        messages.error(request, " ".join(form.non_field_errors() or [_("Check the form.")]))
    return redirect(_safe_next(request) or _console_url(request))


def _safe_next(request) -> str:
    """The page to go back to, if it is on this site (never an open redirect)."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else ""


def _member(request, membership_id: int) -> Membership:
    return get_object_or_404(
        request.cohort.memberships.select_related("user"), pk=membership_id
    )


def _timeline(membership: Membership) -> list[dict]:
    """Ticks, submissions and audit events, newest first (a query per kind, not per row)."""
    ticks = [
        {"at": c.completed_at, "kind": "tick", "item": c}
        for c in membership.completions.select_related("week__course")
    ]
    submissions = [
        {"at": s.submitted_at, "kind": kind, "item": s}
        for kind, model in (
            ("theory", TheorySubmission), ("certificate", CertificateSubmission),
            ("kaggle", KaggleSubmission),
        )
        for s in model.objects.filter(membership=membership)
    ]
    events = [
        {"at": e.created_at, "kind": "audit", "item": e}
        for e in membership.audit_events.select_related("actor")
    ]
    return sorted(chain(ticks, submissions, events), key=lambda e: e["at"], reverse=True)


@organizer_required
def participant(request, membership_id: int, forms: dict | None = None):
    membership = _member(request, membership_id)
    membership.cohort = request.cohort
    forms = forms or {}
    return render(
        request,
        "cohorts/organize/participant.html",
        {
            "cohort": request.cohort,
            "nav": "organize",
            "member": membership,
            "risk": assess_membership(membership) if membership.is_participant else None,
            "extensions": membership.extensions.select_related("deadline", "granted_by"),
            "timeline": _timeline(membership),
            "eliminate_form": forms.get("eliminate") or EliminateForm(cohort=request.cohort),
            "reinstate_form": forms.get("reinstate") or ReasonForm(prefix="reinstate"),
            "withdraw_form": forms.get("withdraw") or ReasonForm(prefix="withdraw"),
            "extend_form": forms.get("extend") or ExtensionForm(cohort=request.cohort),
            "nudge_form": NudgeForm(),
        },
        status=400 if forms else 200,
    )


def _status_action(request, membership_id: int, name: str, form, act):
    membership = _member(request, membership_id)
    if form.is_valid():
        try:
            changed = act(membership, form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if changed:
                messages.success(request, _("Saved and recorded."))
            else:
                messages.info(request, _("Nothing changed: the status was already different."))
            return redirect("cohorts:organize-participant", request.cohort.slug, membership.pk)
    return participant.__wrapped__(request, membership_id, forms={name: form})


@require_POST
@organizer_required
def eliminate_view(request, membership_id: int):
    form = EliminateForm(request.POST, cohort=request.cohort)
    return _status_action(
        request, membership_id, "eliminate", form,
        lambda m, f: eliminate(
            membership=m, reason=f.cleaned_data["reason"], actor=request.user,
            deadline=f.cleaned_data["deadline"], data={"manual": True},
        ),
    )


@require_POST
@organizer_required
def reinstate_view(request, membership_id: int):
    form = ReasonForm(request.POST, prefix="reinstate")
    return _status_action(
        request, membership_id, "reinstate", form,
        lambda m, f: reinstate(membership=m, reason=f.cleaned_data["reason"], actor=request.user),
    )


@require_POST
@organizer_required
def withdraw_view(request, membership_id: int):
    form = ReasonForm(request.POST, prefix="withdraw")
    return _status_action(
        request, membership_id, "withdraw", form,
        lambda m, f: withdraw(membership=m, reason=f.cleaned_data["reason"], actor=request.user),
    )


@require_POST
@organizer_required
def extend_view(request, membership_id: int):
    form = ExtensionForm(request.POST, cohort=request.cohort)
    return _status_action(
        request, membership_id, "extend", form,
        lambda m, f: extend_deadline(
            membership=m, deadline=f.cleaned_data["deadline"], due_at=f.due_at,
            reason=f.cleaned_data["reason"], actor=request.user,
        ),
    )


@organizer_required
def eliminations(request):
    cohort = request.cohort
    now = timezone.now()
    deadlines = preview(cohort=cohort, now=now)
    selected = None
    chosen = request.GET.get("deadline", "")
    selected = next((p for p in deadlines if str(p.deadline.pk) == chosen), None)
    if selected is None:
        selected = next((p for p in deadlines if not p.passed), deadlines[-1] if deadlines else None)
    people = (
        missed(selected.deadline, now=now).order_by("display_name")[:500] if selected else []
    )
    return render(
        request,
        "cohorts/organize/eliminations.html",
        {
            "cohort": cohort, "nav": "organize", "deadlines": deadlines,
            "selected": selected, "people": people,
            "pending": len(set().union(*(
                missed(p.deadline, now=now).values_list("pk", flat=True)
                for p in deadlines if p.passed and p.count
            ))),
        },
    )


@require_POST
@organizer_required
def run_eliminations_view(request):
    count = eliminate_overdue(cohort=request.cohort)
    messages.success(request, _("%(count)s participants eliminated.") % {"count": count})
    return redirect("cohorts:organize-eliminations", request.cohort.slug)


@organizer_required
def roster_view(request):
    cohort = request.cohort
    context = {"cohort": cohort, "nav": "organize", "upload_form": RosterUploadForm()}
    if request.method == "POST" and "confirm" in request.POST:
        form = RosterConfirmForm(request.POST)
        if form.is_valid():
            try:
                invitations = roster.import_roster(
                    cohort=cohort, text=form.cleaned_data["text"], actor=request.user
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                context["preview"] = roster.parse(cohort=cohort, text=form.cleaned_data["text"])
                return render(request, "cohorts/organize/roster.html", context, status=400)
            messages.success(
                request, _("%(count)s invitations sent.") % {"count": len(invitations)}
            )
            return redirect("cohorts:organize-roster", cohort.slug)
    elif request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        context["upload_form"] = form
        if form.is_valid():
            context["preview"] = roster.preview(cohort=cohort, data=form.cleaned_data["file"].read())
    context["invitations"] = cohort.invitations.order_by("-created_at")[:200]
    context["invitation_count"] = cohort.invitations.count()
    return render(request, "cohorts/organize/roster.html", context)


def _settings_page(request, *, status=200, **forms):
    cohort = request.cohort
    deadlines = list(cohort.deadlines.all())
    routes = list(cohort.kaggle_routes.all())
    bound_deadline, bound_route = forms.get("deadline_id"), forms.get("route_id")
    for deadline in deadlines:
        deadline.form = (
            forms["deadline_form"] if bound_deadline == deadline.pk
            else DeadlineForm(cohort=cohort, deadline=deadline, prefix=f"d{deadline.pk}")
        )
    for route in routes:
        route.form = (
            forms["route_form"] if bound_route == route.pk
            else KaggleRouteForm(instance=route, prefix=f"r{route.pk}")
        )
    return render(
        request,
        "cohorts/organize/settings.html",
        {
            "cohort": cohort, "nav": "organize",
            "settings_form": forms.get("settings_form") or CohortSettingsForm(instance=cohort),
            "deadlines": deadlines,
            "routes": routes,
            "new_deadline_form": (
                forms["deadline_form"] if "deadline_form" in forms and bound_deadline is None
                else DeadlineForm(cohort=cohort, prefix="new")
            ),
            "new_route_form": (
                forms["route_form"] if "route_form" in forms and bound_route is None
                else KaggleRouteForm(prefix="new")
            ),
            "changes": AuditEvent.objects.filter(
                cohort=cohort, action=AuditEvent.Action.SETTINGS_CHANGED
            ).select_related("actor")[:20],
        },
        status=status,
    )


@organizer_required
def settings_view(request):
    if request.method != "POST":
        return _settings_page(request)
    form = CohortSettingsForm(request.POST, instance=request.cohort)
    if form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "accepted_certifications"}
        try:
            update_cohort_settings(
                cohort=request.cohort, actor=request.user,
                certifications=list(form.cleaned_data["accepted_certifications"]), **values,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("cohorts:organize-settings", request.cohort.slug)
    return _settings_page(request, status=400, settings_form=form)


@require_POST
@organizer_required
def deadline_view(request, deadline_id: int | None = None):
    deadline = get_object_or_404(request.cohort.deadlines, pk=deadline_id) if deadline_id else None
    form = DeadlineForm(
        request.POST, cohort=request.cohort, prefix=f"d{deadline.pk}" if deadline else "new"
    )
    if form.is_valid():
        try:
            save_deadline(cohort=request.cohort, actor=request.user, deadline=deadline, **form.values())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Deadline saved."))
            return redirect("cohorts:organize-settings", request.cohort.slug)
    return _settings_page(request, status=400, deadline_form=form, deadline_id=deadline_id)


@require_POST
@organizer_required
def kaggle_route_view(request, route_id: int | None = None):
    route = get_object_or_404(request.cohort.kaggle_routes, pk=route_id) if route_id else None
    form = KaggleRouteForm(request.POST, instance=route, prefix=f"r{route.pk}" if route else "new")
    if form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            save_kaggle_route(cohort=request.cohort, actor=request.user, route=route, **values)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Kaggle route saved."))
            return redirect("cohorts:organize-settings", request.cohort.slug)
    return _settings_page(request, status=400, route_form=form, route_id=route_id)


@require_POST
@organizer_required
def kaggle_route_delete(request, route_id: int):
    route = get_object_or_404(KaggleRoute.objects.filter(cohort=request.cohort), pk=route_id)
    delete_kaggle_route(route=route, actor=request.user)
    messages.success(request, _("Kaggle route removed."))
    return redirect("cohorts:organize-settings", request.cohort.slug)


@login_required
def join(request):
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = join_with_code(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(request, _("You joined %(cohort)s.") % {"cohort": membership.cohort.name})
            return redirect(membership.cohort)
    return render(request, "cohorts/join.html", {"form": form}, status=400 if form.errors else 200)


def invitation(request, token: str):
    invite = get_object_or_404(Invitation.objects.select_related("cohort"), token=token)
    error = None
    if invite.accepted_at and request.user.is_authenticated:
        if invite.cohort.memberships.filter(user=request.user).exists():
            return redirect(invite.cohort)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = accept_invitation(invitation=invite, user=request.user)
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            return redirect(membership.cohort)
    return render(
        request, "cohorts/invitation.html", {"invitation": invite, "error": error},
        status=403 if error else 200,
    )




