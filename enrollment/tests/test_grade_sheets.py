"""Grade sheets: drafts, submission in its window, read-only afterwards, and nothing overwritten unseen."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.instructors import course_set_instructors
from catalog.models import Term
from catalog.tests.factories import CourseFactory
from enrollment import grade_sheets
from enrollment.grade_sheets import GradesClosed, GradesIncomplete, grade_sheet_page, grade_sheet_save
from enrollment.models import Enrollment, EnrollmentEvent, GradeSheet, Status
from enrollment.selectors import student_transcript
from enrollment.services import EnrollmentError, TryAgain, enrollment_drop, enrollment_set_grade
from enrollment.teaching import teaching_course
from enrollment.tests.factories import EnrollmentFactory


@pytest.fixture
def closing(ended_term, instructor):
    """MATH300 in a term that ended yesterday, taught by instructor, with three enrolled students."""
    course = CourseFactory(code="MATH300", term=ended_term, credits=4)
    course_set_instructors(course=course, instructors=[instructor])
    for last_name in ("Abe", "Bell", "Cruz"):
        EnrollmentFactory(course=course, student=UserFactory(last_name=last_name), status=Status.ENROLLED)
    return course


def page_for(user, course, now=None):
    return grade_sheet_page(taught=teaching_course(user=user, code=course.code), now=now)


def ids(course) -> list[str]:
    return [str(e.pk) for e in Enrollment.objects.filter(course=course).order_by("student__last_name")]


def grades_of(course) -> list[str]:
    return list(Enrollment.objects.filter(course=course).order_by("student__last_name").values_list("grade", flat=True))


def save(user, course, grades, **options):
    return grade_sheet_save(page=page_for(user, course, options.pop("now", None)), actor=user, grades=grades,
                            **options)


def test_drafts_stay_on_the_sheet_until_submitted_then_the_student_sees_the_grade_and_gpa(closing, instructor):
    abe, bell, cruz = ids(closing)
    save(instructor, closing, {abe: "A", bell: "B"})
    save(instructor, closing, {bell: "B+", cruz: "C"})
    assert grades_of(closing) == ["", "", ""]
    assert GradeSheet.objects.get(course=closing).drafts == {abe: "A", bell: "B+", cruz: "C"}

    saved = save(instructor, closing, {}, submit=True)

    assert saved.submitted and saved.recorded == 3 and saved.problems == []
    assert grades_of(closing) == ["A", "B+", "C"]
    student = Enrollment.objects.get(pk=abe).student
    assert student_transcript(student=student).terms[0].gpa == Decimal("4.00")
    events = EnrollmentEvent.objects.filter(enrollment__course=closing, to_grade__gt="")
    assert {(e.from_grade, e.to_grade, e.actor_id, e.via, e.note) for e in events} == {
        ("", grade, instructor.pk, "teaching", "grade sheet submitted") for grade in ("A", "B+", "C")
    }


def test_submitting_needs_a_grade_for_every_student_and_writes_nothing_otherwise(closing, instructor):
    abe, bell, _cruz = ids(closing)
    with pytest.raises(GradesIncomplete, match="missing: .*Cruz"):
        save(instructor, closing, {abe: "A", bell: "B"}, submit=True)
    assert not GradeSheet.objects.exists() and grades_of(closing) == ["", "", ""]


def test_grades_are_submitted_from_the_last_day_until_the_deadline_and_read_only_after(closing, instructor, term):
    in_progress = CourseFactory(code="CS300", term=term)
    course_set_instructors(course=in_progress, instructors=[instructor])
    student = EnrollmentFactory(course=in_progress)
    save(instructor, in_progress, {str(student.pk): "A"})
    with pytest.raises(EnrollmentError, match="can be submitted from") as early:
        save(instructor, in_progress, {}, submit=True)
    assert early.value.code == "grades_not_open"

    every = dict.fromkeys(ids(closing), "B")
    late = closing.term.grades_due_at + datetime.timedelta(seconds=1)
    with pytest.raises(GradesClosed, match="were due"):
        save(instructor, closing, every, now=late)
    save(instructor, closing, every, submit=True)
    with pytest.raises(GradesClosed, match="were submitted"):
        save(instructor, closing, dict.fromkeys(every, "A"))
    assert grades_of(closing) == ["B", "B", "B"]


def test_a_drop_or_a_registrar_change_after_the_page_was_read_is_never_overwritten(closing, instructor, registrar):
    abe, bell, cruz = ids(closing)
    page = page_for(instructor, closing)
    save(instructor, closing, {abe: "A", bell: "B", cruz: "C"})
    enrollment_set_grade(enrollment=Enrollment.objects.get(pk=bell), grade="A-", actor=registrar, reason="appeal")
    dropped = Enrollment.objects.select_related("course__term").get(pk=cruz)
    enrollment_drop(enrollment=dropped, actor=registrar, override_deadline=True)

    saved = grade_sheet_save(page=page, actor=instructor, grades={}, submit=True)

    assert grades_of(closing) == ["A", "A-", ""]
    assert saved.recorded == 1
    bell_name, cruz_name = (Enrollment.objects.get(pk=pk).student.get_full_name() for pk in (bell, cruz))
    assert set(saved.problems) == {
        f"{bell_name} was graded A- by the registrar meanwhile; that grade stands.",
        f"{cruz_name} dropped meanwhile: no grade recorded.",
    }


def test_a_row_someone_else_changed_since_the_page_was_read_keeps_their_grade(closing, instructor):
    abe, bell, _cruz = ids(closing)
    colleague = UserFactory()
    course_set_instructors(course=closing, instructors=[instructor, colleague])
    save(colleague, closing, {abe: "A"})

    saved = save(instructor, closing, {abe: "F", bell: "B"}, seen={abe: "", bell: ""})

    assert GradeSheet.objects.get(course=closing).drafts == {abe: "A", bell: "B"}
    assert saved.changed == 1 and "was given A meanwhile by someone else (you entered F)" in saved.problems[0]


def test_a_registrars_grade_change_needs_a_reason_and_records_from_to_who_and_why(closing, instructor, registrar):
    every = dict.fromkeys(ids(closing), "B")
    save(instructor, closing, every, submit=True)
    enrollment = Enrollment.objects.select_related("student", "course").get(pk=next(iter(every)))

    with pytest.raises(EnrollmentError, match="Say why"):
        enrollment_set_grade(enrollment=enrollment, grade="A", actor=registrar, reason="  ")
    enrollment_set_grade(enrollment=enrollment, grade="A", actor=registrar, reason="marking error on question 3")

    event = EnrollmentEvent.objects.filter(enrollment=enrollment).latest("created_at")
    assert (event.from_grade, event.to_grade, event.actor, event.note) == (
        "B", "A", registrar, "marking error on question 3"
    )
    stale = Enrollment.objects.select_related("student", "course").get(pk=enrollment.pk)
    stale.grade = "B"  # as read before the change
    with pytest.raises(EnrollmentError, match="changed meanwhile"):
        enrollment_set_grade(enrollment=stale, grade="C", actor=registrar, reason="typo")
    assert Enrollment.objects.get(pk=enrollment.pk).grade == "A"


def test_two_saves_at_once_keep_both(closing, instructor, monkeypatch):
    abe, bell, _cruz = ids(closing)
    save(instructor, closing, {abe: "A"})
    page = page_for(instructor, closing)
    sheets = GradeSheet.objects.filter

    def another_save_comes_first(*args, **kwargs):
        if "version" in kwargs:  # between this save's read and its write
            monkeypatch.undo()
            save(instructor, closing, {bell: "B"})
        return sheets(*args, **kwargs)

    monkeypatch.setattr(GradeSheet.objects, "filter", another_save_comes_first)
    grade_sheet_save(page=page, actor=instructor, grades={abe: "A-"})

    assert GradeSheet.objects.get(course=closing).drafts == {abe: "A-", bell: "B"}


def test_a_submission_cut_short_is_finished_by_submitting_again(closing, instructor, monkeypatch):
    every = dict.fromkeys(ids(closing), "C")

    def crash(*args, **kwargs):
        raise ConnectionError("the process died here")

    monkeypatch.setattr(grade_sheets, "_record_grades", crash)
    with pytest.raises(ConnectionError):
        save(instructor, closing, every, submit=True)
    monkeypatch.undo()
    assert GradeSheet.objects.get(course=closing).submitted_at and grades_of(closing) == ["", "", ""]
    assert len(page_for(instructor, closing).unrecorded) == 3

    assert save(instructor, closing, {}, submit=True).recorded == 3
    assert grades_of(closing) == ["C", "C", "C"]
    with pytest.raises(GradesClosed):
        save(instructor, closing, {}, submit=True)


def test_saving_sixty_students_costs_a_bounded_number_of_writes(ended_term, instructor, django_assert_max_num_queries):
    def class_of(size: int, code: str):
        course = CourseFactory(code=code, term=ended_term, capacity=size)
        course_set_instructors(course=course, instructors=[instructor])
        EnrollmentFactory.create_batch(size, course=course)
        return course, {key: "ABCDF"[n % 5] for n, key in enumerate(ids(course))}

    counts = {}
    for size, code in ((6, "BIO106"), (60, "BIO160")):
        course, grades = class_of(size, code)
        page = page_for(instructor, course)
        with django_assert_max_num_queries(12) as draft:
            grade_sheet_save(page=page, actor=instructor, grades=grades)
        page = page_for(instructor, course)
        with django_assert_max_num_queries(12) as submit:
            assert grade_sheet_save(page=page, actor=instructor, grades={}, submit=True).recorded == size
        counts[size] = (len(draft.captured_queries), len(submit.captured_queries))
    # A draft: the sheet read, then created. A submission: the sheet read and
    # written, one update per letter (5 here) and one insert of the history
    # events, whatever the size of the class.
    assert counts[6] == counts[60] == (2, 8)


def test_the_page_saves_a_draft_then_submits_and_is_read_only_after(closing, instructor):
    client = Client()
    client.force_login(instructor)
    abe, bell, cruz = ids(closing)
    form = {f"grade-{key}": grade for key, grade in ((abe, "A"), (bell, "B"), (cruz, ""))}

    saved = client.post("/teaching/MATH300/grades/", {**form, "save": ""}, follow=True)
    assert "Draft saved (2 changed)" in saved.content.decode()
    refused = client.post("/teaching/MATH300/grades/", {**form, f"grade-{cruz}": "Z", "submit": ""})
    assert refused.status_code == 200 and refused.context["form"].errors
    incomplete = client.post("/teaching/MATH300/grades/", {**form, "submit": ""})
    assert incomplete.status_code == 200 and "missing: " in incomplete.content.decode()
    assert 'value="A" selected' in incomplete.content.decode()  # nothing typed is lost

    done = client.post("/teaching/MATH300/grades/", {**form, f"grade-{cruz}": "P", "submit": ""}, follow=True)
    html = done.content.decode()
    assert "Grades submitted: 3 recorded" in html and "<select" not in html and "Submitted on" in html
    assert grades_of(closing) == ["A", "B", "P"]


def test_the_term_refuses_a_deadline_before_its_last_day(term):
    term.grades_due_at = timezone.make_aware(datetime.datetime.combine(term.ends_on, datetime.time.min)) - (
        datetime.timedelta(hours=1))
    with pytest.raises(Exception, match="Grades cannot be due before"):
        term.full_clean()
    term.grades_due_at = None
    term.full_clean()
    assert term.grades_due_at == term.default_grades_due_at()
    assert Term.objects.get(pk=term.pk).grades_due_at is not None


def test_a_busy_sheet_is_a_try_again(closing, instructor, monkeypatch):
    monkeypatch.setattr(grade_sheets, "SAVE_ATTEMPTS", 0)
    with pytest.raises(TryAgain):
        save(instructor, closing, {ids(closing)[0]: "A"})
