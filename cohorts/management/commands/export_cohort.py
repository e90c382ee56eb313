import json

from django.core.management.base import BaseCommand, CommandError

from cohorts.models import Cohort
from cohorts.transfer import export_cohort


class Command(BaseCommand):
    help = "Write one cohort, with its members and everything they did, as a JSON document."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument(
            "--with-password-hashes",
            action="store_true",
            help="Include password hashes, so members keep their passwords after import. "
            "The file then holds credentials: store it like a database backup.",
        )

    def handle(self, *args, slug, output=None, with_password_hashes=False, **options):
        try:
            cohort = Cohort.objects.get(slug=slug)
        except Cohort.DoesNotExist:
            raise CommandError(f"No cohort with the slug {slug}.") from None
        data = export_cohort(cohort=cohort, with_password_hashes=with_password_hashes)
        text = json.dumps(data, ensure_ascii=False, indent=1)
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text + "\n")
            self.stderr.write(
                f"Exported {slug}: {len(data['memberships'])} members, "
                f"{len(data['week_completions'])} week completions to {output}."
            )
        else:
            self.stdout.write(text)
