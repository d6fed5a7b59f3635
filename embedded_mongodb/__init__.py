"""An embedded MongoDB-compatible server for development and tests.

No ``mongod`` can be installed where this project is developed and tested,
so when ``MONGODB_URI`` is unset the app runs on mongoeco's wire-protocol
server over its SQLite engine, started on demand the way Django starts on
SQLite, with a user and password of its own. Django still talks to it
through pymongo over TCP, exactly as to a real MongoDB; production always
names a real one. Everything that closes a gap between mongoeco and MongoDB
lives here, pinned to one mongoeco version (:mod:`.pin`) and applied in the
server process only (:func:`.patches.install`). ``README.md`` beside this
file lists every change.
"""
