import datetime
import io
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from catalog.selectors import term_in_enrollment, term_options
from catalog.tests.factories import CourseFactory, TermFactory
from enrollment import dashboard
from enrollment.dashboard import Department, cache_key, cached_term_dashboard, refresh_term_dashboard, term_dashboard
from enrollment.holds import hold_lift, hold_place
from enrollment.models import EnrollmentEvent, Status, Via
from enrollment.tests.factories import EnrollmentFactory, HoldKindFactory
from taskqueue.models import QueuedTask

pytestmark = pytest.mark.usefixtures("db")

TASK_PATH = refresh_term_dashboard.module_path

INDEX = reverse("admin:index")
USERS = reverse("admin:accounts_user_changelist")


def opened_days_ago(days: int, slug: str = "fall-2026"):
    now = timezone.now()
    return TermFactory(
        name=slug.replace("-", " ").title(), slug=slug,
        enrollment_opens_at=now - datetime.timedelta(days=days), enrollment_closes_at=now + datetime.timedelta(days=10),
    )


def enrollment(student, course, status, *, days_ago: int, then: tuple[str, int] | None = None):
    """An enrollment with its history: joined days_ago in status, then (status, days ago) if given."""
    row = EnrollmentFactory(student=student, course=course, status=(then or (status,))[0])
    events = [("", status, days_ago)] + ([(status, then[0], then[1])] if then else [])
    for before, after, ago in events:
        event = EnrollmentEvent.objects.create(enrollment=row, from_status=before, to_status=after, via=Via.PAGE)
        EnrollmentEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - datetime.timedelta(days=ago))
    return row


def option(term):
    return next(o for o in term_options() if o.slug == term.slug)


def run_tasks() -> None:
    """What the task worker (manage.py run_tasks) does meanwhile: the figures the views queued."""
    call_command("run_tasks", "--burst", stdout=io.StringIO())


def admin_home(client, **params) -> str:
    """The admin home once the worker has worked out the figures its first view queued."""
    client.get(INDEX, params)
    run_tasks()
    return client.get(INDEX, params).content.decode()


def test_the_dashboard_aggregates_the_term_and_nothing_else(settings):
    settings.REGISTRAR_CREDIT_LIMIT = 6
    term, other = opened_days_ago(3), opened_days_ago(3, slug="spring-2027")
    cs101 = CourseFactory(code="CS101", term=term, capacity=10, enrolled_count=2, credits=4)
    cs102 = CourseFactory(code="CS102-SP", term=term, capacity=4, enrolled_count=4, waitlist_count=3, credits=4)
    math = CourseFactory(code="MATH201", term=term, capacity=20, enrolled_count=10, waitlist_count=1)
    CourseFactory(code="ART100", term=term, capacity=0, waitlist_count=2)  # waitlist only: never "under 25%"
    CourseFactory(code="CS999", term=other, capacity=100, waitlist_count=50)
    ada, bob, cy = UserFactory(), UserFactory(), UserFactory()
    enrollment(ada, cs101, Status.ENROLLED, days_ago=3)
    enrollment(ada, cs102, Status.WAITLISTED, days_ago=2)  # 8 credits: over 6
    enrollment(bob, cs101, Status.ENROLLED, days_ago=3, then=(Status.DROPPED, 1))
    enrollment(bob, math, Status.ENROLLED, days_ago=1)
    enrollment(cy, cs102, Status.WAITLISTED, days_ago=0, then=(Status.ENROLLED, 0))
    enrollment(cy, CourseFactory(term=other, credits=10), Status.ENROLLED, days_ago=0)  # over, in another term

    dashboard = term_dashboard(term=option(term))

    departments = [(d.code, d.courses, d.enrolled, d.capacity, d.waitlisted, d.underfilled)
                   for d in dashboard.departments]
    assert departments == [
        ("ART", 1, 0, 0, 2, 0), ("CS", 2, 6, 14, 3, 1), ("MATH", 1, 10, 20, 1, 0),
    ]
    assert dashboard.departments[1].fill_rate == pytest.approx(6 / 14)
    assert [c.code for c in dashboard.longest_waitlists] == ["CS102-SP", "ART100", "MATH201"]
    assert [c.code for c in dashboard.underfilled] == ["CS101"]
    assert dashboard.total == Department("", 4, 16, 34, 6, 1)
    assert dashboard.over_credit_limit == 1
    today = timezone.localdate()
    assert [(d.day, d.enrolled, d.waitlisted, d.new_enrolled, d.new_waitlisted) for d in dashboard.days] == [
        (today - datetime.timedelta(days=3), 2, 0, 2, 0),
        (today - datetime.timedelta(days=2), 2, 1, 0, 1),
        (today - datetime.timedelta(days=1), 2, 1, 1, 0),  # bob dropped CS101 and took MATH201
        (today, 3, 1, 1, 1),  # cy joined the waitlist and was promoted
    ]


def test_the_dashboard_costs_the_same_few_queries_for_a_small_or_a_large_term(django_assert_max_num_queries):
    term = opened_days_ago(5)
    term_options()  # the cached term list, as on every page after the first

    def queries() -> int:
        with django_assert_max_num_queries(8) as captured:
            term_dashboard(term=option(term))
        return len(captured.captured_queries)

    course = CourseFactory(term=term)
    enrollment(UserFactory(), course, Status.ENROLLED, days_ago=2)
    few = queries()
    for n in range(12):
        more = CourseFactory(code=f"D{'ABCDEFGHIJKL'[n]}{100 + n}", term=term, capacity=3, waitlist_count=n)
        enrollment(UserFactory(), more, Status.ENROLLED, days_ago=n % 5)
    assert queries() == few


def test_a_term_whose_enrollment_has_not_opened_has_no_curve_yet():
    now = timezone.now()
    term = TermFactory(slug="later", enrollment_opens_at=now + datetime.timedelta(days=3),
                       enrollment_closes_at=now + datetime.timedelta(days=9))
    assert term_dashboard(term=option(term)).days == []


def test_registrars_and_superusers_see_the_term_at_a_glance_on_the_admin_home(client, registrar_client):
    term = opened_days_ago(2)
    past = TermFactory(
        name="Spring 2026", slug="spring-2026", enrollment_opens_at=timezone.now() - datetime.timedelta(days=300),
        enrollment_closes_at=timezone.now() - datetime.timedelta(days=250),
    )
    course = CourseFactory(code="CS101", title="Programming", term=term, capacity=2, enrolled_count=2, waitlist_count=4)
    CourseFactory(code="HIST101", term=past, capacity=40, enrolled_count=1)
    assert term_in_enrollment().slug == term.slug

    html = admin_home(registrar_client)
    assert "Fall 2026 at a glance" in html
    assert f'<a href="{reverse("admin:catalog_course_change", args=[course.pk])}">CS101</a> Programming' in html
    assert f'href="{USERS}?over_credit_limit=fall-2026"' in html
    assert html.count('role="img"') == 2  # the two charts, each with its numbers as a table
    assert '<option value="spring-2026">Spring 2026</option>' in html

    chosen = admin_home(registrar_client, term="spring-2026")
    assert "Spring 2026 at a glance" in chosen and ">HIST101</a>" in chosen

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert "Fall 2026 at a glance" in client.get(INDEX).content.decode()


def test_other_staff_see_no_dashboard(client):
    opened_days_ago(2)
    clerk = StaffFactory()
    clerk.user_permissions.add(Permission.objects.get(codename="view_course"))
    client.force_login(clerk)
    response = client.get(INDEX)
    assert response.status_code == 200
    assert "at a glance" not in response.content.decode()


def test_the_admin_home_costs_the_same_queries_for_a_small_or_a_large_school(
    registrar_client, django_assert_max_num_queries
):
    term = opened_days_ago(4)
    admin_home(registrar_client)  # the cached session and term list, and the first figures

    def queries() -> int:
        with django_assert_max_num_queries(12) as captured:
            assert registrar_client.get(INDEX).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(10):
        enrollment(UserFactory(), CourseFactory(term=term, waitlist_count=n), Status.ENROLLED, days_ago=n % 4)
    cache.clear()  # a minute later: the next view queues new figures
    admin_home(registrar_client)
    assert "Figures as of" in registrar_client.get(INDEX).content.decode()
    assert queries() == few


def test_the_credit_limit_link_lists_the_students_over_it_in_that_term(registrar_client, settings):
    settings.REGISTRAR_CREDIT_LIMIT = 6
    term, other = opened_days_ago(2), opened_days_ago(2, slug="spring-2027")
    heavy, light = UserFactory(email="heavy@example.edu"), UserFactory(email="light@example.edu")
    for code in ("CS101", "CS102"):
        EnrollmentFactory(student=heavy, course=CourseFactory(code=code, term=term, credits=4))
    EnrollmentFactory(student=light, course=CourseFactory(code="CS103", term=term, credits=4))
    EnrollmentFactory(student=light, course=CourseFactory(code="CS104", term=term, credits=4), status=Status.DROPPED)
    EnrollmentFactory(student=light, course=CourseFactory(code="CS105", term=other, credits=4))

    def listed(**params) -> list[str]:
        response = registrar_client.get(USERS, params)
        assert response.status_code == 200
        return sorted(user.email for user in response.context["cl"].result_list)

    assert listed(over_credit_limit="fall-2026") == ["heavy@example.edu"]
    assert listed(over_credit_limit="spring-2027") == []
    assert "over the credit limit in" in registrar_client.get(USERS).content.decode()


def test_the_hold_figure_counts_students_with_an_active_hold_and_links_to_them(registrar_client, registrar):
    term = opened_days_ago(2)
    bursar, advising = HoldKindFactory(code="bursar"), HoldKindFactory(code="advising")
    owing, cleared = UserFactory(email="owing@example.edu"), UserFactory(email="cleared@example.edu")
    UserFactory(email="free@example.edu")
    for kind in (bursar, advising):  # two holds, one student
        hold_place(student=owing, kind=kind, reason="Unpaid.", actor=registrar, via=Via.ADMIN)
    lifted, _created = hold_place(student=cleared, kind=bursar, reason="Unpaid.", actor=registrar, via=Via.ADMIN)
    hold_lift(hold=lifted, actor=registrar)

    assert term_dashboard(term=option(term)).with_active_holds == 1
    home = admin_home(registrar_client)
    assert f'href="{USERS}?active_hold=yes">1<' in home
    listed = registrar_client.get(USERS, {"active_hold": "yes"}).context["cl"].result_list
    assert [user.email for user in listed] == ["owing@example.edu"]


def headings(html: str) -> list[str]:
    return re.findall(r'<caption>\s*<a href="[^"]*" class="section">([^<]+)</a>', html)


def test_the_admin_home_groups_models_under_people_catalog_and_enrollment(client, registrar_client):
    html = registrar_client.get(INDEX).content.decode()
    assert headings(html) == ["People", "Catalog", "Enrollment"]

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(INDEX)
    assert headings(response.content.decode()) == ["People", "Catalog", "Enrollment"]
    sections = {app["name"]: [model["object_name"] for model in app["models"]] for app in response.context["app_list"]}
    assert sections == {
        "People": ["User", "Hold", "HoldKind", "ApiToken", "EmailAddress", "EmailConfirmation", "Group"],
        "Catalog": ["Term", "Course"],
        "Enrollment": ["Enrollment", "GradeSheet", "Permit"],
    }
    people = client.get(reverse("admin:app_list", kwargs={"app_label": "accounts"}))
    assert [app["name"] for app in people.context["app_list"]] == ["People"]
    assert client.get(reverse("admin:app_list", kwargs={"app_label": "account"})).status_code == 200


def test_views_queue_one_working_out_and_show_the_last_figures_meanwhile(
    registrar_client, django_assert_num_queries
):
    term = opened_days_ago(5)
    course = CourseFactory(term=term)
    enrollment(UserFactory(), course, Status.ENROLLED, days_ago=1)
    shown = option(term)
    assert cached_term_dashboard(term=shown) is None  # none yet: the view queued them
    run_tasks()
    assert cached_term_dashboard(term=shown).days[-1].enrolled == 1
    enrollment(UserFactory(), course, Status.ENROLLED, days_ago=0)

    cache.delete(cache_key(shown))  # a minute later
    assert cached_term_dashboard(term=shown).days[-1].enrolled == 1  # the last figures, while new ones are queued
    with django_assert_num_queries(0):  # the other views neither queue again nor aggregate
        for _ in range(3):
            assert cached_term_dashboard(term=shown).days[-1].enrolled == 1
    assert QueuedTask.objects.filter(task_path=TASK_PATH, status=TaskResultStatus.READY).count() == 1

    run_tasks()
    assert cached_term_dashboard(term=shown).days[-1].enrolled == 2


def test_a_view_never_works_the_figures_out_itself(registrar_client, django_assert_max_num_queries):
    term = opened_days_ago(5)
    for n in range(5):
        enrollment(UserFactory(), CourseFactory(term=term), Status.ENROLLED, days_ago=n)
    with django_assert_max_num_queries(6) as captured:
        html = registrar_client.get(INDEX).content.decode()
    assert "The figures are being worked out: reload this page in a minute." in html
    assert "Enrolled" not in html
    assert not [query for query in captured.captured_queries if "enrollment_enrollmentevent" in query["sql"]]

    run_tasks()
    html = registrar_client.get(INDEX).content.decode()
    assert "Fall 2026 at a glance" in html and "Figures as of" in html


def test_a_working_out_left_by_a_dead_worker_is_queued_again_later(registrar_client):
    term = opened_days_ago(5)
    registrar_client.get(INDEX)
    QueuedTask.objects.all().delete()  # the worker died with it
    registrar_client.get(INDEX)
    assert not QueuedTask.objects.exists()  # still counted as queued, for a while
    cache.delete(f"{cache_key(option(term))}:queued")  # QUEUED_SECONDS later
    registrar_client.get(INDEX)
    run_tasks()
    assert "Figures as of" in registrar_client.get(INDEX).content.decode()


def test_the_working_out_of_a_term_deleted_meanwhile_does_nothing(registrar_client):
    term = opened_days_ago(5)
    shown = option(term)
    registrar_client.get(INDEX)
    term.delete()
    run_tasks()
    assert QueuedTask.objects.get(task_path=TASK_PATH).status == TaskResultStatus.SUCCESSFUL
    assert cache.get(f"{cache_key(shown)}:last") is None


def test_figures_slow_to_work_out_are_renewed_less_often_and_the_page_says_so(registrar_client, monkeypatch):
    opened_days_ago(5)
    html = admin_home(registrar_client)
    assert "renewed every minute." in html
    cache.clear()
    registrar_client.get(INDEX)
    clock = iter([0.0, 90.0])  # a working-out that took a minute and a half
    monkeypatch.setattr(dashboard, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    run_tasks()
    # Ten times as long as it took: the dashboard takes at most a tenth of the database's time.
    assert "renewed every 15 minutes." in registrar_client.get(INDEX).content.decode()
