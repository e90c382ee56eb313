from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cohorts.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo cohort (ml-bootcamp-demo) with about 60 participants; idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production", action="store_true",
            help="Seed even with DEBUG off (the demo accounts share a public password).",
        )

    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("Refusing to create demo accounts with DEBUG off.")
        cohort = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo cohort {cohort.slug}: {cohort.memberships.count()} members. "
                f"Log in as participant@example.com or organizer@example.com, "
                f"password {DEMO_PASSWORD}."
            )
        )
