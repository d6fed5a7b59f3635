from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enrollment.reports import enrollments_for_export, write_enrollments_csv

from ._arguments import add_term_and_course, resolve_course, resolve_term


class Command(BaseCommand):
    help = "Write enrollments as CSV to standard output or a file."

    def add_arguments(self, parser):
        add_term_and_course(parser)
        parser.add_argument("--output", "-o", type=Path, help="write to this file instead of standard output")

    def handle(self, *args, term, course, output, **options):
        enrollments = enrollments_for_export(term=resolve_term(term), course=resolve_course(course))
        if output is None:
            write_enrollments_csv(enrollments, self.stdout)
            return
        try:
            with output.open("w", newline="", encoding="utf-8") as stream:
                count = write_enrollments_csv(enrollments, stream)
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from None
        self.stderr.write(f"Wrote {count} enrollments to {output}.")
