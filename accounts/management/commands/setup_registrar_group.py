from django.core.management.base import BaseCommand, CommandError

from accounts.registrar_group import PermissionsMissing, setup_registrar_group


class Command(BaseCommand):
    help = "Create the Registrar group, or reset its permissions to what the project defines (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args, database, **options):
        try:
            result = setup_registrar_group(using=database)
        except PermissionsMissing as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(str(result)))
