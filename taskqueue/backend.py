"""A ``django.tasks`` backend that keeps tasks in the project's MongoDB.

``enqueue`` writes one document (``QueuedTask``); ``manage.py run_tasks``
runs them (taskqueue.worker). A failed attempt is tried again after an
exponential backoff, up to MAX_ATTEMPTS; a task that runs may therefore run
more than once, and must not mind (sending an email twice is the worst an
email task does, and only when a worker dies between sending and saying so).

OPTIONS: MAX_ATTEMPTS (10), RETRY_DELAY (seconds before the second attempt,
doubling after each failure: 30), MAX_RETRY_DELAY (3600), LEASE (seconds a
worker may take over one attempt before another may start it again: 300),
KEEP_SUCCESSFUL (seconds a task that succeeded is kept before the worker
deletes it: 86400; an email's task holds its text, password-reset links
included). Failed tasks are kept for someone to look at.
"""

import datetime

from bson import ObjectId
from django.tasks import TaskResult
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import TaskError
from django.tasks.exceptions import TaskResultDoesNotExist
from django.tasks.signals import task_enqueued
from django.utils import timezone
from django.utils.json import normalize_json
from django.utils.module_loading import import_string

from .models import QueuedTask


class MongoTaskBackend(BaseTaskBackend):
    supports_defer = True
    supports_get_result = True
    supports_priority = True

    def __init__(self, alias, params):
        super().__init__(alias, params)
        self.max_attempts = int(self.options.get("MAX_ATTEMPTS", 10))
        self.retry_delay = float(self.options.get("RETRY_DELAY", 30))
        self.max_retry_delay = float(self.options.get("MAX_RETRY_DELAY", 3600))
        self.lease = datetime.timedelta(seconds=float(self.options.get("LEASE", 300)))
        self.keep_successful = datetime.timedelta(seconds=float(self.options.get("KEEP_SUCCESSFUL", 86400)))

    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        now = timezone.now()
        record = QueuedTask.objects.create(
            task_path=task.module_path, args=normalize_json(args), kwargs=normalize_json(kwargs),
            backend=self.alias, queue_name=task.queue_name, priority=task.priority,
            run_after=task.run_after or now, enqueued_at=now,
        )
        result = self.result_of(record)
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id):
        if not ObjectId.is_valid(result_id):
            raise TaskResultDoesNotExist(result_id)
        try:
            return self.result_of(QueuedTask.objects.get(pk=result_id, backend=self.alias))
        except QueuedTask.DoesNotExist:
            raise TaskResultDoesNotExist(result_id) from None

    def retry_after(self, attempts: int) -> datetime.timedelta:
        """How long to wait after the attempts-th failure."""
        return datetime.timedelta(seconds=min(self.retry_delay * 2 ** (attempts - 1), self.max_retry_delay))

    def result_of(self, record: QueuedTask) -> TaskResult:
        result = TaskResult(
            task=import_string(record.task_path),
            id=str(record.pk),
            status=record.status,
            enqueued_at=record.enqueued_at,
            started_at=record.started_at,
            finished_at=record.finished_at,
            last_attempted_at=record.last_attempted_at,
            args=record.args,
            kwargs=record.kwargs,
            backend=record.backend,
            errors=[TaskError(**error) for error in record.errors],
            worker_ids=list(record.worker_ids),
        )
        object.__setattr__(result, "_return_value", record.return_value)
        return result
