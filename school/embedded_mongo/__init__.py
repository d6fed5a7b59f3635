"""An embedded MongoDB-compatible server for development and tests.

When ``MONGODB_URI`` is unset the project runs on mongoeco's wire-protocol
server over its SQLite engine, started on demand the way Django starts on
SQLite. Django still talks to it through pymongo over TCP, exactly as to a
real MongoDB. Everything that papers over a gap between mongoeco and real
MongoDB lives in :mod:`school.embedded_mongo.compat` (results) and
:mod:`school.embedded_mongo.speed` (costs), pinned to one mongoeco version.
"""
