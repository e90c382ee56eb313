"""Cohort-wide reads cached in Redis, invalidated on write by a per-cohort version.

(The catalog of courses, weeks and assignments is cached the same way, under one version of
its own that any change to the catalog bumps.)

Pages that read the whole cohort (leaderboard counts and charts, the console's risk table) keep
their result under a key that includes the cohort's version. Every save or delete of what those
pages show (memberships, deadlines, extensions, evidence, the cohort itself) bumps the version
after the transaction commits, so the next read recomputes; a timeout bounds what a write that
bypasses the ORM (a bulk update, SQL) could leave stale.

Receivers, not calls in each service: this is cache bookkeeping, not domain flow, and it must
cover every write path (services, the admin, imports) without each having to remember it.
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from redis.exceptions import RedisError

T = TypeVar("T")
logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 300
LOCK_TIMEOUT = 60  # longer than any computation; a crashed computer's lock expires
WAIT_SECONDS = 30  # how long a reader waits for another process computing the same key


def _version_key(scope: str) -> str:
    return f"{scope}:version"


def version(scope: str) -> int:
    try:
        return _version(scope)
    except RedisError:  # Redis down: nothing is cached meanwhile, so a key nothing can match
        return time.time_ns()


def _version(scope: str) -> int:
    version = cache.get(_version_key(scope))
    if version is None:
        # A missing version (first read, eviction, flush) starts a new series: the time makes
        # sure it never repeats one whose entries may still be in the cache.
        version = time.time_ns()
        if not cache.add(_version_key(scope), version, timeout=None):
            version = cache.get(_version_key(scope), version)
    return version


def bump(scope: str) -> None:
    """Invalidate everything cached in `scope`: now, and again once the write commits.

    The first bump makes this transaction's own later reads fresh; the second one drops what
    another process may have cached meanwhile from the data before the commit.
    """

    def incr():
        try:
            cache.incr(_version_key(scope))
        except ValueError:  # no version yet: nothing cached under the old series
            pass
        except RedisError:  # Redis down: the write goes on; entries expire by their timeout
            logger.warning("Cache unavailable: %s not invalidated", scope, exc_info=True)

    incr()
    transaction.on_commit(incr)


def cached(
    scope: str, name: str, compute: Callable[[], T], *, timeout: int = DEFAULT_TIMEOUT,
    stale: str | None = None,
) -> T:
    """`compute()` once per version of `scope`; concurrent readers of a cold key wait for one.

    With `stale` (a name without the version), readers that find another process computing
    get the last value computed under that name at once instead of waiting for the new one.
    With Redis down every reader computes: slower pages, never a failed one.
    """
    try:
        return _cached(scope, name, compute, timeout, stale)
    except RedisError:
        logger.warning("Cache unavailable: %s:%s computed without it", scope, name, exc_info=True)
        return compute()


def _cached(scope: str, name: str, compute: Callable[[], T], timeout: int, stale: str | None) -> T:
    key = f"{scope}:{version(scope)}:{name}"
    value = cache.get(key)
    if value is not None:
        return value
    lock = f"{key}:lock"
    stale_key = f"{scope}:stale:{stale}" if stale else None
    if not cache.add(lock, 1, timeout=LOCK_TIMEOUT):
        if stale_key and (value := cache.get(stale_key)) is not None:
            return value
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.02)
            value = cache.get(key)
            if value is not None:
                return value
            if cache.add(lock, 1, timeout=LOCK_TIMEOUT):
                break
    try:
        value = compute()
        cache.set(key, value, timeout=timeout)
        if stale_key:
            cache.set(stale_key, value, timeout=DEFAULT_TIMEOUT)
    finally:
        cache.delete(lock)
    return value


def _cohort_scope(cohort_id: int) -> str:
    return f"cohort:{cohort_id}"


CURRICULUM = "curriculum"


def bump_cohort(cohort_id: int | None) -> None:
    if cohort_id is not None:
        bump(_cohort_scope(cohort_id))


def cohort_version(cohort_id: int) -> int:
    return version(_cohort_scope(cohort_id))


def cached_for_cohort(
    cohort_id: int, name: str, compute: Callable[[], T], *, timeout: int = DEFAULT_TIMEOUT,
    stale: str | None = None,
) -> T:
    """What a cohort-wide page reads, until anything in the cohort changes."""
    return cached(_cohort_scope(cohort_id), name, compute, timeout=timeout, stale=stale)


def cached_curriculum(name: str, compute: Callable[[], T]) -> T:
    """The catalog (courses, weeks, assignments): until load_curriculum or the admin changes it."""
    return cached(CURRICULUM, name, compute, timeout=3600)


def curriculum_version() -> int:
    return version(CURRICULUM)


# What invalidates: saves and deletes of the rows cohort-wide pages show ----------------------


def _cohort_of_instance(sender, instance, **kwargs):
    is_cohort = sender.__name__ == "Cohort"
    bump_cohort(instance.pk if is_cohort else getattr(instance, "cohort_id", None))


def _cohort_of_membership_row(sender, instance, **kwargs):
    membership_id = getattr(instance, "membership_id", None)
    if membership_id is None:
        return
    from .models import Membership

    membership = instance._state.fields_cache.get("membership")
    if isinstance(membership, Membership):
        bump_cohort(membership.cohort_id)
        return
    cohort_id = (
        Membership.objects.filter(pk=membership_id).values_list("cohort_id", flat=True).first()
    )
    bump_cohort(cohort_id)


def _curriculum(sender, instance, **kwargs):
    bump(CURRICULUM)


def connect_receivers() -> None:
    from courses.models import Assignment, Course, Specialization, Week

    from .models import (
        Cohort, Deadline, DeadlineExtension, KaggleRoute, KaggleSubmission, Membership,
    )

    for model in (Cohort, Deadline, KaggleRoute, Membership):
        name = model.__name__
        post_save.connect(_cohort_of_instance, sender=model, dispatch_uid=f"cache-{name}")
        post_delete.connect(_cohort_of_instance, sender=model, dispatch_uid=f"cache-d-{name}")
    # Rows that belong to a membership: the Kaggle board shows the submission itself, and an
    # extension changes a participant's risk without saving the membership.
    for model in (DeadlineExtension, KaggleSubmission):
        name = model.__name__
        post_save.connect(_cohort_of_membership_row, sender=model, dispatch_uid=f"cache-{name}")
        post_delete.connect(_cohort_of_membership_row, sender=model, dispatch_uid=f"cache-d-{name}")
    for model in (Specialization, Course, Week, Assignment):
        post_save.connect(_curriculum, sender=model, dispatch_uid=f"cache-{model.__name__}")
        post_delete.connect(_curriculum, sender=model, dispatch_uid=f"cache-d-{model.__name__}")
