"""The embedded wire server: mongoeco's proxy server and command executor, subclassed.

Before mongoeco runs a command, :class:`EmbeddedExecutor`:

- requires an authenticated connection for anything but the handshake and
  the authentication conversation, as a MongoDB with access control does
  (code 13), answers a failed authentication with code 18, and names the
  user's mechanisms in the handshake when asked (``saslSupportedMechs``:
  pymongo's default mechanism depends on it);
- rewrites what real MongoDB accepts and mongoeco does not
  (:func:`.compat.canonical_command_name`, :func:`.compat.rename_in_own_database`),
  refuses change streams as a standalone server does
  (:func:`.writes.refuse_change_streams`) and moves ``$match`` stages ahead of
  joins as MongoDB's optimizer does (:func:`.speed.hoisted_command`);
- answers Django's counts by counting rows (:mod:`.counting`);
- takes ``setParameter`` of ``embeddedAggregationBudget`` (mongoeco's limit on
  the documents one aggregation may hold, 50,000): tests lower it to prove a
  page never holds a whole collection, without building one that large;
- answers repeated reads from :class:`.query_cache.QueryCache`.
"""

from mongoeco.core.aggregation.cost import AggregationCostPolicy
from mongoeco.errors import OperationFailure
from mongoeco.wire.executor import WireCommandExecutor
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

from . import compat, counting, speed, writes
from .query_cache import QueryCache

HANDSHAKE = frozenset({"hello", "isMaster", "ismaster"})
AUTHENTICATION = frozenset({"saslStart", "saslContinue", "authenticate", "logout"})
UNAUTHORIZED = 13
AUTHENTICATION_FAILED = 18
BAD_VALUE = 2
AGGREGATION_BUDGET = "embeddedAggregationBudget"


class EmbeddedExecutor(WireCommandExecutor):
    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._users = users
        cache = QueryCache(self._client.mongodb_dialect)
        self._client._engine.document_watchers.append(cache.document_written)
        self._cached_execute = cache.wrap(self._counting_execute)

    def _build_request_context(self, body, **kwargs):
        if "setParameter" in body and AGGREGATION_BUDGET in body:
            # mongoeco knows no setParameter: carried by a ping to execute_prepared, past the authentication check.
            body = {"ping": 1, AGGREGATION_BUDGET: body[AGGREGATION_BUDGET], "$db": body.get("$db", "admin")}
        body = compat.rename_in_own_database(compat.canonical_command_name(body, self._surface))
        writes.refuse_change_streams(body)
        return super()._build_request_context(speed.hoisted_command(body), **kwargs)

    async def execute_prepared(self, context):
        name = context.command_name
        if name in HANDSHAKE:
            return self._with_mechanisms(await super().execute_prepared(context), context.raw_body)
        if name in AUTHENTICATION:
            try:
                return await super().execute_prepared(context)
            except OperationFailure as error:
                raise OperationFailure("Authentication failed.", code=AUTHENTICATION_FAILED) from error
        if self._users and not context.connection.authenticated_users:
            raise OperationFailure(f"Command {name} requires authentication", code=UNAUTHORIZED)
        if name == "ping" and AGGREGATION_BUDGET in context.command_document:
            return self._set_aggregation_budget(context.command_document[AGGREGATION_BUDGET])
        return await self._cached_execute(context)

    def _set_aggregation_budget(self, documents) -> dict:
        if isinstance(documents, bool) or not isinstance(documents, int) or documents < 1:
            raise OperationFailure(f"{AGGREGATION_BUDGET} must be a positive integer", code=BAD_VALUE)
        engine = self._client._engine
        was = engine.aggregation_cost_policy.max_materialized_documents
        engine.aggregation_cost_policy = AggregationCostPolicy(max_materialized_documents=documents)
        return {"was": was, "ok": 1.0}

    async def _counting_execute(self, context):
        if context.command_name == "aggregate" and (
            (filter_spec := counting.counted_filter(context.command_document)) is not None
        ):
            collection = self._client.get_database(context.db_name).get_collection(
                context.command_document["aggregate"]
            )
            count = await collection.count_documents(filter_spec)
            return counting.count_reply(context.db_name, context.command_document, count)
        return await super().execute_prepared(context)

    def _with_mechanisms(self, reply: dict, body: dict) -> dict:
        asked = body.get("saslSupportedMechs")
        if isinstance(asked, str):
            source, _, username = asked.partition(".")
            for user in self._users:
                if (user.source, user.username) == (source, username):
                    return {**reply, "saslSupportedMechs": list(user.mechanisms)}
        return reply


class EmbeddedProxyServer(AsyncMongoEcoProxyServer):
    def __init__(self, *, auth_users=(), **kwargs):
        super().__init__(auth_users=auth_users, **kwargs)
        self._executor = EmbeddedExecutor(
            self._client, self._cursor_store, self._session_store,
            surface=self._surface, auth=self._auth, users=auth_users,
        )

    def connection_count(self) -> int:
        return len(self._handlers)
