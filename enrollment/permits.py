"""Permits: leave for one student to enroll in one course past chosen rules, once, until a day.

Instructors issue them for their courses, registrars for any
(``enrollment.teaching.permit_issue``). Eligibility (enrollment.eligibility)
stays the one place that decides: the student's live permit is one more of
its inputs, which turns the reasons it waives (prerequisites, capacity, a
schedule clash, the enrollment window; never the credit limit) into notes
saying who waived them until when.

What holds without transactions:

* Used once. ``enrollment_create`` uses the permit under the student's
  registration lock, with one conditional update (still unused, still
  valid): of any number of parallel requests one uses it, and the rules it
  waived refuse the others. A later step that fails gives it back. The
  enrollment keeps it (``Enrollment.permit``), so a waitlist seat that comes
  up later is judged with the same waivers, and enrolling again after a
  drop needs a new permit.
* The newest permit of a student for a course is the one that counts: a new
  one replaces the last, used or not.
* ``Course.permits_until``: no permit of the course is valid after that day.
  ``permit_issue`` raises it (never lowers it) before it writes the permit,
  so it is never behind. A permit is looked for only on a course where that
  day has not passed: pages and enrollments elsewhere (every enrollment of a
  registration rush) cost no query for it.
"""

from django.utils import timezone
from django.utils.formats import date_format

from .models import Permit
from .waivers import waived_reason_codes


def live_permit(*, student, course, now=None) -> Permit | None:
    """The student's permit for course if it can still be used: at most one query, none on most courses."""
    today = timezone.localdate(now)
    if course.permits_until is None or course.permits_until < today:
        return None
    newest = Permit.objects.filter(student=student, course=course).select_related("issued_by").first()
    if newest is None or newest.used_at is not None or newest.valid_until < today:
        return None
    return newest


def permit_label(permit: Permit) -> str:
    """Who issued it and its last day, as the course page says it: "Dr Ama Mensah, until 12 Dec 2026"."""
    issuer = permit.issued_by
    issuer = (issuer.get_full_name() or issuer.email) if issuer else "a former instructor"
    return f"{issuer}, until {date_format(permit.valid_until)}"


def permit_use(permit: Permit, *, now) -> bool:
    """Use the permit up: one conditional update, true for one caller only, and only while it is valid."""
    used = Permit.objects.filter(pk=permit.pk, used_at=None, valid_until__gte=timezone.localdate(now)).update(
        used_at=now
    )
    if used:
        permit.used_at = now
    return bool(used)


def permit_give_back(permit: Permit) -> None:
    """Undo permit_use after a later step of the enrollment failed."""
    Permit.objects.filter(pk=permit.pk, used_at=permit.used_at).update(used_at=None)
    permit.used_at = None


def without_waived(reasons: list, enrollment) -> list:
    """Reasons, but those the permit the enrollment was made with waives (one query, only for such an enrollment)."""
    if enrollment.permit_id is None:
        return reasons
    waived = waived_reason_codes(enrollment.permit.waives)
    return [reason for reason in reasons if reason.code not in waived]


def permit_note(permit: Permit) -> str:
    """What the enrollment's history says about the permit it used."""
    return f"permit waived {permit.waives_display().lower()} ({permit_label(permit)})"
