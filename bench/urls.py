"""The app's URLs plus the framework floor, for gunicorn started by the benchmark only.

Selected with DJANGO_ROOT_URLCONF=bench.urls, so the floor never appears in normal URLs and
passes through exactly the same middleware as every page it is compared with.
"""

from django.http import HttpResponse
from django.urls import path

from bootcamp.urls import urlpatterns as app_urlpatterns


def floor(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor, name="bench-floor"), *app_urlpatterns]
