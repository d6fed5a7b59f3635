"""The benchmark's seeded schools, kept in ``bench/.data/`` (ignored by git) and reused.

A school is seeded once per recipe: the scale, ``bench/school.py`` and the
migrations of the apps (whatever changes the documents or the indexes). Its
data file is named by the recipe's hash, so a changed recipe seeds a new one
and an unchanged one is copied as it is into each run's temporary directory
(the run writes to its copy, never to the kept file).
"""

import contextlib
import hashlib
import json
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from stack import ROOT, embedded_database, manage, production_env, release, run_script

DATA = ROOT / "bench" / ".data"
RECIPE_FILES = ["bench/school.py", "*/migrations/*.py", "school/mongo_migrations/*/*.py"]


def recipe_hash(scale: str) -> str:
    digest = hashlib.sha256(scale.encode())
    for pattern in RECIPE_FILES:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def seeded_school(scale: str) -> tuple[Path, dict]:
    """(data file, what bench/school.py said about it) for the scale, seeded now if no kept file matches."""
    name = f"{scale}-{recipe_hash(scale)}"
    data_path, about_path = DATA / f"{name}.sqlite3", DATA / f"{name}.json"
    if data_path.exists() and about_path.exists():
        return data_path, json.loads(about_path.read_text())
    DATA.mkdir(parents=True, exist_ok=True)
    for stale in DATA.glob(f"{scale}-*"):
        stale.unlink()
    with tempfile.TemporaryDirectory(prefix="registrar-seed-", dir=DATA) as directory:
        directory = Path(directory)
        began = time.perf_counter()
        with embedded_database(directory) as (uri, seeding_path):
            env = production_env(uri, directory)
            manage(env, "migrate", "--no-input", "-v0")
            about = run_script(env, "school.py", {"scale": scale})
        about["seed_seconds"] = round(time.perf_counter() - began, 1)
        with contextlib.closing(sqlite3.connect(seeding_path)) as database:
            # The write-ahead log into the data file, which is then complete by itself.
            database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            database.execute("PRAGMA journal_mode=DELETE")
        shutil.move(seeding_path, data_path)
    about_path.write_text(json.dumps(about, indent=2) + "\n")
    return data_path, about


def copy_of(data_path: Path, directory: Path) -> Path:
    copy = directory / "bench.sqlite3"
    shutil.copyfile(data_path, copy)
    copy.chmod(0o600)
    return copy


@contextlib.contextmanager
def app_on_a_copy(app: Path, data_path: Path, prefix: str):
    """The production environment of app over its own copy of data_path, migrated and with its
    static files collected, as the Procfile's release step leaves it: (environment, directory)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        directory = Path(directory)
        with embedded_database(directory, copy_of(data_path, directory)) as (uri, _):
            env = production_env(uri, directory, BENCH_APP=str(app))
            release(env, app=app)
            yield env, directory
