from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import UniqueConstraint

from enrollment.locks import LOCK_SECONDS
from enrollment.seat_counters import counter_mismatches
from enrollment.services import TryAgain
from enrollment.swaps import swap_repair, swaps_half_done
from school.redaction import mask_uri


def expected_indexes(model) -> list[tuple[tuple, bool]]:
    """(key pattern, unique) of every index Django's migrations create for model."""
    meta = model._meta
    column = {field.name: field.column for field in meta.concrete_fields}
    wanted = []
    for field in meta.local_concrete_fields:
        if field.primary_key:
            continue
        if field.unique:
            wanted.append((((field.column, 1),), True))
        elif field.db_index:
            wanted.append((((field.column, 1),), False))
    for index in meta.indexes:
        keys = tuple((column[name.lstrip("-")], -1 if name.startswith("-") else 1) for name in index.fields)
        wanted.append((keys, False))
    for constraint in meta.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.fields:
            wanted.append((tuple((column[name], 1) for name in constraint.fields), True))
    for names in meta.unique_together:
        wanted.append((tuple((column[name], 1) for name in names), True))
    return wanted


class Command(BaseCommand):
    help = ("Connect to MongoDB, report its version, and check every expected index, the seat counters and that "
            "no swap was left half-done.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix-counters", action="store_true",
            help="set seat counters that disagree to the enrollments' numbers (run while no one enrolls)",
        )
        parser.add_argument(
            "--fix-swaps", action="store_true",
            help="finish half-done swaps: drop the course each one replaces, as the swap would have",
        )

    def handle(self, *args, fix_counters, fix_swaps, **options):
        connection.ensure_connection()
        info = connection.connection.server_info()
        self.stdout.write(f"MongoDB {info.get('version', '?')} at {mask_uri(connection.settings_dict['HOST'])}, "
                          f"database {connection.settings_dict['NAME']}")
        database = connection.database
        missing = []
        for model in apps.get_models():
            if not model._meta.managed or model._meta.proxy:
                continue
            present = {
                (tuple((key, int(direction)) for key, direction in info["key"]), bool(info.get("unique")))
                for info in database[model._meta.db_table].index_information().values()
            }
            missing += [
                f"{model._meta.db_table}: {'unique ' if unique else ''}index on "
                f"{', '.join(f'{key} {direction}' for key, direction in keys)}"
                for keys, unique in expected_indexes(model)
                if (keys, unique) not in present
            ]
        fixed = counter_mismatches(fix=True) if fix_counters else []
        if fix_swaps:
            fixed += self.finish_swaps()
        for problem in fixed:
            self.stdout.write(f"fixed: {problem}")
        problems = missing + counter_mismatches() + [describe_swap(e) for e in swaps_half_done()]
        for problem in problems:
            self.stderr.write(f"problem: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found; run migrate for missing indexes.")
        self.stdout.write(self.style.SUCCESS(
            "Every expected index exists and the seat counters agree. No swap is half-done."
        ))

    def finish_swaps(self) -> list[str]:
        finished = []
        for enrollment in swaps_half_done():
            try:
                if swap_repair(enrollment=enrollment):
                    finished.append(describe_swap(enrollment))
            except TryAgain:
                self.stderr.write(f"busy: {describe_swap(enrollment)}: the student's registration is locked (the swap "
                                  f"may still be running, or stopped less than {LOCK_SECONDS} s ago); run again later")
        return finished


def describe_swap(enrollment) -> str:
    replaced = enrollment.swap_for
    return (f"half-done swap of student {enrollment.student.student_number}: {enrollment.course.code} taken, "
            f"{replaced.course.code} {'still held' if replaced.is_active else 'dropped'}")
