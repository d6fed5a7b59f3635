import datetime

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory, TermFactory
from enrollment.models import Enrollment
from enrollment.services import enrollment_create

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def term():
    return TermFactory(name="Fall 2026", slug="fall-2026")


def test_catalog_lists_courses_with_seats_left(client, term):
    CourseFactory(code="CS101", title="Programming", term=term, capacity=3)
    full = CourseFactory(code="MATH201", title="Linear Algebra", term=term, capacity=1)
    enrollment_create(student=UserFactory(), course=full)
    response = client.get(reverse("catalog:course_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "CS101" in html and "3 of 3" in html
    assert "MATH201" in html and "Full" in html


def test_catalog_search_filters_and_orders(client, term):
    other = TermFactory(name="Spring 2027", slug="spring-2027")
    CourseFactory(code="CS101", title="Programming", instructor="Dr. Hopper", term=term, credits=3)
    CourseFactory(code="CS201", title="Data Structures", instructor="Dr. Knuth", term=term, credits=4)
    CourseFactory(code="HIST101", title="World History", instructor="Dr. Hopper", term=other, credits=3, capacity=0)

    def codes(**params):
        response = client.get(reverse("catalog:course_list"), params)
        assert response.status_code == 200
        return [course.code for course in response.context["courses"]]

    assert codes(q="hopper") == ["CS101", "HIST101"]
    assert codes(q="cs 2") == ["CS201"]
    assert codes(q="STRUCT") == ["CS201"]
    assert codes(term="spring-2027") == ["HIST101"]
    assert codes(credits=4) == ["CS201"]
    assert codes(open_seats="on") == ["CS101", "CS201"]
    assert codes(order="-credits") == ["CS201", "CS101", "HIST101"]


def test_catalog_shows_errors_for_bad_filters_instead_of_failing(client, term):
    CourseFactory(term=term)
    response = client.get(reverse("catalog:course_list"), {"credits": "eleven", "term": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"credits", "term"}
    assert len(response.context["courses"]) == 1


def test_catalog_paginates(client, term):
    CourseFactory.create_batch(25, term=term)
    first = client.get(reverse("catalog:course_list"))
    second = client.get(reverse("catalog:course_list"), {"page": 2})
    assert len(first.context["courses"]) == 20 and len(second.context["courses"]) == 5
    assert 'rel="next"' in first.content.decode()


def test_catalog_query_count_does_not_grow_with_rows(client, term, django_assert_num_queries):
    CourseFactory.create_batch(3, term=term)
    client.force_login(UserFactory())
    client.get(reverse("catalog:course_list"))  # warms the cached session and term list
    # The user, the count, the page.
    with django_assert_num_queries(3):
        client.get(reverse("catalog:course_list"), {"term": term.slug})
    CourseFactory.create_batch(15, term=term)
    with django_assert_num_queries(3):
        client.get(reverse("catalog:course_list"), {"term": term.slug})


def test_course_page_query_count_does_not_grow(client, term, django_assert_num_queries):
    course = CourseFactory(term=term)
    student = UserFactory()
    client.force_login(student)
    client.get(course.get_absolute_url())

    def grow():
        for other in CourseFactory.create_batch(3, term=term, capacity=0):
            enrollment_create(student=student, course=other)
            course.prerequisites.add(other)

    # The user, the course with its term, the student's enrollments; the
    # prerequisites, read once, come from the shared cache.
    with django_assert_num_queries(3):
        client.get(course.get_absolute_url())
    grow()
    with django_assert_num_queries(4):  # the changed prerequisites, once
        client.get(course.get_absolute_url())
    with django_assert_num_queries(3):
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
    codes = response.context["eligibility"].codes()
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

    response = client.post(reverse("catalog:course_enroll", args=["CS101"]), follow=True)
    assert "You are enrolled in CS101" in response.content.decode()
    assert "Drop CS101" in response.content.decode()
    assert Enrollment.objects.get(student=student).status == "enrolled"

    response = client.post(reverse("catalog:course_drop", args=["CS101"]), follow=True)
    assert "You have dropped CS101" in response.content.decode()
    assert Enrollment.objects.get(student=student).status == "dropped"


def test_refused_actions_answer_with_a_message_and_change_nothing(client, term):
    course = CourseFactory(code="CS101", term=term)
    student = UserFactory()
    client.force_login(student)
    response = client.post(reverse("catalog:course_drop", args=["CS101"]), follow=True)
    assert "You are not enrolled in CS101" in response.content.decode()
    client.post(reverse("catalog:course_enroll", args=["CS101"]))
    response = client.post(reverse("catalog:course_enroll", args=["CS101"]), follow=True)
    assert "already enrolled" in response.content.decode()
    assert Enrollment.objects.filter(course=course).count() == 1


def test_actions_need_login_and_post(client, term):
    CourseFactory(code="CS101", term=term)
    response = client.post(reverse("catalog:course_enroll", args=["CS101"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(UserFactory())
    assert client.get(reverse("catalog:course_enroll", args=["CS101"])).status_code == 405


def test_unknown_course_is_a_404_page(client):
    response = client.get("/courses/NOPE999/")
    assert response.status_code == 404
    assert "could not find" in response.content.decode()
