import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Course, CourseInstructor, Term


class TermFactory(factory.django.DjangoModelFactory):
    """A term whose enrollment window is open now and whose drop deadline is ahead."""

    class Meta:
        model = Term
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Term {n}")
    slug = factory.Sequence(lambda n: f"term-{n}")
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
    ends_on = factory.LazyAttribute(lambda term: term.starts_on + datetime.timedelta(days=100))
    enrollment_opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=7))
    enrollment_closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=14))
    drop_deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    withdraw_deadline = factory.LazyAttribute(lambda term: term.drop_deadline + datetime.timedelta(days=30))


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    # Four digits: never one of the three-digit codes tests write by hand (CS201).
    code = factory.Sequence(lambda n: f"CS{1000 + n}")
    title = factory.Sequence(lambda n: f"Course number {n}")
    instructor = factory.Faker("name")
    credits = 3
    term = factory.SubFactory(TermFactory)
    capacity = 30


class CourseInstructorFactory(factory.django.DjangoModelFactory):
    """An assignment only: course_set_instructors also puts the user in the Instructor group."""

    class Meta:
        model = CourseInstructor

    course = factory.SubFactory(CourseFactory)
    instructor = factory.SubFactory(UserFactory)
