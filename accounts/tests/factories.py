import factory

from accounts.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"student{n}@example.edu")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


class StaffFactory(UserFactory):
    is_staff = True


class RegistrarFactory(StaffFactory):
    """Staff in the Registrar group, with exactly its permissions."""

    @factory.post_generation
    def registrar_group(user, create, extracted, **kwargs):
        from django.contrib.auth.models import Group

        from accounts.registrar_group import REGISTRAR_GROUP, setup_registrar_group

        if create:
            setup_registrar_group()
            user.groups.add(Group.objects.get(name=REGISTRAR_GROUP))
