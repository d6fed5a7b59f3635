from django.db import models
from django.tasks import TaskResultStatus
from django.utils.translation import gettext_lazy as _


class QueuedTask(models.Model):
    """One enqueued task and what became of it: a ``django.tasks.TaskResult`` in a document.

    A worker claims it by one conditional update of ``status`` and
    ``attempts`` (taskqueue.worker), so two workers never run the same
    attempt; ``lease_until`` lets another worker run it again when the one
    running it died.
    """

    task_path = models.CharField(_("task"), max_length=300)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    backend = models.CharField(max_length=100)
    queue_name = models.CharField(_("queue"), max_length=100)
    priority = models.IntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskResultStatus.choices, default=TaskResultStatus.READY
    )
    # The earliest the next attempt may start: the enqueue time, the task's
    # run_after, or after a failure, the time its backoff ends.
    run_after = models.DateTimeField(_("run after"))
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    worker_ids = models.JSONField(default=list)
    # [{"exception_class_path": …, "traceback": …}], one per failed attempt.
    errors = models.JSONField(default=list)
    return_value = models.JSONField(null=True, blank=True)
    enqueued_at = models.DateTimeField(_("enqueued at"))
    started_at = models.DateTimeField(null=True, blank=True)
    last_attempted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("queued task")
        verbose_name_plural = _("queued tasks")
        indexes = [models.Index(fields=["status", "run_after"], name="queued_task_due")]

    def __str__(self):
        return f"{self.task_path} ({self.status}, {self.attempts} attempt{'s' if self.attempts != 1 else ''})"
