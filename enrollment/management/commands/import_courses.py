import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.importing import ImportFileError, apply_plan, plan_import, read_rows
from enrollment.models import Via
from enrollment.services import course_fill_from_waitlist

from ._arguments import add_import_arguments, report_problems


class Command(BaseCommand):
    help = (
        "Create or update courses from a CSV or JSON file, matched by course code. Columns/keys: code, title, "
        "credits, term (slug), capacity, and optionally description, instructor, meeting_days, starts_at, "
        "ends_at, prerequisites (codes separated by spaces), instructors (emails separated by spaces). "
        "Every row is checked before anything is written."
    )

    def add_arguments(self, parser):
        add_import_arguments(parser, file_help="a .csv or .json file",
                             skip_help="import the valid rows even if some are bad")

    def handle(self, *args, file, dry_run, skip_invalid, **options):
        try:
            rows = read_rows(file)
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        plan = plan_import(rows)
        report_problems(self, plan, file.name, skip_invalid=skip_invalid,
                        refused="nothing was imported (fix the file, or use --skip-invalid to import the valid rows).")
        summary = (
            f"{len(plan.create)} created, {len(plan.update)} updated, {len(plan.unchanged)} unchanged"
            + (f", {len(plan.errors)} invalid row(s) skipped" if plan.errors else "")
        )
        if dry_run:
            for form in plan.create:
                self.stdout.write(f"would create {form.cleaned_data['code']}")
            for form in plan.update:
                self.stdout.write(f"would update {form.cleaned_data['code']}: {', '.join(form.changed_data)}")
            self.stdout.write(self.style.SUCCESS(f"{file.name}: dry run, nothing written: would be {summary}."))
            return
        show_progress = len(rows) > 200 and sys.stderr.isatty()
        grown = [form.instance for form in plan.update if "capacity" in form.changed_data]
        apply_plan(plan, progress=lambda forms: tqdm(forms, disable=not show_progress, unit="course"))
        for course in grown:
            # A larger capacity frees seats for the waitlist at once.
            if promoted := course_fill_from_waitlist(course=course, via=Via.COMMAND):
                self.stdout.write(f"{course.code}: {len(promoted)} promoted from the waitlist")
        self.stdout.write(self.style.SUCCESS(f"{file.name}: {summary}."))
