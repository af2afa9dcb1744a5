"""The audit's RPC handlers, one module per aggregate."""

from services.audit.handlers.logs import LogHandlers

__all__ = ["LogHandlers"]
