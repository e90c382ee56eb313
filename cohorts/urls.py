from django.urls import path

from .views import leaderboard, participant

app_name = "cohorts"

urlpatterns = [
    path("c/<slug:slug>/", participant.dashboard, name="dashboard"),
    path("c/<slug:slug>/weeks/<int:week_id>/tick/", participant.tick, name="tick"),
    path("c/<slug:slug>/weeks/<int:week_id>/untick/", participant.untick, name="untick"),
    path("c/<slug:slug>/weeks/<int:week_id>/note/", participant.week_note, name="week-note"),
    # Leaderboard
    path("c/<slug:slug>/leaderboard/", leaderboard.leaderboard, name="leaderboard"),
    path("c/<slug:slug>/leaderboard.json", leaderboard.leaderboard_json, name="leaderboard-json"),
    path("c/<slug:slug>/leaderboard/anonymity/", leaderboard.anonymity, name="leaderboard-anonymity"),
]
