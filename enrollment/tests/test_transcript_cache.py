"""My enrollments' settled terms come rendered from the cache, never stale (enrollment.transcript_cache)."""

import datetime
import re

from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Course, Term
from catalog.selectors import terms
from catalog.tests.factories import CourseFactory, TermFactory
from enrollment.models import Enrollment, Status
from enrollment.services import enrollment_create, enrollment_set_grade, enrollment_withdraw
from enrollment.tests.factories import EnrollmentFactory

TERM_TEMPLATE = "enrollment/transcript_term.html"


def visit(client):
    """The page's HTML and how many term blocks were rendered for it (the others came from the cache)."""
    response = client.get(reverse("enrollment:my_enrollments"))
    assert response.status_code == 200
    return response.content.decode(), [t.name for t in response.templates].count(TERM_TEMPLATE)


def without_csrf_tokens(html):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def grade_cell(html, code):
    return re.search(rf'{code}</a>.*?<td data-label="Grade">(.*?)</td>', html, re.S).group(1)


def finished_term(n: int) -> Term:
    """A term that ended n years ago, every deadline long past."""
    starts = timezone.localdate() - datetime.timedelta(days=365 * n + 130)
    deadline = timezone.now() - datetime.timedelta(days=365 * n + 100)
    return TermFactory(
        name=f"Spring {2026 - n}", slug=f"spring-{2026 - n}", starts_on=starts,
        ends_on=starts + datetime.timedelta(days=110), enrollment_opens_at=deadline - datetime.timedelta(days=60),
        enrollment_closes_at=deadline - datetime.timedelta(days=20), drop_deadline=deadline,
        withdraw_deadline=deadline + datetime.timedelta(days=20),
    )


def test_a_settled_term_is_rendered_once_then_comes_from_the_cache(client, term, past_term, student):
    EnrollmentFactory(student=student, course=CourseFactory(term=past_term, code="CS100"), grade="A")
    enrollment_create(student=student, course=CourseFactory(term=term, code="CS200"))
    client.force_login(student)

    first, rendered = visit(client)
    assert rendered == 2
    again, rendered = visit(client)
    assert rendered == 1  # the current term, with its Drop button, every time
    assert without_csrf_tokens(again) == without_csrf_tokens(first)


def test_a_registrar_grade_change_shows_on_the_next_visit(client, past_term, student, registrar):
    enrollment = EnrollmentFactory(student=student, course=CourseFactory(term=past_term, code="CS100"), grade="A")
    client.force_login(student)
    html, _ = visit(client)
    assert grade_cell(html, "CS100") == "A" and "term GPA 4.00" in html

    enrollment_set_grade(enrollment=enrollment, grade="C", actor=registrar, reason="Exam re-marked.")

    html, rendered = visit(client)
    assert grade_cell(html, "CS100") == "C" and "term GPA 2.00" in html and rendered == 1


def test_a_withdrawal_from_a_finished_term_shows_on_the_next_visit(client, past_term, student, registrar):
    enrollment = EnrollmentFactory(student=student, course=CourseFactory(term=past_term, code="CS100", credits=4))
    client.force_login(student)
    html, _ = visit(client)
    assert '<span class="badge enrolled">Enrolled</span>' in html and "4 credits enrolled" in html

    enrollment_withdraw(enrollment=Enrollment.objects.with_course().get(pk=enrollment.pk), actor=registrar,
                        override_deadline=True)

    html, _ = visit(client)
    assert '<span class="badge withdrawn">Withdrawn</span>' in html and "0 credits enrolled" in html
    assert grade_cell(html, "CS100") == "W"


def test_a_status_changed_in_the_admin_shows_on_the_next_visit(client, past_term, student):
    enrollment = EnrollmentFactory(student=student, course=CourseFactory(term=past_term, code="CS100"), grade="B")
    client.force_login(student)
    visit(client)

    Enrollment.objects.filter(pk=enrollment.pk).update(status=Status.DROPPED)

    html, _ = visit(client)
    assert '<span class="badge dropped">Dropped</span>' in html and "0 credits enrolled" in html


def test_a_course_or_term_renamed_shows_on_the_next_visit(client, past_term, student):
    course = CourseFactory(term=past_term, code="CS100", title="Programming")
    EnrollmentFactory(student=student, course=course, grade="A")
    client.force_login(student)
    visit(client)

    Course.objects.filter(pk=course.pk).update(title="Programming in Python")
    html, _ = visit(client)
    assert '<span class="card-title">Programming in Python</span>' in html

    # Saved, as the admin saves it: every process reads the term list again (catalog.apps).
    past_term.name = "Spring semester 2026"
    past_term.save()
    html, _ = visit(client)
    assert '<h2 id="term-spring-2026">Spring semester 2026</h2>' in html


def test_a_term_written_without_its_signal_is_still_shown(client, past_term, student):
    terms()  # the list every process keeps, cached before the new term exists
    built = TermFactory.build(name="Fall 2020", slug="fall-2020")
    built.grades_due_at = built.default_grades_due_at()  # what save() fills in
    bulk_loaded = Term.objects.bulk_create([built])[0]
    EnrollmentFactory(student=student, course=CourseFactory(term=bulk_loaded, code="CS090"), grade="B")
    client.force_login(student)

    html, _ = visit(client)
    assert '<h2 id="term-fall-2020">Fall 2020</h2>' in html and "CS090" in html


def test_another_student_never_gets_the_first_students_block(client, past_term):
    course = CourseFactory(term=past_term, code="CS100")
    first, second = UserFactory(), UserFactory()
    for student in (first, second):
        EnrollmentFactory(student=student, course=course, grade="A")
    client.force_login(first)
    visit(client)

    client.force_login(second)
    _, rendered = visit(client)

    assert rendered == 1  # the same rows, yet rendered for this student, not read from the first's


def test_a_finished_term_with_a_form_is_never_cached(client, past_term, student):
    EnrollmentFactory(student=student, course=CourseFactory(term=past_term, code="CS100"), grade="A")
    EnrollmentFactory(student=student, course=CourseFactory(term=past_term, code="CS101"),
                      status=Status.WAITLISTED, waitlisted_at=timezone.now())
    client.force_login(student)

    for _ in range(2):
        html, rendered = visit(client)
        assert rendered == 1 and "Leave waitlist for CS101" in html
        assert client.cookies["csrftoken"] and 'name="csrfmiddlewaretoken"' in html


def test_a_long_history_costs_the_queries_of_a_short_one(client, term, django_assert_num_queries):
    def student_with(terms: int, per_term: int):
        student = UserFactory()
        for n in range(terms):
            for course in CourseFactory.create_batch(per_term, term=finished_term(n + 1)):
                EnrollmentFactory(student=student, course=course, grade="B")
        enrollment_create(student=student, course=CourseFactory(term=term))
        return student

    short, long = student_with(2, 2), student_with(16, 4)
    terms()  # the term list, read once per process and change of a term (catalog.selectors)
    assert Enrollment.objects.filter(student=short).count() == 5
    assert Enrollment.objects.filter(student=long).count() == 65

    for student in (short, long):
        client.force_login(student)
        client.get("/")  # the session and user, cached
        for _ in ("rendered", "from the cache"):
            with django_assert_num_queries(2):  # the user, the enrollments
                visit(client)
