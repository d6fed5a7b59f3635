"""Arguments shared by the enrollment commands: a term slug and a course code; a file to import."""

from pathlib import Path

from django.core.management.base import CommandError

from catalog.models import Course, Term, normalize_course_code


def add_term_and_course(parser) -> None:
    parser.add_argument("--term", help="only this term (its slug, e.g. fall-2026)")
    parser.add_argument("--course", help="only this course (its code, e.g. CS101)")


def resolve_term(slug: str | None) -> Term | None:
    if slug is None:
        return None
    try:
        return Term.objects.get(slug=slug)
    except Term.DoesNotExist:
        known = ", ".join(Term.objects.values_list("slug", flat=True)) or "none"
        raise CommandError(f"No term “{slug}”. Terms: {known}.") from None


def resolve_course(code: str | None) -> Course | None:
    if code is None:
        return None
    try:
        return Course.objects.with_term().get(code=normalize_course_code(code))
    except Course.DoesNotExist:
        raise CommandError(f"No course “{code}”.") from None


def add_import_arguments(parser, *, file_help: str, skip_help: str) -> None:
    parser.add_argument("file", type=Path, help=file_help)
    parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    parser.add_argument("--skip-invalid", action="store_true", help=skip_help)


def report_problems(command, plan, name: str, *, skip_invalid: bool, refused: str) -> None:
    """Write each problem of an import's plan with its line and field; refuse the file unless told to skip them."""
    for error in plan.errors:
        command.stderr.write(f"{name}: {error}")
    if plan.errors and not skip_invalid:
        raise CommandError(f"{len(plan.errors)} problem(s) in {name}; {refused}")
