# The one image behind web, worker, beat and migrate (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# gettext compiles the message catalogs at build time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 --user-group bootcamp
WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN pip install .

COPY --chown=bootcamp:bootcamp . .

# Static files (hashed, compressed) and catalogs are part of the image; the build-time secret
# only lets settings load and is never used at run time.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-0123 \
        python manage.py collectstatic --noinput -v0 \
    && if find . -name '*.po' -path '*/LC_MESSAGES/*' | grep -q .; then \
        DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-0123 \
        python manage.py compilemessages -v0; fi \
    && chown -R bootcamp:bootcamp /app/staticfiles

USER bootcamp
ENV CELERY_BEAT_SCHEDULE_FILENAME=/tmp/celerybeat-schedule
EXPOSE 8000
CMD ["gunicorn", "bootcamp.wsgi", "--config", "python:bootcamp.gunicorn"]
