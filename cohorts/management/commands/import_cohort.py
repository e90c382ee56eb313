import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cohorts.transfer import import_cohort


class Command(BaseCommand):
    help = "Restore a cohort written by export_cohort (the curriculum must be loaded first)."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        with open(file, encoding="utf-8") as source:
            data = json.load(source)
        try:
            cohort = import_cohort(data=data)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Imported {cohort.slug}: {cohort.memberships.count()} members.")
        )
