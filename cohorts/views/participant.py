from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from courses.models import Week

from ..access import member_required
from ..dashboard import build_dashboard, curriculum_weeks, weeks_fragment_key
from ..forms import NoteForm
from ..models import Membership
from ..progress import set_week_note, tick_week, untick_week


MEMBERSHIP_VALUES = [f.attname for f in Membership._meta.concrete_fields if not f.is_relation]


def home(request):
    if not request.user.is_authenticated:
        return render(request, "cohorts/landing.html")
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("cohort")
        .order_by("-cohort__starts_on")
    )
    if len(memberships) == 1:
        return redirect(memberships[0].cohort)
    return render(request, "cohorts/home.html", {"memberships": memberships})


@member_required
def dashboard(request):
    dash = build_dashboard(request.membership)
    return render(
        request,
        "cohorts/dashboard.html",
        {"cohort": request.cohort, "dash": dash, "weeks_key": weeks_fragment_key(dash, request)},
    )


def _week(request, week_id: int) -> Week:
    """One of the cohort's weeks, from the cached curriculum (404 for any other id)."""
    for week in curriculum_weeks(request.cohort.specialization_id):
        if week.pk == week_id:
            return week
    raise Http404


def _after_week_change(request, week: Week):
    """htmx swaps the week row and the progress summary; a plain form post goes back."""
    if request.htmx:
        # Every value but the relations: the cohort and user already read stay attached.
        request.membership.refresh_from_db(fields=MEMBERSHIP_VALUES)
        dash = build_dashboard(request.membership)
        return render(
            request,
            "cohorts/dashboard.html#week-changed",
            {"cohort": request.cohort, "dash": dash, "week": dash.week(week.pk)},
        )
    return redirect(reverse("cohorts:dashboard", args=[request.cohort.slug]) + f"#week-{week.pk}")


def _change_week(request, week_id: int, change):
    week = _week(request, week_id)
    try:
        change(membership=request.membership, week=week)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _after_week_change(request, week)


@require_POST
@member_required
def tick(request, week_id: int):
    return _change_week(request, week_id, tick_week)


@require_POST
@member_required
def untick(request, week_id: int):
    return _change_week(request, week_id, untick_week)


@require_POST
@member_required
def week_note(request, week_id: int):
    week = _week(request, week_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            set_week_note(
                membership=request.membership, week=week, note_url=form.cleaned_data["note_url"]
            )
        except ValidationError as error:
            form.add_error("note_url", error)
    if form.errors:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _after_week_change(request, week)

