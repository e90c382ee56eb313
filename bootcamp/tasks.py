"""Beat's pulse: a tiny periodic task whose last run /healthz reports."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "beat:heartbeat"


@shared_task(ignore_result=True)
def heartbeat() -> None:
    cache.set(HEARTBEAT_KEY, timezone.now().timestamp(), timeout=None)
