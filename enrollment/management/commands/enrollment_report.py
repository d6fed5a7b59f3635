from django.core.management.base import BaseCommand

from enrollment.reports import enrollment_report, write_csv

from ._arguments import resolve_term


class Command(BaseCommand):
    help = "Per course: enrolled / capacity, waitlist and fill rate; then per-term totals."

    def add_arguments(self, parser):
        parser.add_argument("--term", help="only this term (its slug)")
        parser.add_argument("--format", choices=["table", "csv"], default="table")

    def handle(self, *args, term, format, **options):
        lines, totals = enrollment_report(term=resolve_term(term))
        rows = [[line.term, line.code, line.title, line.enrolled, line.capacity, line.waitlisted,
                 f"{line.fill_rate:.0%}"] for line in lines]
        rows += [[name, "TOTAL", "", t.enrolled, t.capacity, t.waitlisted, f"{t.fill_rate:.0%}"]
                 for name, t in totals.items()]
        header = ["term", "course", "title", "enrolled", "capacity", "waitlist", "fill"]
        if format == "csv":
            write_csv(self.stdout, header, rows)
            return
        widths = [max(len(str(value)) for value in column) for column in zip(header, *rows, strict=True)]
        for row in [header, *rows]:
            self.stdout.write("  ".join(
                str(value).rjust(width) if isinstance(value, int) else str(value).ljust(width)
                for value, width in zip(row, widths, strict=True)
            ).rstrip())
