"""Connection tests, discovery and import: the catalog resolves stored logins, the executor
(the only service that reaches users' databases) does the talking."""

from datetime import UTC, datetime
from typing import TypeVar

import asyncpg
import msgspec

from contracts.connections import (
    ConnectionResult,
    DiscoverServer,
    Discovery,
    Endpoint,
    ImportDatabases,
    ImportResult,
    ProbeEndpoint,
    TestConnection,
    TestServerConnection,
)
from contracts.databases import CreateDatabase
from contracts.operations import Operation
from contracts.operations.executor import Executor
from contracts.rpc import Request
from libs.bus import rpc
from libs.bus.broker import Broker
from libs.db.rows import name_taken
from libs.errors import Refused, invalid
from services.catalog.domain.backups import endpoint_for
from services.catalog.handlers.databases import DatabaseHandlers
from services.catalog.handlers.servers import found_server
from services.catalog.store.databases import database_names_on
from services.catalog.store.servers import get_server, record_health

Probe = TypeVar("Probe", bound=ProbeEndpoint)
Rep = TypeVar("Rep")


PROBE_MARGIN = 5.0  # beyond the executor's own probe timeout: its answer, not silence, comes back


class ConnectionHandlers:
    def __init__(
        self, pool: asyncpg.Pool, broker: Broker, databases: DatabaseHandlers, probe_timeout: float
    ) -> None:
        self.pool = pool
        self.broker = broker
        self.databases = databases
        self.probe_timeout = probe_timeout + PROBE_MARGIN

    async def _probe(
        self,
        operation: Operation[Probe, Rep],
        endpoint: Endpoint,
        request: Request,
        server_id: int | None,
    ) -> Rep:
        probe = operation.request(
            endpoint=endpoint,
            server_id=server_id,
            actor=request.actor,
            correlation_id=request.correlation_id,
        )
        try:
            return await rpc.call(self.broker, operation, probe, timeout=self.probe_timeout)
        except rpc.ServiceUnavailable:
            raise Refused(
                503, "SERVICE_UNAVAILABLE", "no executor answered; is the executor running?"
            ) from None

    async def test_connection(self, request: TestConnection) -> ConnectionResult:
        server = None
        if request.engine_id is not None:
            server = await get_server(self.pool, request.engine_id)
            if server is None:
                raise invalid("engine_id", f"server {request.engine_id} does not exist")
        if request.use_engine_credentials:
            if server is None:
                raise invalid("engine_id", "required when use_engine_credentials is true")
            endpoint = endpoint_for(None, server, request.database_name or "")
            endpoint = msgspec.structs.replace(
                endpoint, host=request.host or endpoint.host, port=request.port or endpoint.port
            )
        else:
            if request.host is None and request.database_type != "sqlite":
                raise invalid("host", "required unless use_engine_credentials is true")
            endpoint = Endpoint(
                engine=request.database_type,
                host=request.host,
                port=request.port,
                database=request.database_name or "",
                username=request.username,
                password=request.password,
            )
        return await self._probe(Executor.test_connection, endpoint, request, request.engine_id)

    async def test_server(self, request: TestServerConnection) -> ConnectionResult:
        server = await found_server(self.pool, request.server_id)
        endpoint = endpoint_for(None, server, "")
        result = await self._probe(Executor.test_connection, endpoint, request, server.id)
        health = "healthy" if result.success else "unhealthy"
        await record_health(self.pool, server.id, health, datetime.now(UTC))
        return result

    async def discover(self, request: DiscoverServer) -> Discovery:
        server = await found_server(self.pool, request.server_id)
        if not server.discovery_enabled:
            raise Refused(409, "DISCOVERY_DISABLED", f"discovery is disabled for server {server.name!r}")
        endpoint = endpoint_for(None, server, "")
        return await self._probe(Executor.discover, endpoint, request, server.id)

    async def import_databases(self, request: ImportDatabases) -> ImportResult:
        server = await found_server(self.pool, request.server_id)
        await self.databases.check_policy(request, request.policy_id)  # before discovery: nothing imported
        asked = DiscoverServer(
            server_id=server.id, actor=request.actor, correlation_id=request.correlation_id
        )
        found = [d.name for d in (await self.discover(asked)).databases]
        existing = sorted(await database_names_on(self.pool, server.id) & set(found))
        wanted = [n for n in found if n not in existing] if request.import_all else list(request.databases)
        unknown = [n for n in wanted if n not in found]
        if unknown:
            raise invalid("databases", f"not on server {server.name!r}: {', '.join(unknown)}")
        imported, skipped = [], [n for n in found if n not in wanted and n not in existing]
        for name in wanted:
            if name in existing:
                skipped.append(name)
                continue
            display = f"{server.name}/{name}" if await name_taken(self.pool, "databases", name) else name
            imported.append(
                await self.databases.create(
                    CreateDatabase(
                        name=display,
                        database_type=server.engine_type,
                        engine_id=server.id,
                        use_engine_credentials=True,
                        database_name=name,
                        policy_id=request.policy_id,
                        actor=request.actor,
                        correlation_id=request.correlation_id,
                    )
                )
            )
        return ImportResult(
            engine_id=server.id,
            message=f"Imported {len(imported)} database(s)",
            imported=imported,
            skipped=skipped,
            databases=found,
            existing=existing,
            available=[n for n in found if n not in existing],
        )
