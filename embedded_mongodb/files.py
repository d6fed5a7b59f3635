"""The files a server keeps beside its data file, readable by their owner only.

A data file holds password hashes and session keys, and its credentials file
the server's password: none of them is for other local users. Every file
here is created 0600 (and set so if an older version left it readable), and
a directory this package creates is 0700.
"""

import contextlib
import os
from pathlib import Path

ALREADY_RUNNING_EXIT_CODE = 3
PRIVATE_FILE = 0o600
PRIVATE_DIRECTORY = 0o700


def _beside(data_path: Path, suffix: str) -> Path:
    return data_path.with_name(data_path.name + suffix)


def lock_path(data_path: Path) -> Path:
    return _beside(data_path, ".lock")


def start_lock_path(data_path: Path) -> Path:
    return _beside(data_path, ".start")


def state_path(data_path: Path) -> Path:
    return _beside(data_path, ".json")


def log_path(data_path: Path) -> Path:
    return _beside(data_path, ".log")


def port_path(data_path: Path) -> Path:
    return _beside(data_path, ".port")


def credentials_path(data_path: Path) -> Path:
    return _beside(data_path, ".credentials")


def server_files(data_path: Path) -> list[Path]:
    """The data file, SQLite's companions and every file kept beside them."""
    return [
        data_path, _beside(data_path, "-wal"), _beside(data_path, "-shm"), lock_path(data_path),
        start_lock_path(data_path), state_path(data_path), log_path(data_path), port_path(data_path),
        credentials_path(data_path),
    ]


def private_directory(path: Path) -> None:
    """Create path (0700) if missing; an existing directory keeps its mode."""
    path.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)


def make_private(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path, PRIVATE_FILE)


def open_private(path: Path, flags: int) -> int:
    """os.open() that creates path 0600 (the server makes older files so when it starts)."""
    return os.open(path, flags | os.O_CREAT, PRIVATE_FILE)


def write_private(path: Path, text: str) -> None:
    """Replace path's content atomically: a reader never sees half of it."""
    temporary = _beside(path, f".{os.getpid()}.tmp")
    with os.fdopen(open_private(temporary, os.O_WRONLY | os.O_TRUNC), "w") as handle:
        handle.write(text)
    temporary.replace(path)
