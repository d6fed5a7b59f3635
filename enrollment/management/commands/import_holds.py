from django.core.management.base import BaseCommand, CommandError

from catalog.importing import ImportFileError, csv_rows, read_text
from enrollment.hold_import import REQUIRED_COLUMNS, apply_holds, plan_holds

from ._arguments import add_import_arguments, report_problems


class Command(BaseCommand):
    help = (
        "Place holds from a CSV file (the bursar's nightly file): columns student (email or student number), "
        "kind (a hold kind's code, e.g. bursar) and reason (shown to the student). A student who already has an "
        "active hold of the kind keeps it, with the file's reason. Every row is checked before anything is written."
    )

    def add_arguments(self, parser):
        add_import_arguments(parser, file_help="a .csv file", skip_help="place the valid rows even if some are bad")

    def handle(self, *args, file, dry_run, skip_invalid, **options):
        try:
            if file.suffix.lower() != ".csv":
                raise ImportFileError(f"{file.name}: use a .csv file")
            rows = csv_rows(read_text(file), file.name, required=REQUIRED_COLUMNS)
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        plan = plan_holds(rows)
        report_problems(self, plan, file.name, skip_invalid=skip_invalid,
                        refused="no hold was placed (fix the file, or use --skip-invalid to place the valid rows).")
        summary = (
            f"{len(plan.create)} placed, {len(plan.update)} reason(s) updated, {len(plan.unchanged)} unchanged"
            + (f", {len(plan.errors)} invalid row(s) skipped" if plan.errors else "")
        )
        if dry_run:
            for verb, forms in (("place", plan.create), ("update the reason of", plan.update)):
                for form in forms:
                    data = form.cleaned_data
                    self.stdout.write(f"would {verb} the {data['kind'].code} hold on {data['student'].email}")
            self.stdout.write(self.style.SUCCESS(f"{file.name}: dry run, nothing written: would be {summary}."))
            return
        apply_holds(plan)
        self.stdout.write(self.style.SUCCESS(f"{file.name}: {summary}."))
