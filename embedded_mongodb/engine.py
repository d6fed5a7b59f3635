"""The embedded server's storage engine: mongoeco's SQLite engine, subclassed.

Each base class overrides engine methods for one concern and calls
mongoeco's own method (``super()``) for everything it does not decide:
:class:`.inline.InlineCalls` (where engine calls run),
:class:`.document_writes.WatchedWrites` (who is told of each document
written: it sets up the connections :class:`.writes.CheaperWrites` opens),
:class:`.writes.CheaperWrites` (indexes, connections, no change outbox),
:class:`.speed.IndexedUniqueChecks`, :class:`.speed.IndexedReads` and
:class:`.sorting.IndexedSorts` (indexes used as MongoDB uses them), :class:`.compat.LongMembershipLists`
(``$in`` lists of any length). No two of them override the same method of
mongoeco's.
"""

from mongoeco.engines.sqlite import SQLiteEngine

from .compat import LongMembershipLists
from .document_writes import WatchedWrites
from .inline import InlineCalls
from .sorting import IndexedSorts
from .speed import IndexedReads, IndexedUniqueChecks
from .writes import CheaperWrites


class EmbeddedEngine(InlineCalls, WatchedWrites, CheaperWrites, IndexedUniqueChecks, IndexedReads, IndexedSorts,
                     LongMembershipLists, SQLiteEngine):
    pass
