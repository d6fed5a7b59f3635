import pytest
from django.core.cache import cache

from catalog.models import Course, Term
from catalog.selectors import TERMS_VERSION_KEY, course_prerequisites, terms
from catalog.tests.factories import CourseFactory, TermFactory

pytestmark = pytest.mark.usefixtures("db")


def codes(course):
    return [prerequisite.code for prerequisite in course_prerequisites(course)]


def test_prerequisites_are_read_once_then_from_the_shared_cache(django_assert_num_queries):
    course = CourseFactory(code="CS201")
    course.prerequisites.set([CourseFactory(code="MATH101"), CourseFactory(code="CS101")])
    title = Course.objects.get(code="CS101").title
    with django_assert_num_queries(1):
        assert codes(course) == ["CS101", "MATH101"]
    with django_assert_num_queries(0):
        assert codes(course) == ["CS101", "MATH101"]
        assert course_prerequisites(course)[0].title == title


def test_cached_prerequisites_follow_every_change_to_links_and_courses():
    course, other = CourseFactory(code="CS301"), CourseFactory(code="CS302")
    basics, maths = CourseFactory(code="CS101", title="Programming"), CourseFactory(code="MATH101")
    assert codes(course) == []

    course.prerequisites.add(basics)
    assert codes(course) == ["CS101"]
    maths.required_for.add(course, other)  # from the other side
    assert codes(course) == ["CS101", "MATH101"] and codes(other) == ["MATH101"]
    course.prerequisites.remove(maths)
    assert codes(course) == ["CS101"]
    basics.required_for.clear()
    assert codes(course) == []
    course.prerequisites.set([basics, maths])
    assert codes(course) == ["CS101", "MATH101"]

    # A prerequisite's own change shows in every course that requires it.
    basics.code, basics.title = "CS100", "Programming basics"
    basics.save()
    assert codes(course) == ["CS100", "MATH101"]
    assert course_prerequisites(course)[0].title == "Programming basics"
    maths.delete()
    assert codes(course) == ["CS100"] and codes(other) == []


def test_the_term_list_is_read_once_until_a_term_changes(django_assert_num_queries):
    term = TermFactory()
    terms()
    with django_assert_num_queries(0):
        assert [t.slug for t in terms()] == [term.slug]
    TermFactory(name="Spring 2027", slug="spring-2027")
    with django_assert_num_queries(1):
        assert {t.slug for t in terms()} == {term.slug, "spring-2027"}


def test_a_term_changed_by_another_process_is_seen_once_the_version_moves():
    """Another worker's save replaces the version in the shared cache; this process's list follows it."""
    term = TermFactory()
    terms()
    Term.objects.filter(pk=term.pk).update(name="Renamed")  # no signal here: the other process's save
    assert terms()[0].name == term.name
    cache.set(TERMS_VERSION_KEY, "set-by-another-worker", timeout=None)
    assert terms()[0].name == "Renamed"
