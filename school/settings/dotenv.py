"""A developer's ``.env`` file, for development only.

The development and test settings call :func:`read_dot_env` before the
shared settings read the environment; production settings never do, so a
``.env`` left on a server changes nothing there. ``bin/run`` reads it
through ``python -m school.settings.dotenv`` to see what the settings see.
"""

import os
import shlex
from pathlib import Path

import environ

DOT_ENV = Path(__file__).resolve().parents[2] / ".env"


def read_dot_env() -> None:
    """Add .env's variables to the environment; a variable already set wins."""
    if DOT_ENV.is_file():
        environ.Env.read_env(DOT_ENV)


if __name__ == "__main__":
    # For a shell's eval: export what .env adds.
    before = dict(os.environ)
    read_dot_env()
    for name, value in os.environ.items():
        if name not in before:
            print(f"export {name}={shlex.quote(value)}")
