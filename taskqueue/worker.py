"""Run queued tasks: claim one by a conditional update, run it, record the outcome.

Claiming is one conditional update of the task's document on the state the
worker read (``status`` and ``attempts``): when two workers go for the same
task, the database lets one of them have it, so an attempt runs once. A
running task whose lease has passed (its worker died) can be claimed again,
as its next attempt. Every outcome is written on the same condition, so a
worker that lost its lease cannot overwrite the attempt that replaced it.
"""

import logging
import os
import socket
import traceback

from django.db.models import Q
from django.tasks import TaskContext, TaskResultStatus, task_backends
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.json import normalize_json
from django.utils.module_loading import import_string

from .backend import MongoTaskBackend
from .models import QueuedTask

logger = logging.getLogger(__name__)

# Candidates read per claim: enough that a worker losing one race still finds work.
CANDIDATES = 5


class Worker:
    def __init__(self, *, backend: str = "default", queues: list[str] | None = None):
        self.backend = task_backends[backend]
        if not isinstance(self.backend, MongoTaskBackend):
            raise TypeError(f"the {backend!r} task backend is not a {MongoTaskBackend.__name__}")
        self.queues = queues or sorted(self.backend.queues)
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{get_random_string(6)}"[:64]

    def run_one(self, now=None) -> QueuedTask | None:
        """Run the next task that is due, if any; the task as it ended."""
        record = self.claim(now or timezone.now())
        if record is not None:
            self._run(record)
        return record

    def prune(self, now=None) -> int:
        """Delete the tasks that succeeded longer ago than the backend keeps them; how many."""
        cutoff = (now or timezone.now()) - self.backend.keep_successful
        old = QueuedTask.objects.filter(
            backend=self.backend.alias, status=TaskResultStatus.SUCCESSFUL, finished_at__lt=cutoff
        )
        return old.delete()[0]

    def claim(self, now) -> QueuedTask | None:
        due = QueuedTask.objects.filter(backend=self.backend.alias, queue_name__in=self.queues).filter(
            Q(status=TaskResultStatus.READY, run_after__lte=now)
            | Q(status=TaskResultStatus.RUNNING, lease_until__lt=now)
        )
        for record in due.order_by("-priority", "run_after", "pk")[:CANDIDATES]:
            changes = {
                "status": TaskResultStatus.RUNNING,
                "attempts": record.attempts + 1,
                "lease_until": now + self.backend.lease,
                "started_at": record.started_at or now,
                "last_attempted_at": now,
                "worker_ids": [*record.worker_ids, self.worker_id],
            }
            seen = QueuedTask.objects.filter(pk=record.pk, status=record.status, attempts=record.attempts)
            if seen.update(**changes):
                for name, value in changes.items():
                    setattr(record, name, value)
                return record
        return None

    def _run(self, record: QueuedTask) -> None:
        try:
            task = import_string(record.task_path)
            result = self.backend.result_of(record)
            task_started.send(type(self.backend), task_result=result)
            if task.takes_context:
                value = task.call(TaskContext(task_result=result), *record.args, **record.kwargs)
            else:
                value = task.call(*record.args, **record.kwargs)
            self._finish(record, status=TaskResultStatus.SUCCESSFUL, return_value=normalize_json(value))
        except Exception as error:
            self._failed(record, error)

    def _failed(self, record: QueuedTask, error: Exception) -> None:
        errors = [*record.errors, {
            "exception_class_path": f"{type(error).__module__}.{type(error).__qualname__}",
            "traceback": "".join(traceback.format_exception(error)),
        }]
        if record.attempts < self.backend.max_attempts:
            delay = self.backend.retry_after(record.attempts)
            logger.warning(
                "task %s %s failed (attempt %d of %d, %s); next attempt in %d s",
                record.pk, record.task_path, record.attempts, self.backend.max_attempts, type(error).__name__,
                delay.total_seconds(),
            )
            # Counted from the attempt's start, the time the claim was made on.
            self._finish(record, status=TaskResultStatus.READY, errors=errors,
                         run_after=record.last_attempted_at + delay, finished=False)
        else:
            logger.error(
                "task %s %s gave up after %d attempts (%s)",
                record.pk, record.task_path, record.attempts, type(error).__name__,
            )
            self._finish(record, status=TaskResultStatus.FAILED, errors=errors)

    def _finish(self, record: QueuedTask, *, status: str, finished: bool = True, **changes) -> None:
        if finished:
            changes["finished_at"] = timezone.now()
        mine = QueuedTask.objects.filter(pk=record.pk, status=TaskResultStatus.RUNNING, attempts=record.attempts)
        if not mine.update(status=status, lease_until=None, **changes):
            logger.warning("task %s: attempt %d outlived its lease; its outcome is not recorded",
                           record.pk, record.attempts)
            return
        for name, value in {"status": status, "lease_until": None, **changes}.items():
            setattr(record, name, value)
        if finished:
            task_finished.send(type(self.backend), task_result=self.backend.result_of(record))
