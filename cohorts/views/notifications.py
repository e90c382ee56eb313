"""Email preferences, one-click unsubscribe, the calendar feed, and failed notices."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from ..access import member_required, organizer_required
from ..calendar import calendar_feed, regenerate_calendar_token
from ..models import Membership, Notification, User
from ..notifications import unsubscribe as unsubscribe_user
from ..tokens import read_unsubscribe_token

FAILED_LISTED = 200


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email_reminders", "email_digest", "language"]


@login_required
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your email preferences are saved."))
        return redirect("cohorts:preferences")
    return render(request, "cohorts/preferences.html", {"form": form})


@csrf_exempt  # RFC 8058: mail clients POST without a form; the signed token is the credential.
def unsubscribe(request, token: str):
    try:
        user_id, topic = read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "cohorts/unsubscribe.html", {"invalid": True}, status=400)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return render(request, "cohorts/unsubscribe.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        unsubscribe_user(user_id=user.pk, topic=topic)
        done = True
    return render(
        request, "cohorts/unsubscribe.html",
        {"topic": topic, "email": user.email, "done": done, "token": token},
    )


def calendar(request, slug: str):
    """The feed for calendar apps: no session, the token in the URL is the credential."""
    token = request.GET.get("token", "")
    if not token:
        raise Http404
    membership = get_object_or_404(
        Membership.objects.select_related("cohort"), cohort__slug=slug, calendar_token=token
    )
    response = HttpResponse(calendar_feed(membership), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{slug}.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


def feed_url(request, membership: Membership) -> str:
    path = reverse("cohorts:calendar", args=[membership.cohort.slug])
    return request.build_absolute_uri(f"{path}?token={membership.calendar_token}")


@member_required
def calendar_page(request):
    if request.method == "POST":
        regenerate_calendar_token(membership=request.membership)
        messages.success(
            request, _("A new calendar address was made; the old one no longer works.")
        )
        return redirect("cohorts:calendar-page", slug=request.cohort.slug)
    url = feed_url(request, request.membership)
    return render(
        request, "cohorts/calendar.html",
        {
            "cohort": request.cohort, "nav": "calendar", "feed_url": url,
            "webcal_url": "webcal://" + url.split("://", 1)[-1],
        },
    )


@organizer_required
def failed_notifications(request):
    failed = (
        Notification.objects.filter(cohort=request.cohort, status=Notification.Status.FAILED)
        .select_related("user", "deadline")
        .order_by("-created_at")[:FAILED_LISTED]
    )
    return render(
        request, "cohorts/failed_notifications.html",
        {"cohort": request.cohort, "nav": "notifications", "failed": failed},
    )
