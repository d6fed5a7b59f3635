"""A throw-away embedded server for one test process."""

import atexit
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .credentials import credentials_for
from .launcher import start_server, uri_for, wait_for_server


@contextlib.contextmanager
def throwaway_server() -> Iterator[str]:
    """A server on a free port over a temporary file, with credentials of
    its own; yields its URI, and removes both at the end."""
    # /dev/shm keeps the SQLite file in memory where the machine has it.
    shm = Path("/dev/shm")
    directory = Path(tempfile.mkdtemp(prefix="registrar-test-", dir=shm if shm.is_dir() else None))
    data_path = directory / "test.sqlite3"
    credentials = credentials_for(data_path)
    process = start_server(data_path)
    try:
        state = wait_for_server(data_path, process)
        yield uri_for(state["host"], state["port"], credentials)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except Exception:
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)


def throwaway_server_uri() -> str:
    """The URI of a throw-away server that lives until this process exits."""
    stack = contextlib.ExitStack()
    atexit.register(stack.close)
    return stack.enter_context(throwaway_server())
