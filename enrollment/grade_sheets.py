"""Grade sheets: an instructor's grades for a course, saved as drafts, then submitted onto the enrollments.

What holds without transactions:

* A sheet is one document, and every save is one conditional update on the
  version it read, tried again on a fresh read when another save came
  first: two saves (two tabs, two instructors of one course) never lose
  each other's rows. A row somebody else changed after the page showed it
  (``seen``) keeps their grade and is reported, never overwritten unseen.
* Submitting is that same update, which also sets ``submitted_at``. A
  submitted sheet, or one whose term's ``grades_due_at`` has passed, takes
  nothing more from anyone: a later change is the registrar's, in the admin,
  with a reason (``enrollment_set_grade``).
* The grades reach the enrollments by one conditional update per letter
  (``status=enrolled, grade=""``) and one insert of their history events: a
  bounded number of writes, whatever the size of the class. A student who
  dropped, or whom the registrar graded, after the sheet was read keeps what
  they have, and is reported.
* A submission cut short between its two steps (a crash) leaves a submitted
  sheet whose grades are not all on their enrollments: submitting again
  records those, and only those.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format

from .grades import Grade
from .models import Enrollment, EnrollmentEvent, GradeSheet, Status, Via
from .services import EnrollmentError, TryAgain
from .teaching import TaughtCourse, course_roster

logger = logging.getLogger(__name__)

# Each attempt fails only when another save of the same sheet came first.
SAVE_ATTEMPTS = 5


class GradesClosed(EnrollmentError):
    """The sheet is submitted or past its deadline: the grades are the registrar's to change."""

    code = "grades_closed"


class GradesIncomplete(EnrollmentError):
    code = "grades_incomplete"


@dataclass
class GradeSheetPage:
    """A sheet as its page and the API show it: every enrolled student, their grade or draft."""

    taught: TaughtCourse
    sheet: GradeSheet | None
    enrollments: list[Enrollment]
    now: object

    @property
    def drafts(self) -> dict[str, str]:
        return self.sheet.drafts if self.sheet else {}

    @property
    def submitted(self) -> bool:
        return bool(self.sheet and self.sheet.submitted_at)

    @property
    def editable(self) -> bool:
        term = self.taught.course.term
        return self.taught.may_grade and not self.submitted and self.now < term.grades_due_at

    @property
    def submittable(self) -> bool:
        return self.editable and self.now >= self.taught.course.term.grading_opens_at

    @property
    def gradable(self) -> list[Enrollment]:
        """The enrolled students the sheet grades: not those the registrar graded already."""
        return [e for e in self.enrollments if not e.grade]

    @property
    def unrecorded(self) -> list[Enrollment]:
        """After a submission cut short: students whose submitted grade is not on their enrollment yet."""
        if not self.submitted:
            return []
        return [e for e in self.gradable if self.drafts.get(str(e.pk))]

    def draft_of(self, enrollment: Enrollment) -> str:
        return self.drafts.get(str(enrollment.pk), "")


def grade_sheet_page(*, taught: TaughtCourse, now=None) -> GradeSheetPage:
    """The sheet of a course with its enrolled students by name: one query (the sheet came with the course)."""
    return GradeSheetPage(taught=taught, sheet=taught.sheet, enrollments=course_roster(course=taught.course).enrolled,
                          now=now or timezone.now())


@dataclass
class SheetSaved:
    sheet: GradeSheet
    changed: int = 0
    recorded: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def submitted(self) -> bool:
        return bool(self.sheet.submitted_at)


def grade_sheet_save(*, page: GradeSheetPage, actor, grades: dict[str, str], seen: dict[str, str] | None = None,
                     submit: bool = False, via: str = Via.TEACHING) -> SheetSaved:
    """Save grades (enrollment id -> grade, "" for none) as drafts, and submit the sheet if asked.

    ``page`` is the sheet as grade_sheet_page read it for actor, who must teach
    the course. ``seen`` is what the page showed for each row: a row changed
    since by someone else is not overwritten. Submitting needs a grade for
    every enrolled student and the term's last day reached; it writes
    nothing when refused.
    """
    course, now = page.taught.course, page.now
    if not page.taught.may_grade:
        raise PermissionDenied("Registrars change grades in the admin, with a reason.")
    if invalid := sorted({grade for grade in grades.values() if grade and grade not in Grade.values}):
        raise EnrollmentError(f"Not a grade: {', '.join(invalid)}.", code="invalid_grade")
    gradable = {str(e.pk): e for e in page.gradable}
    problems = _stale_rows(page, grades)
    for _attempt in range(SAVE_ATTEMPTS):
        sheet = GradeSheet.objects.filter(course=course).first() or GradeSheet(course=course)
        if sheet.submitted_at:
            return _finish_submission(page, sheet, actor, via, submit)
        _check_open(course, now)
        drafts = dict(sheet.drafts)
        changed, conflicts = _merge(drafts, grades, seen, gradable)
        if submit:
            _check_submittable(course, now, conflicts, [e for key, e in gradable.items() if not drafts.get(key)])
        elif not changed:
            return SheetSaved(sheet=sheet, problems=problems + conflicts)
        values = {"drafts": drafts, "saved_at": now, "saved_by": actor}
        if submit:
            values.update(submitted_at=now, submitted_by=actor)
        if _write(sheet, values):
            break
    else:
        raise TryAgain(f"The grade sheet of {course.code} is being saved elsewhere; try again in a moment.")
    saved = SheetSaved(sheet=sheet, changed=changed, problems=problems + conflicts)
    if submit:
        saved.recorded, unrecorded = _record_grades(list(gradable.values()), drafts, actor, via, now)
        saved.problems += unrecorded
        logger.info("grade sheet of %s submitted by %s: %d grades", course.code, actor.pk, saved.recorded)
    return saved


def _write(sheet: GradeSheet, values: dict) -> bool:
    """Write values on the sheet as read, unless another save or a submission came first; whether it did."""
    if sheet.pk is not None and not GradeSheet.objects.filter(
        pk=sheet.pk, version=sheet.version, submitted_at=None
    ).update(version=F("version") + 1, **values):
        return False
    for name, value in values.items():
        setattr(sheet, name, value)
    sheet.version += 1
    if sheet.version == 1:
        try:
            sheet.save(force_insert=True)
        except IntegrityError:
            return False  # another save created it first: the unique course index keeps it to one
    return True


def _check_open(course, now) -> None:
    term = course.term
    if now >= term.grades_due_at:
        due = date_format(timezone.localtime(term.grades_due_at), "DATETIME_FORMAT")
        raise GradesClosed(f"Grades for {term} were due on {due}: ask the registrar to record or change one.")


def _check_submittable(course, now, conflicts: list[str], missing: list[Enrollment]) -> None:
    term = course.term
    if now < term.grading_opens_at:
        raise EnrollmentError(f"Grades for {course.code} can be submitted from {date_format(term.ends_on)}, "
                              "the term's last day; until then, save them as a draft.", code="grades_not_open")
    if conflicts:
        raise TryAgain("Not submitted: " + " ".join(conflicts) + " Check the sheet and submit again.")
    if missing:
        names = ", ".join(_name(e) for e in missing)
        raise GradesIncomplete(f"Give every student a grade before submitting; missing: {names}.")


def _merge(drafts: dict, grades: dict, seen: dict | None, gradable: dict) -> tuple[int, list[str]]:
    """Apply grades to drafts, row by row; (rows changed, rows someone else changed since they were seen)."""
    changed, conflicts = 0, []
    for key, grade in grades.items():
        if key not in gradable:
            continue
        current = drafts.get(key, "")
        if grade == current:
            continue
        if seen is not None and key in seen and seen[key] != current:
            shown = current or "no grade"
            conflicts.append(f"{_name(gradable[key])} was given {shown} meanwhile by someone else "
                             f"(you entered {grade or 'no grade'}); theirs is kept.")
            continue
        if grade:
            drafts[key] = grade
        else:
            drafts.pop(key, None)
        changed += 1
    return changed, conflicts


def _stale_rows(page: GradeSheetPage, grades: dict) -> list[str]:
    """Rows of an older page: a student who dropped or was graded by the registrar since it was read."""
    graded = {str(e.pk): e for e in page.enrollments if e.grade}
    problems = [
        f"{_name(graded[key])} was graded {graded[key].grade} by the registrar; that grade stands."
        for key, grade in grades.items() if key in graded and grade and grade != graded[key].grade
    ]
    enrolled = {str(e.pk) for e in page.enrollments}
    gone = [key for key, grade in grades.items() if grade and key not in enrolled]
    if gone:
        problems.append(f"{len(gone)} student{'s' if len(gone) != 1 else ''} no longer enrolled "
                        f"{'were' if len(gone) != 1 else 'was'} left out.")
    return problems


def _finish_submission(page: GradeSheetPage, sheet: GradeSheet, actor, via: str, submit: bool) -> SheetSaved:
    page.sheet = sheet
    pending = page.unrecorded
    if not (submit and pending):
        submitted = date_format(timezone.localtime(sheet.submitted_at), "DATETIME_FORMAT")
        raise GradesClosed(f"The grades of {page.taught.course.code} were submitted on {submitted}: "
                           "ask the registrar to change one.")
    recorded, problems = _record_grades(pending, sheet.drafts, actor, via, page.now)
    return SheetSaved(sheet=sheet, recorded=recorded, problems=problems)


def _record_grades(enrollments: list[Enrollment], drafts: dict, actor, via: str, now) -> tuple[int, list[str]]:
    """Write each submitted grade on its enrollment, one conditional update per letter; (how many, what was not)."""
    by_grade = defaultdict(list)
    for enrollment in enrollments:
        by_grade[drafts[str(enrollment.pk)]].append(enrollment.pk)
    written = sum(
        Enrollment.objects.filter(pk__in=pks, status=Status.ENROLLED, grade="").update(grade=grade, updated_at=now)
        for grade, pks in by_grade.items()
    )
    recorded, problems = enrollments, []
    if written < len(enrollments):
        now_held = {pk: (status, grade) for pk, status, grade in
                    Enrollment.objects.filter(pk__in=[e.pk for e in enrollments]).values_list("pk", "status", "grade")}
        recorded = []
        for enrollment in enrollments:
            status, grade = now_held.get(enrollment.pk, (Status.DROPPED, ""))
            if status == Status.ENROLLED and grade == drafts[str(enrollment.pk)]:
                recorded.append(enrollment)
            elif status != Status.ENROLLED:
                problems.append(f"{_name(enrollment)} dropped meanwhile: no grade recorded.")
            else:
                problems.append(
                    f"{_name(enrollment)} was graded {grade} by the registrar meanwhile; that grade stands."
                )
    EnrollmentEvent.objects.bulk_create(
        EnrollmentEvent(enrollment=enrollment, actor=actor, from_status=Status.ENROLLED, to_status=Status.ENROLLED,
                        via=via, from_grade="", to_grade=drafts[str(enrollment.pk)], note="grade sheet submitted")
        for enrollment in recorded
    )
    for enrollment in recorded:
        enrollment.grade = drafts[str(enrollment.pk)]
    return len(recorded), problems


def _name(enrollment: Enrollment) -> str:
    student = enrollment.student
    return student.get_full_name() or student.email
