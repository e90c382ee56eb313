"""The processes of a deployment, defined once.

docker-compose.yml runs exactly these commands (tests/test_deployment.py checks it), and
`make prod-smoke` (scripts/prod_smoke.py) starts the same ones natively.
"""

# The one-shot migration runs before the others start: once per deploy, not once per process.
COMMANDS: dict[str, list[str]] = {
    "migrate": ["python", "manage.py", "migrate", "--noinput"],
    "web": ["gunicorn", "bootcamp.wsgi", "--config", "python:bootcamp.gunicorn"],
    "worker": ["celery", "-A", "bootcamp", "worker", "--loglevel", "INFO"],
    "beat": ["celery", "-A", "bootcamp", "beat", "--loglevel", "INFO"],
}

# Prefork workers close Django's connection pool around every task: no pool outside web.
ENVIRONMENT: dict[str, dict[str, str]] = {
    "migrate": {"DJANGO_DB_POOL": "0"},
    "web": {},
    "worker": {"DJANGO_DB_POOL": "0"},
    "beat": {"DJANGO_DB_POOL": "0"},
}
