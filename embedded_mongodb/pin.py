"""The one mongoeco version the workaround modules are written for.

Each of them (compat, speed, writes, inline, query_cache) reaches into
mongoeco's internals, so each calls :func:`require_pinned_mongoeco` on
import: another version fails loudly instead of half-working.
"""

import mongoeco

PINNED_MONGOECO_VERSION = "4.11.0"


def require_pinned_mongoeco(module: str) -> None:
    if mongoeco.__version__ != PINNED_MONGOECO_VERSION:
        raise ImportError(
            f"{module} is written for mongoeco {PINNED_MONGOECO_VERSION}, "
            f"found {mongoeco.__version__}: re-check every workaround before changing the pin"
        )
