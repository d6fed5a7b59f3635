import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, InvalidTaskBackend

from taskqueue.worker import Worker

# Seconds between two clean-ups of old successful tasks, done while idle.
PRUNE_EVERY = 600


class Command(BaseCommand):
    help = (
        "Run queued tasks (emails among them) as they fall due, retrying failures with backoff. "
        "Run one or more next to the web processes (the Procfile's worker). TERM or Ctrl-C stops it "
        "after the task it is running."
    )

    def add_arguments(self, parser):
        parser.add_argument("--backend", default=DEFAULT_TASK_BACKEND_ALIAS, help="a TASKS alias (default: default)")
        parser.add_argument("--queue", action="append", dest="queues", help="a queue to run (repeatable; default: all)")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds to wait when no task is due")
        parser.add_argument("--burst", action="store_true", help="run the tasks that are due, then stop")

    def handle(self, *args, backend, queues, interval, burst, **options):
        try:
            worker = Worker(backend=backend, queues=queues)
        except (TypeError, InvalidTaskBackend) as error:
            raise CommandError(str(error)) from None
        stopping = []
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, lambda *_: stopping.append(True))
        self.stdout.write(f"worker {worker.worker_id}: running {', '.join(worker.queues)}")
        ran, pruned_at = 0, -PRUNE_EVERY
        while not stopping:
            if worker.run_one() is not None:
                ran += 1
                continue
            if time.monotonic() - pruned_at >= PRUNE_EVERY:
                worker.prune()
                pruned_at = time.monotonic()
            if burst:
                break
            close_old_connections()
            time.sleep(interval)
        self.stdout.write(f"worker {worker.worker_id}: stopped after {ran} task(s)")
