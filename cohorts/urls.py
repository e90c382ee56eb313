from django.urls import path, register_converter

from .converters import DecisionConverter, PillarConverter
from .views import leaderboard, notifications, organizer, participant
from .views import submissions as pillar_views
from .views import verify as verify_views

register_converter(PillarConverter, "pillar")
register_converter(DecisionConverter, "decision")

app_name = "cohorts"

urlpatterns = [
    path("c/<slug:slug>/", participant.dashboard, name="dashboard"),
    path("c/<slug:slug>/weeks/<int:week_id>/tick/", participant.tick, name="tick"),
    path("c/<slug:slug>/weeks/<int:week_id>/untick/", participant.untick, name="untick"),
    path("c/<slug:slug>/weeks/<int:week_id>/note/", participant.week_note, name="week-note"),
    # Organizer console (issue 5)
    path("c/<slug:slug>/organize/", organizer.console, name="organize"),
    path("c/<slug:slug>/organize/participants.csv", organizer.participants_csv, name="organize-csv"),
    path("c/<slug:slug>/organize/nudge/", organizer.nudge_view, name="organize-nudge"),
    path("c/<slug:slug>/organize/p/<int:membership_id>/", organizer.participant, name="organize-participant"),
    path("c/<slug:slug>/organize/p/<int:membership_id>/eliminate/", organizer.eliminate_view, name="organize-eliminate"),
    path("c/<slug:slug>/organize/p/<int:membership_id>/reinstate/", organizer.reinstate_view, name="organize-reinstate"),
    path("c/<slug:slug>/organize/p/<int:membership_id>/withdraw/", organizer.withdraw_view, name="organize-withdraw"),
    path("c/<slug:slug>/organize/p/<int:membership_id>/extend/", organizer.extend_view, name="organize-extend"),
    path("c/<slug:slug>/organize/eliminations/", organizer.eliminations, name="organize-eliminations"),
    path("c/<slug:slug>/organize/eliminations/run/", organizer.run_eliminations_view, name="organize-run-eliminations"),
    path("c/<slug:slug>/organize/roster/", organizer.roster_view, name="organize-roster"),
    path("c/<slug:slug>/organize/settings/", organizer.settings_view, name="organize-settings"),
    path("c/<slug:slug>/organize/settings/deadlines/new/", organizer.deadline_view, name="organize-deadline-new"),
    path("c/<slug:slug>/organize/settings/deadlines/<int:deadline_id>/", organizer.deadline_view, name="organize-deadline"),
    path("c/<slug:slug>/organize/settings/kaggle/new/", organizer.kaggle_route_view, name="organize-route-new"),
    path("c/<slug:slug>/organize/settings/kaggle/<int:route_id>/", organizer.kaggle_route_view, name="organize-route"),
    path("c/<slug:slug>/organize/settings/kaggle/<int:route_id>/delete/", organizer.kaggle_route_delete, name="organize-route-delete"),
    path("join/", organizer.join, name="join"),
    path("invite/<str:token>/", organizer.invitation, name="invitation"),
    # Leaderboard
    path("c/<slug:slug>/leaderboard/", leaderboard.leaderboard, name="leaderboard"),
    path("c/<slug:slug>/leaderboard.json", leaderboard.leaderboard_json, name="leaderboard-json"),
    path("c/<slug:slug>/leaderboard/anonymity/", leaderboard.anonymity, name="leaderboard-anonymity"),
    # Reminders, preferences, unsubscribe and the calendar feed (cohorts/views/notifications.py).
    path("account/notifications/", notifications.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", notifications.unsubscribe, name="unsubscribe"),
    path("c/<slug:slug>/calendar.ics", notifications.calendar, name="calendar"),
    path("c/<slug:slug>/calendar/", notifications.calendar_page, name="calendar-page"),
    path(
        "c/<slug:slug>/organize/notifications/", notifications.failed_notifications,
        name="failed-notifications",
    ),
    # Pillars: certificate, Kaggle and theory evidence; the organizers' verification queue.
    path("c/<slug:slug>/pillars/kaggle/check/", pillar_views.kaggle_check, name="kaggle-check"),
    path("c/<slug:slug>/pillars/<pillar:pillar>/", pillar_views.pillar_page, name="pillar"),
    path("c/<slug:slug>/organize/verify/", verify_views.queue, name="verify"),
    path("c/<slug:slug>/organize/verify/approve/", verify_views.bulk_approve, name="verify-bulk"),
    path(
        "c/<slug:slug>/organize/verify/<pillar:pillar>/<int:pk>/<decision:decision>/",
        verify_views.decide, name="verify-decide",
    ),
]
