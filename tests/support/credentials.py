"""The first admin every test stack is given, and logging in as it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from lifeboat.provision import ensure_first_admin

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-password-for-tests"


@asynccontextmanager
async def admin_client(
    database_url: str, api_url: str, timeout: float = 10.0
) -> AsyncIterator[httpx.AsyncClient]:
    """Create the first admin in the gateway's database (if none exists); an HTTP client for
    `api_url` logged in as it."""
    await ensure_first_admin(database_url, ADMIN_USERNAME, ADMIN_PASSWORD)
    async with httpx.AsyncClient(base_url=api_url, timeout=timeout) as client:
        reply = await client.post(
            "/auth/login", json={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
        )
        reply.raise_for_status()
        client.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
        yield client
