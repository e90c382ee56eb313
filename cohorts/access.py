"""Who may see a cohort's pages: one decorator per role, used by every view."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Cohort, Membership


def _cohort_view(*, organizer: bool):
    def decorator(view):
        @wraps(view)
        def wrapper(request, slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            cohort = get_object_or_404(Cohort.objects.select_related("specialization"), slug=slug)
            membership = (
                Membership.objects.filter(cohort=cohort, user=request.user)
                .select_related("user")
                .first()
            )
            # Outsiders get 404, never 403: a cohort's existence is not theirs to learn.
            if membership is None or (organizer and not membership.is_organizer):
                raise Http404
            membership.cohort = cohort
            request.cohort, request.membership = cohort, membership
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


member_required = _cohort_view(organizer=False)
organizer_required = _cohort_view(organizer=True)
