"""The executor's RPC handlers, one module per aggregate: probes of users' databases."""

from services.executor.handlers.probes import ProbeHandlers

__all__ = ["ProbeHandlers"]
