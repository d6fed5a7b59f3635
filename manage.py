#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "school.settings.local")
    from django.core.management import execute_from_command_line

    from school.database import exit_if_unreachable

    with exit_if_unreachable():
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
