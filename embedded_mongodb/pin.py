"""The one mongoeco version this package's changes are written for.

They reach into mongoeco's internals (private names, SQL text, call
signatures), so :func:`embedded_mongodb.patches.install` refuses any other
version: an upgrade fails loudly instead of half-working.
"""

import mongoeco

PINNED_MONGOECO_VERSION = "4.11.0"


def require_pinned_mongoeco() -> None:
    if mongoeco.__version__ != PINNED_MONGOECO_VERSION:
        raise ImportError(
            f"embedded_mongodb is written for mongoeco {PINNED_MONGOECO_VERSION}, "
            f"found {mongoeco.__version__}: re-check every change before moving the pin"
        )
