import datetime
from decimal import Decimal

from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.selectors import terms
from catalog.tests.factories import CourseFactory, TermFactory
from enrollment.holds import hold_place
from enrollment.models import AppointmentGroup, Enrollment
from enrollment.services import enrollment_create
from enrollment.tests.factories import EnrollmentFactory, HoldKindFactory


def test_my_enrollments_groups_by_term_with_credits_gpa_and_waitlist_position(client, term, past_term, student):
    EnrollmentFactory(student=student, course=CourseFactory(term=past_term, code="CS100", credits=4), grade="A")
    EnrollmentFactory(student=student, course=CourseFactory(term=past_term, code="HIST100", credits=2), grade="C")
    enrollment_create(student=student, course=CourseFactory(term=term, code="CS200", credits=3))
    full = CourseFactory(term=term, code="MATH300", capacity=1)
    enrollment_create(student=UserFactory(), course=full)
    enrollment_create(student=UserFactory(), course=full)
    enrollment_create(student=student, course=full)

    client.force_login(student)
    response = client.get(reverse("enrollment:my_enrollments"))
    transcript = response.context["transcript"]
    assert [group.term.name for group in transcript.terms] == ["Fall 2026", "Spring 2026"]
    current, past = transcript.terms
    assert current.enrolled_credits == 3
    assert past.gpa == Decimal("3.33")
    waiting = next(e for e in current.enrollments if e.status == "waitlisted")
    assert waiting.waitlist_position == 2
    html = response.content.decode()
    assert "#2 in line" in html and "3.33" in html


def test_my_enrollments_query_count_does_not_grow(client, term, student, django_assert_max_num_queries):
    def fill(n):
        for course in CourseFactory.create_batch(n, term=term, capacity=0):
            enrollment_create(student=student, course=course)

    client.force_login(student)
    fill(2)
    terms()  # the term list, read once per process (catalog.selectors)
    with django_assert_max_num_queries(4) as few:
        client.get(reverse("enrollment:my_enrollments"))
    fill(4)
    with django_assert_max_num_queries(4) as many:
        client.get(reverse("enrollment:my_enrollments"))
    assert len(few.captured_queries) == len(many.captured_queries)


def test_dropping_from_my_enrollments_returns_there(client, course, student):
    enrollment_create(student=student, course=course)
    client.force_login(student)
    response = client.post(reverse("enrollment:course_drop", args=[course.code]), {"next": "/enrollments/"})
    assert response["Location"] == "/enrollments/"
    assert Enrollment.objects.get(student=student).status == "dropped"


def test_an_outside_next_url_is_ignored(client, course, student):
    enrollment_create(student=student, course=course)
    client.force_login(student)
    response = client.post(reverse("enrollment:course_drop", args=[course.code]), {"next": "https://evil.example/"})
    assert response["Location"] == course.get_absolute_url()


def test_my_enrollments_needs_login(client, db):
    response = client.get(reverse("enrollment:my_enrollments"))
    assert response.status_code == 302


def test_home_shows_the_students_current_term(client, db):
    student = UserFactory()
    course = CourseFactory(code="CS101", title="Programming")
    enrollment_create(student=student, course=course)
    client.force_login(student)
    html = client.get("/").content.decode()
    assert f"{course.term.name} at a glance" in html and "CS101 Programming" in html and "3 credits" in html


def test_course_page_query_count_does_not_grow(client, term, django_assert_num_queries):
    course = CourseFactory(term=term)
    student = UserFactory()
    client.force_login(student)
    client.get(course.get_absolute_url())

    def grow():
        for other in CourseFactory.create_batch(3, term=term, capacity=0):
            enrollment_create(student=student, course=other)
            course.prerequisites.add(other)
        for kind in HoldKindFactory.create_batch(2):
            hold_place(student=student, kind=kind, reason="Unpaid fees.")
        for credits in (0, 30, 60):
            AppointmentGroup.objects.create(term=term, min_credits=credits, opens_at=term.enrollment_opens_at)

    # The user, the course with its term, the student's holds and
    # enrollments; the prerequisites and the term's appointment groups, read
    # once, come from the shared cache.
    with django_assert_num_queries(4):
        client.get(course.get_absolute_url())
    grow()
    with django_assert_num_queries(6):  # the changed prerequisites and appointment groups, once
        client.get(course.get_absolute_url())
    with django_assert_num_queries(4):
        client.get(course.get_absolute_url())


def test_course_page_lists_every_reason_before_the_student_presses_anything(client, term):
    past = TermFactory(
        name="Spring 2026", slug="spring-2026",
        starts_on=datetime.date(2026, 1, 10), ends_on=datetime.date(2026, 5, 1),
    )
    basics = CourseFactory(code="CS100", title="Basics", term=past)
    taken = CourseFactory(code="MATH201", title="Linear Algebra", term=term, meeting_days="MW",
                          starts_at=datetime.time(9), ends_at=datetime.time(10))
    course = CourseFactory(code="CS201", term=term, capacity=0, meeting_days="M",
                           starts_at=datetime.time(9, 30), ends_at=datetime.time(11))
    course.prerequisites.add(basics)
    student = UserFactory()
    enrollment_create(student=student, course=taken)
    client.force_login(student)
    response = client.get(course.get_absolute_url())
    codes = [reason.code for reason in response.context["eligibility"].reasons]
    assert codes == ["prerequisite_missing", "schedule_conflict", "course_full"]
    html = response.content.decode()
    assert "requires CS100 (Basics)" in html and "clashes with MATH201 Linear Algebra" in html
    assert "Enroll in CS201" not in html


def test_enroll_and_drop_from_the_course_page(client, term):
    course = CourseFactory(code="CS101", term=term, capacity=5)
    student = UserFactory()
    client.force_login(student)
    page = client.get(course.get_absolute_url())
    assert "Enroll in CS101" in page.content.decode()

    response = client.post(reverse("enrollment:course_enroll", args=["CS101"]), follow=True)
    assert "You are enrolled in CS101" in response.content.decode()
    assert "Drop CS101" in response.content.decode()
    assert Enrollment.objects.get(student=student).status == "enrolled"

    response = client.post(reverse("enrollment:course_drop", args=["CS101"]), follow=True)
    assert "You have dropped CS101" in response.content.decode()
    assert Enrollment.objects.get(student=student).status == "dropped"


def test_refused_actions_answer_with_a_message_and_change_nothing(client, term):
    course = CourseFactory(code="CS101", term=term)
    student = UserFactory()
    client.force_login(student)
    response = client.post(reverse("enrollment:course_drop", args=["CS101"]), follow=True)
    assert "You are not enrolled in CS101" in response.content.decode()
    client.post(reverse("enrollment:course_enroll", args=["CS101"]))
    response = client.post(reverse("enrollment:course_enroll", args=["CS101"]), follow=True)
    assert "already enrolled" in response.content.decode()
    assert Enrollment.objects.filter(course=course).count() == 1


def test_actions_need_login_and_post(client, term):
    CourseFactory(code="CS101", term=term)
    response = client.post(reverse("enrollment:course_enroll", args=["CS101"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(UserFactory())
    assert client.get(reverse("enrollment:course_enroll", args=["CS101"])).status_code == 405


def test_a_course_code_is_read_as_the_catalog_writes_it(client, course, student):
    client.force_login(student)
    client.post(reverse("enrollment:course_enroll", args=["cs101"]))
    assert Enrollment.objects.get(student=student).course == course
