"""A participant's page per pillar: its deadline, state, history and the evidence form."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ..access import member_required
from ..kaggle_routes import describe_route
from ..pillars import EVIDENCE_RELATED, SUBMISSION_MODELS, Pillar, pillar_cards_for
from ..submission_forms import PILLAR_FORMS, KaggleForm
from ..submissions import (
    evaluate_kaggle_result,
    submission_block,
    submit_certificate,
    submit_kaggle,
    submit_theory_evidence,
)

SUBMIT = {
    Pillar.THEORY: submit_theory_evidence,
    Pillar.CERTIFICATE: submit_certificate,
    Pillar.KAGGLE: submit_kaggle,
}


def add_service_error(form, error: ValidationError) -> None:
    """Show a service's errors on their fields, or above the form if the form has no such field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _preview(request, form: KaggleForm):
    result = form.result()
    if result is None:
        return None
    return evaluate_kaggle_result(cohort=request.cohort, result=result)


def _page(request, pillar: Pillar, form, preview=None, status=200):
    membership = request.membership
    history = (
        SUBMISSION_MODELS[pillar].objects.filter(membership=membership)
        .select_related("reviewed_by", *EVIDENCE_RELATED[pillar])
        .order_by("-submitted_at", "-pk")
    )
    routes = list(request.cohort.kaggle_routes.all()) if pillar == Pillar.KAGGLE else []
    context = {
        "cohort": request.cohort,
        "membership": membership,
        "pillar": pillar,
        "card": pillar_cards_for(membership)[pillar.value],
        "form": form,
        "blocked_because": submission_block(membership, pillar),
        "history": history,
        "routes": [(route, describe_route(route)) for route in routes],
        "preview": preview,
        "nav": "dashboard",
    }
    return render(request, "cohorts/pillar.html", context, status=status)


@require_http_methods(["GET", "POST"])
@member_required
def pillar_page(request, pillar: str):
    pillar = Pillar(pillar)
    form = PILLAR_FORMS[pillar](request.POST or None, cohort=request.cohort)
    if request.method == "GET":
        return _page(request, pillar, form)
    if pillar == Pillar.KAGGLE and "check" in request.POST:
        # Without JavaScript, "Check" posts the whole form: show the verdict, write nothing.
        form.is_valid()
        return _page(request, pillar, form, preview=_preview(request, form))
    if form.is_valid():
        try:
            SUBMIT[pillar](membership=request.membership, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Thank you: your evidence is waiting for an organizer's review."))
            return redirect("cohorts:pillar", request.cohort.slug, pillar.value)
    preview = _preview(request, form) if pillar == Pillar.KAGGLE else None
    return _page(request, pillar, form, preview=preview, status=400)


@require_POST
@member_required
def kaggle_check(request):
    """The htmx route preview next to the Kaggle form; never writes anything."""
    form = KaggleForm(request.POST, cohort=request.cohort)
    form.is_valid()
    if not request.htmx:
        return _page(request, Pillar.KAGGLE, form, preview=_preview(request, form))
    return render(
        request,
        "cohorts/pillar.html#route-preview",
        {"cohort": request.cohort, "form": form, "preview": _preview(request, form)},
    )
