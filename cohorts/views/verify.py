"""The organizers' verification queue: approve, reject, revoke, bulk approve."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from ..access import organizer_required
from ..models import Submission
from ..pillars import SUBMISSION_MODELS, Pillar
from ..review_queue import QueueItem, review_queue
from ..submission_forms import ReviewForm
from ..submissions import approve_submission, approve_submissions, reject_submission, revoke_approval

TABS = {
    "pending": Submission.Status.SUBMITTED,
    "approved": Submission.Status.APPROVED,
    "rejected": Submission.Status.REJECTED,
}

DECISIONS = {
    "approve": approve_submission,
    "reject": reject_submission,
    "revoke": revoke_approval,
}


def _queue_url(request, tab: str | None = None) -> str:
    tab = tab or request.POST.get("tab") or request.GET.get("tab")
    url = reverse("cohorts:verify", args=[request.cohort.slug])
    return f"{url}?tab={tab}" if tab in TABS and tab != "pending" else url


@require_GET
@organizer_required
def queue(request):
    tab = request.GET.get("tab", "pending")
    if tab not in TABS:
        tab = "pending"
    context = {
        "cohort": request.cohort,
        "queue": review_queue(cohort=request.cohort, status=TABS[tab]),
        "tab": tab,
        "tabs": [("pending", _("Pending")), ("approved", _("Approved")), ("rejected", _("Rejected"))],
        "nav": "verify",
    }
    return render(request, "cohorts/verify.html", context)


@require_POST
@organizer_required
def decide(request, pillar: str, pk: int, decision: str):
    pillar = Pillar(pillar)
    submission = get_object_or_404(
        SUBMISSION_MODELS[pillar].objects.in_cohort(request.cohort).for_review(), pk=pk
    )
    form = ReviewForm(request.POST)
    error = None
    if form.is_valid():
        try:
            submission = DECISIONS[decision](
                submission=submission, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as failure:
            error = " ".join(failure.messages)
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if request.htmx:
        submission.refresh_from_db()
        return render(
            request,
            "cohorts/verify.html#queue-row",
            {
                "cohort": request.cohort,
                "item": QueueItem(pillar=pillar, submission=submission),
                "row_error": error,
                "tab": request.POST.get("tab", "pending"),
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("%(name)s: %(pillar)s is now %(status)s.")
            % {
                "name": submission.membership.display_name,
                "pillar": pillar.label,
                "status": submission.get_status_display().lower(),
            },
        )
    return redirect(_queue_url(request))


def _parse_refs(values: list[str]) -> list[tuple[str, int]]:
    refs = []
    for value in values:
        pillar, _sep, pk = value.partition(":")
        if pillar in SUBMISSION_MODELS and pk.isascii() and pk.isdecimal():
            refs.append((pillar, int(pk)))
    return refs


@require_POST
@organizer_required
def bulk_approve(request):
    refs = _parse_refs(request.POST.getlist("selected"))
    if not refs:
        messages.error(request, _("Select at least one submission to approve."))
        return redirect(_queue_url(request, "pending"))
    approved, skipped = approve_submissions(cohort=request.cohort, actor=request.user, selected=refs)
    if approved:
        messages.success(
            request,
            ngettext("%(count)d submission approved.", "%(count)d submissions approved.", approved)
            % {"count": approved},
        )
    for reason in dict.fromkeys(skipped):
        messages.warning(request, reason)
    return redirect(_queue_url(request, "pending"))
