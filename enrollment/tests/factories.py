import factory

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory
from enrollment.models import Enrollment, Status


class EnrollmentFactory(factory.django.DjangoModelFactory):
    """A bare enrollment row; tests of the rules go through enrollment.services."""

    class Meta:
        model = Enrollment

    student = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    status = Status.ENROLLED
