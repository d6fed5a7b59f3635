import csv
import io

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from catalog.models import Course, Term
from catalog.tests.factories import CourseFactory, TermFactory
from catalog.tests.test_admin import course_form
from enrollment import admin as enrollment_admin
from enrollment.models import Enrollment, EnrollmentEvent, Status
from enrollment.services import EnrollmentError, enrollment_create, enrollment_drop
from enrollment.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.usefixtures("db")

CHANGELIST = reverse("admin:enrollment_enrollment_changelist")
ADD = reverse("admin:enrollment_enrollment_add")


def act(client, action, enrollments, **data):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [e.pk for e in enrollments], **data})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def fetch(enrollment) -> Enrollment:
    return Enrollment.objects.get(pk=enrollment.pk)


def counters(course) -> tuple[int, int]:
    course.refresh_from_db()
    return course.enrolled_count, course.waitlist_count


def logged(enrollment) -> list[str]:
    return list(LogEntry.objects.filter(object_id=str(enrollment.pk)).values_list("change_message", flat=True))


def local(moment) -> str:
    return timezone.localtime(moment).isoformat()


def listed(response) -> list[str]:
    return [f"{e.student.email} {e.course.code}" for e in response.context["cl"].result_list]


def test_search_by_student_email_or_course_code_and_filter_by_term_status_grade(registrar_client, term, past_term):
    ada, bob = UserFactory(email="ada@example.edu"), UserFactory(email="bob@example.edu")
    old = CourseFactory(code="HIST100", term=past_term)
    EnrollmentFactory(student=ada, course=old, grade="A")
    EnrollmentFactory(student=bob, course=old, grade="B")
    EnrollmentFactory(student=ada, course=CourseFactory(code="CS101", term=term), status=Status.WAITLISTED)

    def search(**params):
        response = registrar_client.get(CHANGELIST, params)
        assert response.status_code == 200
        return sorted(listed(response))

    assert search(q="ada@") == ["ada@example.edu CS101", "ada@example.edu HIST100"]
    assert search(q="cs101") == ["ada@example.edu CS101"]
    assert search(**{"course__term__id__exact": past_term.pk}) == ["ada@example.edu HIST100", "bob@example.edu HIST100"]
    assert search(status__exact="waitlisted") == ["ada@example.edu CS101"]
    assert search(grade__exact="B") == ["bob@example.edu HIST100"]


def test_the_enrollment_list_costs_the_same_queries_for_few_or_many_rows(
    registrar_client, term, django_assert_max_num_queries
):
    def page():
        with django_assert_max_num_queries(7) as queries:
            assert registrar_client.get(CHANGELIST).status_code == 200
        return len(queries.captured_queries)

    EnrollmentFactory(course=CourseFactory(term=term))
    few = page()
    EnrollmentFactory.create_batch(4, course=CourseFactory(term=term))
    assert page() == few


def test_the_admin_lists_open_on_collections_larger_than_an_aggregation_may_hold(
    registrar_client, term, aggregation_budget
):
    """No list counts or sorts a whole collection in an aggregation: with the
    embedded server's budget (50,000 documents by default) lowered below the
    size of each collection, every list still opens, filtered or not."""
    for course in CourseFactory.create_batch(3, term=term):
        EnrollmentFactory.create_batch(4, course=course)
    aggregation_budget(5)
    for url in (
        CHANGELIST, f"{CHANGELIST}?status__exact=enrolled", f"{CHANGELIST}?course__term__id__exact={term.pk}",
        reverse("admin:accounts_user_changelist"), reverse("admin:catalog_course_changelist"),
    ):
        response = registrar_client.get(url)
        assert response.status_code == 200, url
    assert len(listed(registrar_client.get(f"{CHANGELIST}?course__term__id__exact={term.pk}"))) == 12


@pytest.mark.parametrize("model", [Enrollment, User, Course])
def test_no_large_list_aggregates_its_collection_for_the_sidebar_even_with_counts_asked(
    registrar_client, term, model
):
    """Django's facets ("Show counts") count the whole collection once more per page view."""
    EnrollmentFactory.create_batch(2, course=CourseFactory(term=term))
    table = model._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        response = registrar_client.get(reverse(f"admin:{table}_changelist"), {"_facets": "1"})
    assert response.status_code == 200
    assert not [q["sql"] for q in queries if q["sql"].startswith(f"db.{table}.") and "$group" in q["sql"]]


def test_adding_goes_through_enrollment_create_and_overbooks_only_when_asked(registrar_client, registrar, course):
    ada, bob, cy, dee = UserFactory.create_batch(4)
    search = {"app_label": "enrollment", "model_name": "enrollment", "field_name": "student", "term": cy.email}
    found = registrar_client.get(reverse("admin:autocomplete"), search).json()["results"]
    assert [student["id"] for student in found] == [str(cy.pk)]
    page = registrar_client.get(ADD).content.decode()
    assert "Override capacity" in page and 'name="_continue"' not in page  # its page is for reading only

    for student in (ada, bob, cy):
        assert registrar_client.post(ADD, {"student": student.pk, "course": course.pk}).status_code == 302
    registrar_client.post(ADD, {"student": dee.pk, "course": course.pk, "override_capacity": "on"})

    statuses = {e.student_id: e.status for e in Enrollment.objects.all()}
    assert statuses == {ada.pk: "enrolled", bob.pk: "enrolled", cy.pk: "waitlisted", dee.pk: "enrolled"}
    assert counters(course) == (3, 1)
    waitlisted = EnrollmentEvent.objects.get(enrollment__student=cy)
    assert (waitlisted.actor, waitlisted.via, waitlisted.to_status) == (registrar, "admin", "waitlisted")
    assert EnrollmentEvent.objects.get(enrollment__student=dee).note == "capacity override"
    assert logged(Enrollment.objects.get(student=cy)) == ["Added."]
    assert logged(Enrollment.objects.get(student=dee)) == ["Added with a capacity override."]


def test_an_ineligible_student_gets_every_reason_as_a_form_error_and_nothing_is_written(
    registrar_client, student, course
):
    course.prerequisites.add(CourseFactory(code="CS100", title="Basics", term=course.term))
    Term.objects.filter(pk=course.term_id).update(enrollment_closes_at=timezone.now())

    response = registrar_client.post(ADD, {"student": student.pk, "course": course.pk, "override_capacity": "on"})

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Enrollment for Fall 2026 is closed.",
        "CS101 requires CS100 (Basics) with a passing grade.",
    ]
    assert not Enrollment.objects.exists() and counters(course) == (0, 0)


def test_a_dropped_enrollment_is_added_again_on_its_own_document(registrar_client, registrar, student, course):
    dropped = enrollment_drop(enrollment=enrollment_create(student=student, course=course), actor=registrar)

    response = registrar_client.post(ADD, {"student": student.pk, "course": course.pk})

    assert response.status_code == 302
    assert fetch(dropped).status == Status.ENROLLED and Enrollment.objects.count() == 1
    assert logged(dropped) == ["Added."]


def test_a_refusal_after_the_forms_check_is_shown_and_nothing_is_written(
    registrar_client, student, course, monkeypatch
):
    def changed_meanwhile(**kwargs):
        raise EnrollmentError("CS101 is changing too fast to enroll you; try again.", code="try_again")

    monkeypatch.setattr(enrollment_admin, "enrollment_create", changed_meanwhile)

    response = registrar_client.post(ADD, {"student": student.pk, "course": course.pk})

    assert response.status_code == 302 and response["Location"] == ADD
    assert messages_of(response) == ["CS101 is changing too fast to enroll you; try again."]
    assert not Enrollment.objects.exists() and not LogEntry.objects.exists()


def test_set_grade_asks_for_the_grade_then_grades_the_enrolled_and_refuses_the_others(
    registrar_client, registrar, course
):
    graded, waiting = UserFactory.create_batch(2)
    Course.objects.filter(pk=course.pk).update(capacity=1)
    enrolled = enrollment_create(student=graded, course=course)
    waitlisted = enrollment_create(student=waiting, course=course)

    page = act(registrar_client, "set_grade", [enrolled, waitlisted])
    assert page.status_code == 200 and page.context["form"].fields["grade"]
    assert {enrollment.pk for enrollment, _reason in page.context["rows"]} == {enrolled.pk, waitlisted.pk}

    missing = act(registrar_client, "set_grade", [enrolled, waitlisted], confirmed="yes")
    assert missing.status_code == 200 and missing.context["form"].errors == {
        "grade": ["This field is required."], "reason": ["This field is required."],
    }

    done = act(registrar_client, "set_grade", [enrolled, waitlisted], confirmed="yes", grade="B+",
               reason="late coursework")
    assert done.status_code == 302
    assert (fetch(enrolled).grade, fetch(waitlisted).grade) == ("B+", "")
    assert messages_of(done) == [
        f"1 graded; 1 refused: {waitlisted}: Only an enrolled student can be graded; {waiting} is waitlisted."
    ]
    event = EnrollmentEvent.objects.get(enrollment=enrolled, to_grade="B+")
    assert (event.actor, event.via, event.from_grade, event.note) == (registrar, "admin", "", "late coursework")
    assert logged(enrolled) == ["Grade changed from none to B+: late coursework"]


def test_drop_frees_the_seat_and_asks_before_overriding_the_deadline(registrar_client, registrar, term, course):
    ada, bob, cy = UserFactory.create_batch(3)
    Course.objects.filter(pk=course.pk).update(capacity=1)
    in_time = enrollment_create(student=ada, course=course)
    waiting = enrollment_create(student=bob, course=course)
    late_course = CourseFactory(term=TermFactory(), code="CS102")
    late = enrollment_create(student=cy, course=late_course)
    Term.objects.filter(pk=late_course.term_id).update(drop_deadline=timezone.now())

    page = act(registrar_client, "drop", [in_time, late])

    assert page.status_code == 200
    assert messages_of(page) == ["1 dropped"]
    assert fetch(in_time).status == Status.DROPPED and fetch(waiting).status == Status.ENROLLED
    deadline_passed = f"The drop deadline for {late_course.term} has passed."
    assert [(enrollment.pk, reason) for enrollment, reason in page.context["rows"]] == [(late.pk, deadline_passed)]
    assert fetch(late).status == Status.ENROLLED

    confirmed = act(registrar_client, "drop", [late], confirmed="yes")

    assert confirmed.status_code == 302 and messages_of(confirmed) == ["1 dropped"]
    assert fetch(late).status == Status.DROPPED and counters(late_course) == (0, 0)
    event = EnrollmentEvent.objects.get(enrollment=late, to_status="dropped")
    assert (event.actor, event.via, event.note) == (registrar, "admin", "after the drop deadline")
    assert logged(in_time) == ["Dropped."] and logged(late) == ["Dropped after the drop deadline (override)."]


def test_promote_takes_free_seats_in_order_and_asks_before_overbooking(registrar_client, registrar, course):
    first, _second = (enrollment_create(student=s, course=course) for s in UserFactory.create_batch(2))
    waiting = [enrollment_create(student=s, course=course) for s in UserFactory.create_batch(2)]
    Course.objects.filter(pk=course.pk).update(capacity=3)

    page = act(registrar_client, "promote", [*reversed(waiting), first])

    assert messages_of(page) == [f"1 promoted; 1 refused: {first}: {first.student} is not on the waitlist for CS101."]
    assert fetch(waiting[0]).status == Status.ENROLLED
    assert [enrollment.pk for enrollment, _reason in page.context["rows"]] == [waiting[1].pk]

    act(registrar_client, "promote", [waiting[1]], confirmed="yes")

    assert fetch(waiting[1]).status == Status.ENROLLED and counters(course) == (4, 0)
    assert EnrollmentEvent.objects.get(enrollment=waiting[1], to_status="enrolled").note == "capacity override"
    assert logged(waiting[1]) == ["Promoted beyond capacity (override)."]


def test_export_writes_one_csv_row_per_selected_enrollment(registrar_client, term, past_term):
    ada = UserFactory(email="ada@example.edu", first_name="Ada", last_name="Lovelace", student_number=7)
    mallory = UserFactory(email="m@example.edu", first_name="=HYPERLINK(1)", last_name="X", student_number=8)
    graded = EnrollmentFactory(student=ada, course=CourseFactory(code="HIST100", term=past_term), grade="A-")
    waiting = enrollment_create(student=mallory, course=CourseFactory(code="CS101", term=term, capacity=0))
    EnrollmentFactory(course=CourseFactory(term=term))  # not selected

    response = act(registrar_client, "export_csv", [graded, waiting])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="enrollments-')
    header, *rows = csv.reader(io.StringIO(response.content.decode()))
    assert header == [
        "student_email", "student_number", "student_name", "course_code", "course_title", "term", "status", "grade",
        "waitlisted_at", "created_at", "updated_at",
    ]
    graded, waiting = fetch(graded), fetch(waiting)
    assert sorted(rows) == [
        ["ada@example.edu", "7", "Ada Lovelace", "HIST100", graded.course.title, "Spring 2026", "enrolled", "A-", "",
         local(graded.created_at), local(graded.updated_at)],
        ["m@example.edu", "8", "'=HYPERLINK(1) X", "CS101", waiting.course.title, "Fall 2026", "waitlisted", "",
         local(waiting.waitlisted_at), local(waiting.created_at), local(waiting.updated_at)],
    ]


def test_an_enrollment_page_is_read_only_and_an_active_one_cannot_be_deleted(registrar_client, student, course):
    enrollment = enrollment_create(student=student, course=course)
    change = reverse("admin:enrollment_enrollment_change", args=[enrollment.pk])
    page = registrar_client.get(change)
    assert page.status_code == 200 and page.context["title"] == "View enrollment"
    html = page.content.decode()
    assert 'name="grade"' not in html and "Student pages" in html  # the history: enrolled from the student pages
    assert registrar_client.post(change, {"grade": "A"}).status_code == 403

    delete = reverse("admin:enrollment_enrollment_delete", args=[enrollment.pk])
    refused = registrar_client.post(delete, {"post": "yes"})
    assert refused.status_code == 200 and f"{enrollment}: drop it first" in refused.content.decode()
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()

    act(registrar_client, "drop", [enrollment])
    assert registrar_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Enrollment.objects.filter(pk=enrollment.pk).exists() and counters(course) == (0, 0)


def test_raising_capacity_gives_the_new_seats_to_the_waitlist(registrar_client, registrar):
    course = CourseFactory(code="CS101", capacity=1)
    students = UserFactory.create_batch(3)
    for student in students:
        enrollment_create(student=student, course=course)
    change = reverse("admin:catalog_course_change", args=[course.pk])

    page = registrar_client.get(change)
    (enrollments,) = page.context["inline_admin_formsets"]
    assert len(list(enrollments)) == 3 and not enrollments.has_change_permission
    manage = f'{reverse("admin:enrollment_enrollment_changelist")}?course__id__exact={course.pk}'
    assert f'href="{manage}"' in page.content.decode()
    assert registrar_client.get(manage).context["cl"].result_count == 3
    response = registrar_client.post(change, course_form(course, capacity=2), follow=True)

    assert "1 student was promoted from the waitlist." in response.content.decode()
    course.refresh_from_db()
    assert (course.capacity, course.enrolled_count, course.waitlist_count) == (2, 2, 1)
    promoted = Enrollment.objects.get(student=students[1])
    assert promoted.status == Status.ENROLLED
    event = EnrollmentEvent.objects.get(enrollment=promoted, to_status="enrolled")
    assert (event.actor, event.via) == (registrar, "admin")
    assert LogEntry.objects.filter(object_id=str(promoted.pk)).exists()
    assert LogEntry.objects.get(object_id=str(course.pk)).get_change_message() == "Changed Capacity."


def test_a_students_page_summarises_their_enrollments_read_only(registrar_client):
    student = UserFactory()
    spring, fall = TermFactory(name="Spring"), TermFactory(name="Fall")
    EnrollmentFactory(student=student, grade="B+", course=CourseFactory(code="HIST100", term=spring))
    enrollment_create(student=student, course=CourseFactory(code="CS101", term=fall))

    page = registrar_client.get(reverse("admin:accounts_user_change", args=[student.pk]))

    _holds, enrollments = page.context["inline_admin_formsets"]
    assert not (enrollments.has_add_permission or enrollments.has_change_permission)
    shown = sorted((form.original.course.code, form.original.status, form.original.grade) for form in enrollments)
    assert shown == [("CS101", "enrolled", ""), ("HIST100", "enrolled", "B+")]
    html = " ".join(page.content.decode().split())
    assert '<td class="field-term"> <p>Spring</p> </td>' in html and '<td class="field-term"> <p>Fall</p> </td>' in html


def test_a_user_with_active_enrollments_is_deleted_only_once_they_are_dropped(registrar_client, registrar):
    student = UserFactory()
    course = CourseFactory(code="CS101")
    enrollment = enrollment_create(student=student, course=course)
    delete = reverse("admin:accounts_user_delete", args=[student.pk])

    refused = registrar_client.post(delete, {"post": "yes"})
    assert refused.status_code == 200 and "drop it first" in refused.content.decode()
    assert User.objects.filter(pk=student.pk).exists()

    enrollment_drop(enrollment=enrollment, actor=registrar)
    assert registrar_client.post(delete, {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=student.pk).exists()
    assert LogEntry.objects.get(object_id=str(student.pk)).is_deletion()
