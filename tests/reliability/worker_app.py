"""The project's Celery app with a short broker visibility timeout, for workers the fault tests
kill: Redis hands a dead worker's unacknowledged tasks to another after this many seconds
(an hour in production, longer than any task)."""

import os

from bootcamp.celery import app

app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "visibility_timeout": float(os.environ.get("RELIABILITY_VISIBILITY_TIMEOUT", "10")),
    # Look for expired tasks every second (every 100 s by default).
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
