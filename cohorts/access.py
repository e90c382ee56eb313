"""Who may see a cohort's pages: one decorator per role, used by every view."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from .models import Membership


def _cohort_view(*, organizer: bool):
    def decorator(view):
        @wraps(view)
        def wrapper(request, slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            # One query for the cohort and the membership: no cohort and no membership both
            # answer 404. Outsiders get 404, never 403: a cohort's existence is not theirs to learn.
            membership = (
                Membership.objects.filter(cohort__slug=slug, user=request.user)
                .select_related("user", "cohort__specialization")
                .first()
            )
            if membership is None or (organizer and not membership.is_organizer):
                raise Http404
            cohort = membership.cohort
            request.cohort, request.membership = cohort, membership
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


member_required = _cohort_view(organizer=False)
organizer_required = _cohort_view(organizer=True)
