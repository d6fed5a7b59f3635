"""The registrar's pages in headless Chromium on demo data: the admin's main pages and the API docs.

Each is checked with axe-core (no serious or critical violation) and
photographed into test-artifacts/screenshots/admin_pages/ (``admin-*-desktop.png``,
``api-docs-desktop.png``, the term dashboard alone in ``admin-dashboard.png``),
beside ``accessibility.md``, the list of what axe reported below "serious".
The admin home's term dashboard is photographed on a phone too.
"""

import datetime
import io
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.models import Course, Term
from enrollment.demo import DEMO_STUDENT_EMAIL, REGISTRAR_EMAIL, seed_demo
from enrollment.models import Enrollment, EnrollmentEvent

from .checks import PageChecker
from .conftest import log_in

pytestmark = pytest.mark.browser


def spread_over_the_enrollment_window(term: Term) -> None:
    """The demo writes every enrollment at one instant; a real term's arrive over the window, most at the start."""
    opened = term.enrollment_opens_at
    days = max((timezone.now() - opened).days, 1)
    events = list(EnrollmentEvent.objects.filter(enrollment__course__term=term).order_by("enrollment_id")
                  .values_list("pk", flat=True))
    by_day = defaultdict(list)
    for rank, pk in enumerate(events):
        by_day[int(days * (rank / len(events)) ** 2)].append(pk)
    for day, pks in by_day.items():
        EnrollmentEvent.objects.filter(pk__in=pks).update(created_at=opened + datetime.timedelta(days=day, hours=2))


def test_the_admin_and_the_api_docs_on_demo_data(browser_page, live_server, screenshots):
    seed_demo(students=150, seed=16)
    term = Term.objects.current_or_next().first()
    spread_over_the_enrollment_window(term)
    page = browser_page
    log_in(page, live_server, User.objects.get(email=REGISTRAR_EMAIL))
    check = PageChecker(page, screenshots)
    course = Course.objects.filter(term=term).order_by("-waitlist_count").first()
    pages = [
        ("admin-home", reverse("admin:index")),
        ("admin-users", reverse("admin:accounts_user_changelist")),
        ("admin-user", reverse("admin:accounts_user_change", args=[User.objects.get(email=DEMO_STUDENT_EMAIL).pk])),
        ("admin-courses", reverse("admin:catalog_course_changelist")),
        ("admin-course", reverse("admin:catalog_course_change", args=[course.pk])),
        ("admin-enrollments", reverse("admin:enrollment_enrollment_changelist")),
        ("admin-enrollment", reverse("admin:enrollment_enrollment_change",
                                     args=[Enrollment.objects.filter(course=course).first().pk])),
        ("admin-terms", reverse("admin:catalog_term_changelist")),
        ("admin-term", reverse("admin:catalog_term_change", args=[term.pk])),
    ]
    for name, path in pages:
        page.goto(path)
        check.desktop(name)

    # The first view queued the term's figures: the task worker works them out.
    call_command("run_tasks", "--burst", stdout=io.StringIO())
    page.goto(reverse("admin:index"))
    assert page.get_by_role("heading", name=f"{term.name} at a glance").is_visible()
    assert page.get_by_role("img", name="Enrolled and waitlisted at the end of each day").is_visible()
    page.locator(".term-dashboard").screenshot(path=screenshots / "admin-dashboard.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshots / "admin-home-phone.png", full_page=True)

    page.goto("/api/docs/")
    page.get_by_text("/api/courses/").first.wait_for()
    check.desktop("api-docs")

    check.write_report()
    assert page.console_errors == []
