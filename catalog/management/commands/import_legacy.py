import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.importing import ImportFileError, apply_plan, plan_import
from catalog.legacy import create_users, find_export, legacy_course_rows, plan_users


def term_mapping(value: str) -> tuple[str, str]:
    name, separator, slug = value.partition("=")
    if not separator or not name.strip() or not slug.strip():
        raise ValueError(value)
    return name.strip(), slug.strip()


class Command(BaseCommand):
    help = (
        "Migrate a school from the old Flask app: DIR holds its courses.json and users.json. "
        "Legacy term names map to our terms with --term, e.g. --term Fall=fall-2026 --term Spring=spring-2027. "
        "Passwords are hashed; a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--term", action="append", type=term_mapping, default=[], metavar="NAME=SLUG",
                            help="map a legacy term name to a term slug (repeat for each name)")
        parser.add_argument("--capacity", type=int, default=30, help="seats for imported courses (default 30)")
        parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
        parser.add_argument("--skip-invalid", action="store_true", help="import the valid rows even if some are bad")

    def handle(self, *args, directory, term, capacity, dry_run, skip_invalid, **options):
        try:
            courses_file = find_export(directory, "courses.json")
            users_file = find_export(directory, "users.json")
            rows, course_errors = legacy_course_rows(courses_file, dict(term), capacity)
            users = plan_users(users_file)
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        courses = plan_import(rows)
        errors = [(courses_file.name, e) for e in [*course_errors, *courses.errors]]
        errors += [(users_file.name, e) for e in users.errors]
        for name, error in errors:
            self.stderr.write(f"{name}: {error}")
        if errors and not skip_invalid:
            raise CommandError(f"{len(errors)} problem(s); nothing was imported (or use --skip-invalid).")
        summary = (
            f"courses: {len(courses.create)} created, {len(courses.update)} updated, "
            f"{len(courses.unchanged)} unchanged; users: {len(users.create)} created, {len(users.unchanged)} unchanged"
        )
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"Dry run, nothing written: would be {summary}."))
            return
        show_progress = sys.stderr.isatty()
        apply_plan(courses)
        create_users(users, progress=lambda items: tqdm(items, disable=not show_progress, unit="user"))
        self.stdout.write(self.style.SUCCESS(f"Imported {summary}."))
