"""The emails a student gets when a waitlist seat comes up: taken, or passed over and why.

They leave like every email of the system, through the default mailer, which
queues them as tasks (school.mail): the request that freed the seat never
waits on the mail server, and a failed delivery is retried.
"""

import logging

from django.core.mail import EmailMessage
from django.utils import timezone

from .models import Enrollment

logger = logging.getLogger(__name__)


def send_promotion_email(enrollment: Enrollment, *, replaced: Enrollment | None = None) -> None:
    """``replaced``: the course a swap gave up for this one (enrollment.swaps)."""
    course, student = enrollment.course, enrollment.student
    swapped = ""
    if replaced:
        swapped = f"As you asked, {replaced.course.code} {replaced.course.title} was dropped in its place.\n\n"
    _send(enrollment, f"You are enrolled in {course.code}", (
        f"Hello {student.get_short_name()},\n\n"
        f"A seat opened in {course.code} {course.title} ({course.term}) and you were next on the "
        f"waitlist: you are now enrolled.\n\n{swapped}If you no longer want the seat, drop the course "
        f"before {timezone.localtime(course.term.drop_deadline):%Y-%m-%d %H:%M}.\n"
    ))


def send_passed_over_email(enrollment: Enrollment, reasons: list) -> None:
    course, student = enrollment.course, enrollment.student
    why = "\n".join(f"- {reason.message}" for reason in reasons)
    _send(enrollment, f"A seat in {course.code} went to the next student", (
        f"Hello {student.get_short_name()},\n\n"
        f"A seat opened in {course.code} {course.title} ({course.term}) and you were next on the "
        f"waitlist, but your registration does not allow it:\n\n{why}\n\n"
        f"You keep your place on the waitlist. Change your courses so that {course.code} fits, and "
        f"you get the next seat that opens.\n"
    ))


def _send(enrollment: Enrollment, subject: str, body: str) -> None:
    try:
        EmailMessage(subject=subject, body=body, to=[enrollment.student.email]).send()
    except Exception:
        # The seat changed hands whether or not the email could be queued.
        logger.exception("could not send %s its email about %s", enrollment.student_id, enrollment.course.code)
