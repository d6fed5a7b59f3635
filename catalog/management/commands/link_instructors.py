from django.core.management.base import BaseCommand

from catalog.instructors import link_instructor_names


class Command(BaseCommand):
    help = (
        "Assign each course to the instructor account its catalog name names (\"Dr. Mensah\", \"Ama Mensah\"), "
        "among the members of the Instructor group; names that match no one, or several, stay text. "
        "The catalog migration does this once; run it again once instructor accounts exist."
    )

    def handle(self, *args, **options):
        report = link_instructor_names()
        for line in report:
            self.stdout.write(line)
        linked = sum(1 for line in report if " linked to " in line)
        self.stdout.write(self.style.SUCCESS(f"{linked} course(s) linked, {len(report) - linked} kept as text."))
