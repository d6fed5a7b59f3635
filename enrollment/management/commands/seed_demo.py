import time

from django.core.management.base import BaseCommand, CommandError

from enrollment.demo import (
    DEMO_INSTRUCTOR_EMAIL,
    DEMO_STUDENT_EMAIL,
    HELD_STUDENT_EMAIL,
    INSTRUCTOR_PASSWORD,
    REGISTRAR_EMAIL,
    REGISTRAR_PASSWORD,
    STUDENT_PASSWORD,
    demo_present,
    seed_demo,
)
from enrollment.models import Status


class Command(BaseCommand):
    help = "Load demo terms, courses, students and enrollments into an empty catalog."

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=200, help="how many students (default 200)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed: the same seed, the same data")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing (and succeed) when the catalog has courses"
        )

    def handle(self, *args, students, seed, if_empty, **options):
        if demo_present():
            if if_empty:
                self.stdout.write("The catalog already has courses: demo data not loaded.")
                return
            raise CommandError("The catalog already has courses; seed_demo loads only into an empty catalog.")
        if students < 2:
            raise CommandError("--students must be at least 2 (the demo student and one with a hold).")
        started = time.monotonic()
        summary = seed_demo(students=students, seed=seed)
        self.stdout.write(self.style.SUCCESS(
            f"Loaded {summary.terms} terms, {summary.courses} courses, {summary.instructors} instructors, "
            f"{summary.students} students, "
            f"{summary.enrollments[Status.ENROLLED]} enrollments and "
            f"{summary.enrollments[Status.WAITLISTED]} waitlist places, "
            f"{summary.enrollments[Status.WITHDRAWN]} withdrawal, {summary.holds} hold and "
            f"{summary.appointment_groups} registration appointment groups "
            f"in {time.monotonic() - started:.1f} s."
        ))
        self.stdout.write(f"Staff login: {REGISTRAR_EMAIL} / {REGISTRAR_PASSWORD}")
        self.stdout.write(f"Student login: {DEMO_STUDENT_EMAIL} / {STUDENT_PASSWORD} (every demo student)")
        self.stdout.write(
            f"Instructor login: {DEMO_INSTRUCTOR_EMAIL} / {INSTRUCTOR_PASSWORD} (every demo instructor)"
        )
        self.stdout.write(f"A student with a hold: {HELD_STUDENT_EMAIL}")
