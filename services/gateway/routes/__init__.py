"""Route modules, one per resource. ROUTERS is everything mounted under /api/v1."""

from services.gateway.routes import auth, servers

ROUTERS = [auth.router, servers.router]
