from django.contrib import admin
from django.urls import include, path

from cohorts.views.language import set_language
from cohorts.views.participant import home

from .health import healthz

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("cohorts.urls")),
]
