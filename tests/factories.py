from datetime import date, timedelta

import factory
from django.utils import timezone

from cohorts.models import Cohort, Deadline, Membership, User
from courses.models import Specialization


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password("secret-pass-123")


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    slug = factory.Sequence(lambda n: f"cohort-{n}")
    name = factory.Sequence(lambda n: f"Cohort {n}")
    specialization = factory.LazyFunction(lambda: Specialization.objects.get(slug="deep-learning"))
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=90))
    reminder_offsets = factory.LazyFunction(lambda: [7, 3, 1])


class DeadlineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deadline

    cohort = factory.SubFactory(CohortFactory)
    kind = Deadline.Kind.THEORY
    title = factory.Sequence(lambda n: f"Mission {n}")
    through_course = 5
    due_at = factory.LazyAttribute(lambda d: d.cohort.end_of_day(date.today() + timedelta(days=30)))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    cohort = factory.SubFactory(CohortFactory)
    display_name = factory.Sequence(lambda n: f"Learner {n}")


class OrganizerFactory(MembershipFactory):
    role = Membership.Role.ORGANIZER
