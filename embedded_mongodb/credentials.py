"""The user and password a data file's server requires.

Made on the first start for a data file and kept beside it, 0600, so that
only the checkout's owner can read them; every client in the checkout (the
app's settings, commands, tests, benchmarks) reads them from there. A server
on another port, or another program that took this one, does not know them,
and SCRAM-SHA-256 lets neither side pretend: the client refuses a server
that cannot prove it knows the password too.
"""

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .files import credentials_path, open_private

USER = "registrar"


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    def userinfo(self) -> str:
        return f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"


def credentials_for(data_path: Path) -> Credentials:
    """The data file's credentials, made on first use."""
    path = credentials_path(data_path)
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    made = Credentials(USER, secrets.token_urlsafe(32))
    temporary = path.with_name(f"{path.name}.{os.getpid()}.new")
    with os.fdopen(open_private(temporary, os.O_WRONLY | os.O_TRUNC), "w") as handle:
        json.dump({"user": made.user, "password": made.password}, handle)
    try:
        # link() fails when the file exists: of two first starts, one wins
        # and both use its credentials.
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return _read(path)


def _read(path: Path) -> Credentials:
    stored = json.loads(path.read_text())
    return Credentials(stored["user"], stored["password"])
