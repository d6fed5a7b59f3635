from django.apps import AppConfig


class TaskQueueConfig(AppConfig):
    """Django's tasks (``django.tasks``) kept in MongoDB and run by ``manage.py run_tasks``."""

    name = "taskqueue"
    verbose_name = "Task queue"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
