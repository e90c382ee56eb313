import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation

from cohorts.models import Membership
from bootcamp.celery import app as celery_app
from courses.curriculum import load_file
from courses.models import Week

from .factories import CohortFactory, MembershipFactory, OrganizerFactory

CURRICULUM = settings.BASE_DIR / "curricula" / "deep-learning-specialization.toml"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The Deep Learning Specialization is in every test database, as in every installation."""
    with django_db_blocker.unblock():
        call_command("load_curriculum", str(CURRICULUM), stdout=open("/dev/null", "w"))


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Rate limits live in the cache: each test gets a fresh local one, never the shared Redis.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request leaves its user's stored language active in the thread: no test inherits it."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def _tasks_in_process():
    """Tasks run in-process unless a test starts a real worker (tests/cohorts/test_tasks.py)."""
    celery_app.conf.task_always_eager = True


@pytest.fixture
def dls(db):
    """The curriculum, also for transactional tests (which flush the session's copy)."""
    if not Week.objects.exists():
        load_file(CURRICULUM)


@pytest.fixture
def weeks(dls) -> list[Week]:
    return list(Week.objects.filter(course__specialization__slug="deep-learning").select_related("course"))


@pytest.fixture
def cohort(dls):
    return CohortFactory()


@pytest.fixture
def participant(cohort) -> Membership:
    return MembershipFactory(cohort=cohort)


@pytest.fixture
def organizer(cohort) -> Membership:
    return OrganizerFactory(cohort=cohort)


@pytest.fixture
def participant_client(client, participant):
    client.force_login(participant.user)
    return client
