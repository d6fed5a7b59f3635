from django.core.management.base import BaseCommand
from django.db.models import F

from catalog.models import Course
from enrollment.models import Via
from enrollment.services import course_fill_from_waitlist

from ._arguments import add_term_and_course, resolve_course, resolve_term


class Command(BaseCommand):
    help = "Give the free seats of every course (e.g. after a capacity increase) to its waitlist, in order."

    def add_arguments(self, parser):
        add_term_and_course(parser)

    def handle(self, *args, term, course, **options):
        courses = Course.objects.with_term().filter(waitlist_count__gt=0, enrolled_count__lt=F("capacity"))
        if term_object := resolve_term(term):
            courses = courses.filter(term=term_object)
        if course_object := resolve_course(course):
            courses = courses.filter(pk=course_object.pk)
        total = 0
        for candidate in courses:
            promoted = course_fill_from_waitlist(course=candidate, via=Via.COMMAND)
            if promoted:
                self.stdout.write(f"{candidate.code}: promoted {', '.join(e.student.email for e in promoted)}")
            total += len(promoted)
        self.stdout.write(self.style.SUCCESS(f"Promoted {total} student(s) from waitlists."))
