"""What an executor answers besides its jobs: probes of users' databases, which only executors
reach (the catalog asks, with the endpoint already resolved and its password sealed)."""

from contracts import connections
from contracts.operations import Operation, Service


class Executor(Service, name="executor"):
    test_connection = Operation(connections.TestEndpoint, connections.ConnectionResult)
    discover = Operation(connections.DiscoverEndpoint, connections.Discovery)
