from django.urls import path, register_converter

from .converters import DecisionConverter, PillarConverter
from .views import participant
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
