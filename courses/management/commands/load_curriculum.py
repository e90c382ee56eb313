from django.core.management.base import BaseCommand, CommandError

from courses.curriculum import CurriculumError, load_file


class Command(BaseCommand):
    help = "Load a curriculum TOML file into the catalog; running it twice changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", help="e.g. curricula/deep-learning-specialization.toml")

    def handle(self, *args, path, **options):
        try:
            report = load_file(path)
        except CurriculumError as error:
            raise CommandError(
                "Nothing was written. Fix these problems:\n  " + "\n  ".join(error.problems)
            ) from error
        for change in report.changes:
            self.stdout.write(f"  {change}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{path}: {report.created} created, {report.updated} updated, "
                f"{report.deleted} deleted, {report.unchanged} unchanged."
            )
        )
