import factory

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory
from enrollment.models import Enrollment, HoldKind, Status


class EnrollmentFactory(factory.django.DjangoModelFactory):
    """A bare enrollment row; tests of the rules go through enrollment.services."""

    class Meta:
        model = Enrollment

    student = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    status = Status.ENROLLED


class HoldKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HoldKind
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"office-{n}")
    name = factory.Sequence(lambda n: f"Office {n}")
    office = factory.LazyAttribute(lambda kind: f"the {kind.name} desk ({kind.code}@example.edu)")
