"""Route modules, one per resource. ROUTERS is everything mounted under /api/v1."""

from litestar.types import ControllerRouterHandler

from services.gateway.routes import (
    access_requests,
    audit,
    auth,
    backup_scheduler,
    backups,
    databases,
    registration,
    retention_policies,
    schedules,
    servers,
    settings,
    users,
    ws,
)

ROUTERS: list[ControllerRouterHandler] = [
    auth.router,
    servers.router,
    users.router,
    registration.router,
    access_requests.router,
    settings.router,
    audit.router,
    databases.router,
    backups.router,
    backups.restores_router,
    schedules.router,
    backup_scheduler.router,
    retention_policies.router,
    ws.live_api,
]
