"""``python -m embedded_mongodb serve|start|stop --path FILE``."""

import argparse
import asyncio
import sys
from pathlib import Path

from . import launcher
from .files import ALREADY_RUNNING_EXIT_CODE, private_directory


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m embedded_mongodb")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="serve one data file over the MongoDB wire protocol (foreground)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", default=0, type=int, help="0 picks a free port")
    run.add_argument(
        "--idle-timeout",
        type=float,
        default=None,
        help="exit after this many seconds without a client (default: never)",
    )
    start = sub.add_parser("start", help="start a background server unless one serves the file; print its URI")
    stop = sub.add_parser("stop", help="stop the background server of the file")
    for command in (run, start, stop):
        command.add_argument("--path", required=True, type=Path, help="SQLite data file")
    args = parser.parse_args(argv)
    data_path = args.path.resolve()
    private_directory(data_path.parent)
    if args.command == "start":
        was_running = launcher.running_server(data_path) is not None
        print(launcher.ensure_server(data_path, idle_timeout=None))
        return ALREADY_RUNNING_EXIT_CODE if was_running else 0
    if args.command == "stop":
        return 0 if launcher.stop_server(data_path) else 1
    # Imported here: mongoeco is needed only in the server process.
    from .server import acquire_lock, serve

    lock = acquire_lock(data_path)
    if lock is None:
        print(f"another embedded MongoDB server already serves {data_path}", file=sys.stderr)
        return ALREADY_RUNNING_EXIT_CODE
    try:
        asyncio.run(serve(data_path, args.host, args.port, args.idle_timeout))
    finally:
        lock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
