"""Where a server keeps its lock, state and log beside its data file."""

from pathlib import Path

ALREADY_RUNNING_EXIT_CODE = 3


def lock_path(data_path: Path) -> Path:
    return data_path.with_name(data_path.name + ".lock")


def state_path(data_path: Path) -> Path:
    return data_path.with_name(data_path.name + ".json")


def log_path(data_path: Path) -> Path:
    return data_path.with_name(data_path.name + ".log")


def port_path(data_path: Path) -> Path:
    return data_path.with_name(data_path.name + ".port")
