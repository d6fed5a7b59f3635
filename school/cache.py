"""Django's file cache, with ``add`` and ``incr`` atomic across the threads and processes of one machine.

Django's FileBasedCache makes ``add`` "has_key, then set" and ``incr`` "get,
then set": two gunicorn workers can both add the same key, or both read 5 and
write 6. The rate limits depend on exactly these two: the API's counts with
``add`` + ``incr`` (``school.api.throttling``), allauth's takes its lock with
``add``. Here each runs under an exclusive file lock (one of LOCK_STRIPES lock
files, chosen by the key), which serialises every thread and process of the
machine the cache lives on. That is all the file cache serves; several
machines share Redis, whose ``add`` (SET NX) and ``incr`` are atomic by
themselves. A lock rather than a counter in MongoDB: it costs no round trip to
the database and repairs allauth's lock as well as our counter.

``incr`` also keeps the entry's expiry, where Django's resets it to the
default timeout (a one-hour rate-limit window would forget its count after
five idle minutes).
"""

import os
import pickle
import time
import zlib
from contextlib import contextmanager

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks

# Enough that unrelated keys seldom wait for each other; few enough to stay a
# fixed handful of files.
LOCK_STRIPES = 64


class FileCache(FileBasedCache):
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._locked(key, version):
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self._locked(key, version):
            entry = self._read(key, version)
            if entry is None:
                raise ValueError(f"Key '{key}' not found")
            expiry, value = entry
            self.set(key, value + delta, None if expiry is None else expiry - time.time(), version)
            return value + delta

    def _read(self, key, version) -> tuple[float | None, object] | None:
        """(expiry, value) of the entry, or None when it is missing or expired."""
        try:
            with open(self._key_to_file(key, version), "rb") as file:
                expiry = pickle.load(file)
                if expiry is not None and expiry <= time.time():
                    return None
                return expiry, pickle.loads(zlib.decompress(file.read()))
        except (FileNotFoundError, EOFError):
            return None

    @contextmanager
    def _locked(self, key, version):
        # The entry's file name is an md5 of the key: its first digits pick the stripe.
        stripe = int(os.path.basename(self._key_to_file(key, version))[:8], 16) % LOCK_STRIPES
        directory = os.path.join(self._dir, "locks")
        os.makedirs(directory, mode=0o700, exist_ok=True)
        with open(os.path.join(directory, f"{stripe:02d}.lock"), "ab") as lock_file:
            locks.lock(lock_file, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(lock_file)
