"""``install()``: the one call that changes mongoeco's own modules.

The engine and the wire server get most of this package's changes by
inheritance (:mod:`.engine`, :mod:`.proxy`), and the expression operators
through mongoeco's registration hook. The rest has no hook: functions that
mongoeco's modules call by their module-global name, and methods of classes
mongoeco instantiates itself. Those are replaced here, when the server
process (or a test that drives an engine in its own process) calls
:func:`install`; importing any module of this package changes nothing.
Every attribute is replaced once (``tests/test_patches.py`` checks it), so
no replacement depends on the order of another.
"""

import functools

from mongoeco.core.aggregation.extensions import register_aggregation_expression_operator

from . import compat, speed, writes
from .pin import require_pinned_mongoeco


def replacements() -> tuple:
    """(owner, attribute, new value) for each attribute :func:`install` replaces."""
    return (*compat.REPLACEMENTS, *speed.REPLACEMENTS, *writes.REPLACEMENTS)


@functools.cache
def install() -> None:
    """Apply every change to mongoeco's modules; later calls do nothing."""
    require_pinned_mongoeco()
    for operator, handler in compat.EXPRESSION_OPERATORS.items():
        register_aggregation_expression_operator(operator, handler)
    for owner, attribute, value in replacements():
        setattr(owner, attribute, value)
