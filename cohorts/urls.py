from django.urls import path

from .views import notifications, participant

app_name = "cohorts"

urlpatterns = [
    path("c/<slug:slug>/", participant.dashboard, name="dashboard"),
    path("c/<slug:slug>/weeks/<int:week_id>/tick/", participant.tick, name="tick"),
    path("c/<slug:slug>/weeks/<int:week_id>/untick/", participant.untick, name="untick"),
    path("c/<slug:slug>/weeks/<int:week_id>/note/", participant.week_note, name="week-note"),
    # Reminders, preferences, unsubscribe and the calendar feed (cohorts/views/notifications.py).
    path("account/notifications/", notifications.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", notifications.unsubscribe, name="unsubscribe"),
    path("c/<slug:slug>/calendar.ics", notifications.calendar, name="calendar"),
    path("c/<slug:slug>/calendar/", notifications.calendar_page, name="calendar-page"),
    path(
        "c/<slug:slug>/organize/notifications/", notifications.failed_notifications,
        name="failed-notifications",
    ),
]
