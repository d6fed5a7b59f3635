"""A throw-away embedded server for one test process."""

import atexit
import shutil
import tempfile
from pathlib import Path

from .launcher import start_server, uri_for, wait_for_server


def throwaway_server_uri() -> str:
    """Start a server on a free port over a temporary file; gone at exit."""
    # /dev/shm keeps the SQLite file in memory where the machine has it.
    shm = Path("/dev/shm")
    directory = Path(tempfile.mkdtemp(prefix="registrar-test-", dir=shm if shm.is_dir() else None))
    data_path = directory / "test.sqlite3"
    process = start_server(data_path)
    state = wait_for_server(data_path, process)

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except Exception:
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)

    atexit.register(stop)
    return uri_for(state["host"], state["port"])
