"""The leaderboard page, the fragment it polls, its JSON twin, and the anonymity switch."""

import hashlib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ..access import member_required
from ..forms import AnonymityForm
from ..leaderboard import board_stats, build_board, build_comparison
from ..privacy import set_leaderboard_anonymity


def _page(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _etag(request, *parts) -> str:
    key = ":".join(str(part) for part in (request.membership.pk, get_language(), *parts))
    return '"{}"'.format(hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:24])


def _revalidated(response, etag: str):
    response["ETag"] = etag
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@member_required
def leaderboard(request):
    cohort, viewer = request.cohort, request.membership
    stats = board_stats(cohort=cohort, viewer=viewer)
    page = _page(request)
    if request.htmx:
        # The poll sends the version it shows: unchanged costs one aggregate and swaps nothing.
        if request.GET.get("v") == stats.version:
            return HttpResponse(status=204)
        etag = _etag(request, "fragment", stats.version, page)
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            return not_modified
        board = build_board(cohort=cohort, viewer=viewer, stats=stats, page=page)
        response = render(
            request, "cohorts/leaderboard.html#board", {"cohort": cohort, "board": board}
        )
        return _revalidated(response, etag)
    board = build_board(cohort=cohort, viewer=viewer, stats=stats, page=page)
    return render(
        request,
        "cohorts/leaderboard.html",
        {
            "cohort": cohort,
            "board": board,
            "compare": build_comparison(cohort=cohort, viewer=viewer),
            "anonymity_form": AnonymityForm(initial={"anonymous": viewer.anonymous}),
            "nav": "leaderboard",
        },
    )


@require_GET
@member_required
def leaderboard_json(request):
    cohort, viewer = request.cohort, request.membership
    stats = board_stats(cohort=cohort, viewer=viewer)
    page = _page(request)
    # The pace window slides with the clock, so the charts part may change each hour.
    hour = timezone.localtime(timezone.now(), cohort.tz).strftime("%Y%m%d%H")
    etag = _etag(request, "json", stats.version, page, hour)
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    board = build_board(cohort=cohort, viewer=viewer, stats=stats, page=page)
    data = board.as_public_dict()
    data["charts"] = build_comparison(cohort=cohort, viewer=viewer).as_public_dict()
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    return _revalidated(response, etag)


@require_POST
@member_required
def anonymity(request):
    form = AnonymityForm(request.POST)
    if form.is_valid():
        anonymous = form.cleaned_data["anonymous"]
        try:
            set_leaderboard_anonymity(membership=request.membership, anonymous=anonymous)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("You now appear anonymously on the leaderboard.")
                if anonymous
                else _("You now appear on the leaderboard by your display name."),
            )
    return redirect("cohorts:leaderboard", slug=request.cohort.slug)
