"""The first admin every test stack is given, and logging in as it."""

import httpx

from lifeboat.provision import ensure_first_admin

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-password-for-tests"


async def admin_client(database_url: str, api_url: str, timeout: float = 10.0) -> httpx.AsyncClient:
    """Create the first admin in the gateway's database (if none exists) and return an HTTP client
    for `api_url` that is logged in as it; the caller closes it (`async with`)."""
    await ensure_first_admin(database_url, ADMIN_USERNAME, ADMIN_PASSWORD)
    client = httpx.AsyncClient(base_url=api_url, timeout=timeout)
    try:
        reply = await client.post(
            "/auth/login", json={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
        )
        reply.raise_for_status()
    except BaseException:
        await client.aclose()
        raise
    client.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
    return client
