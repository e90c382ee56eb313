import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bootcamp.settings")

app = Celery("bootcamp", include=["bootcamp.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
