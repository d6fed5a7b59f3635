"""Email that matters is never lost: queued by the request, delivered by a worker, once."""

import datetime
import io
import logging

import pytest
from django.core import mail
from django.core.mail import send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.tasks import TaskResultStatus, default_task_backend
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CourseFactory
from enrollment.services import enrollment_create
from enrollment.tests.test_locks import at_once
from taskqueue.models import QueuedTask
from taskqueue.worker import Worker

LOCMEM = {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}


class MailServerDown(BaseEmailBackend):
    """An outgoing mailer whose server refuses every connection."""

    attempts = 0

    def send_messages(self, email_messages):
        MailServerDown.attempts += 1
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.fixture
def mail_server_down(settings):
    """The app's mailers as in production (the test runner sends straight to mail.outbox), the server down."""
    MailServerDown.attempts = 0
    settings.MAILERS = {
        "default": {"BACKEND": "school.mail.QueuedEmailBackend"},
        "outgoing": {"BACKEND": f"{__name__}.MailServerDown"},
    }
    return settings


def later(seconds: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=seconds)


def test_a_promotion_email_outlives_a_mail_server_outage_and_is_sent_once(db, client, mail_server_down):
    course = CourseFactory(code="CS101", capacity=1)
    holder, waiting = UserFactory.create_batch(2)
    enrollment_create(student=holder, course=course)
    enrollment_create(student=waiting, course=course)
    client.force_login(holder)

    assert client.post("/courses/CS101/drop/").status_code == 302
    # The request only queued the email: it never talked to the mail server.
    assert MailServerDown.attempts == 0
    queued = QueuedTask.objects.get()
    assert (queued.status, queued.kwargs["message"]["to"]) == (TaskResultStatus.READY, [waiting.email])

    worker = Worker()
    worker.run_one()
    queued.refresh_from_db()
    assert MailServerDown.attempts == 1 and mail.outbox == []
    assert (queued.status, queued.attempts, len(queued.errors)) == (TaskResultStatus.READY, 1, 1)
    assert "ConnectionRefusedError" in queued.errors[0]["exception_class_path"]
    assert worker.run_one() is None  # waiting out its backoff
    assert later(25) < queued.run_after < later(35)

    mail_server_down.MAILERS = {**mail_server_down.MAILERS, "outgoing": LOCMEM}
    # Two workers go for it at the same instant once the backoff has passed.
    ran = at_once([lambda: Worker().run_one(now=later(60)), lambda: Worker().run_one(now=later(60))])

    assert sum(record is not None for record in ran) == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [([waiting.email], "You are enrolled in CS101")]
    result = default_task_backend.get_result(str(queued.pk))
    assert (result.status, result.attempts, len(result.errors)) == (TaskResultStatus.SUCCESSFUL, 2, 1)


def test_a_password_reset_email_is_queued_by_the_request_and_sent_by_the_worker(db, client, mail_server_down):
    student = UserFactory()
    mail_server_down.MAILERS = {**mail_server_down.MAILERS, "outgoing": LOCMEM}

    client.post("/accounts/password/reset/", {"email": student.email})

    assert mail.outbox == [] and QueuedTask.objects.count() == 1
    call_command("run_tasks", "--burst", stdout=io.StringIO())
    assert [m.to for m in mail.outbox] == [[student.email]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_a_task_whose_worker_died_runs_again_once_its_lease_is_over(db, mail_server_down):
    mail_server_down.MAILERS = {**mail_server_down.MAILERS, "outgoing": LOCMEM}
    send_mail("Hello", "Body", None, ["ada@example.edu"])
    dead = Worker()
    claimed = dead.claim(timezone.now())  # and then its process was killed

    assert Worker().run_one(now=later(60)) is None
    assert Worker().run_one(now=later(301)).attempts == 2
    assert len(mail.outbox) == 1
    # The dead worker's attempt cannot overwrite the one that replaced it.
    dead._finish(claimed, status=TaskResultStatus.FAILED)
    assert QueuedTask.objects.get().status == TaskResultStatus.SUCCESSFUL


def test_a_task_that_keeps_failing_is_given_up_and_logged(db, mail_server_down, caplog):
    backend = default_task_backend
    send_mail("Hello", "Body", None, ["ada@example.edu"])
    moment = timezone.now()
    with caplog.at_level(logging.WARNING, logger="taskqueue.worker"):
        for attempt in range(1, backend.max_attempts + 1):
            assert Worker().run_one(now=moment).attempts == attempt
            moment += backend.retry_after(attempt)

    queued = QueuedTask.objects.get()
    assert (queued.status, queued.attempts) == (TaskResultStatus.FAILED, backend.max_attempts)
    assert Worker().run_one(now=later(10**6)) is None
    assert f"gave up after {backend.max_attempts} attempts" in caplog.text
    assert "@" not in caplog.text  # never the message or its addresses


def test_the_backoff_doubles_up_to_its_ceiling():
    delays = [default_task_backend.retry_after(n).total_seconds() for n in (1, 2, 3, 10)]
    assert delays == [30, 60, 120, 3600]


def test_an_unknown_task_result_is_said_to_not_exist(db):
    for unknown in ("0" * 24, "not-an-id"):
        with pytest.raises(TaskResultDoesNotExist):
            default_task_backend.get_result(unknown)


def test_tasks_that_succeeded_are_deleted_after_a_day_failed_ones_are_kept(db, mail_server_down):
    mail_server_down.MAILERS = {**mail_server_down.MAILERS, "outgoing": LOCMEM}
    for address in ("ada@example.edu", "bob@example.edu"):
        send_mail("Hello", "a password-reset link", None, [address])
        Worker().run_one()
    QueuedTask.objects.filter(kwargs__message__to=["bob@example.edu"]).update(status=TaskResultStatus.FAILED)

    assert Worker().prune(now=later(3600)) == 0
    assert Worker().prune(now=later(86400 + 60)) == 1
    assert list(QueuedTask.objects.values_list("status", flat=True)) == [TaskResultStatus.FAILED]
