"""An embedded MongoDB-compatible server for development and tests.

When ``MONGODB_URI`` is unset the project runs on mongoeco's wire-protocol
server over its SQLite engine, started on demand the way Django starts on
SQLite. Django still talks to it through pymongo over TCP, exactly as to a
real MongoDB. Everything that papers over a gap between mongoeco and real
MongoDB lives here, pinned to one mongoeco version (:mod:`.pin`):
:mod:`.compat` (results), :mod:`.speed` (reads), :mod:`.writes` (writes and
SQLite connections), :mod:`.inline` (where engine calls run) and
:mod:`.query_cache` (repeated reads).
"""
