"""WebSocket `/api/v1/ws` (and `/ws`, as in 000): live `backup_progress`, `restore_progress` and
`notification` messages. Authenticate with `?token=<access token>` or, to keep the token out of
URLs and access logs, with a first message `{"type": "auth", "token": "..."}` within 10 s.
Any role may listen; unauthenticated sockets are closed with code 4401."""

import asyncio
import contextlib
from typing import Any

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import NotAuthorizedException, WebSocketDisconnect

from services.gateway.auth.guards import authenticate, current_user
from services.gateway.state import Gateway

AUTH_TIMEOUT = 10.0
UNAUTHORIZED = 4401


class AuthMessage(msgspec.Struct, frozen=True):
    type: str
    token: str


async def _authenticate(socket: WebSocket[Any, Any, Any]) -> bool:
    if socket.query_params.get("token"):
        try:
            await authenticate(socket)
            return True
        except NotAuthorizedException:
            return False
    try:
        raw = await asyncio.wait_for(socket.receive_text(), AUTH_TIMEOUT)
        message = msgspec.json.decode(raw, type=AuthMessage)
        await current_user(socket.app.state.gateway, message.token)
    except (
        TimeoutError,
        msgspec.ValidationError,
        msgspec.DecodeError,
        NotAuthorizedException,
        WebSocketDisconnect,
    ):
        return False
    return True


async def _stream(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept()
    if not await _authenticate(socket):
        await socket.close(code=UNAUTHORIZED, reason="authentication required")
        return
    gateway: Gateway = socket.app.state.gateway
    await socket.send_json({"type": "connected"})
    with gateway.live.client() as queue:
        receiving = asyncio.create_task(_until_closed(socket))
        try:
            while not receiving.done():
                getting = asyncio.create_task(queue.get())
                await asyncio.wait([getting, receiving], return_when=asyncio.FIRST_COMPLETED)
                if not getting.done():
                    getting.cancel()
                    break
                await socket.send_json(getting.result())
        except WebSocketDisconnect:
            pass
        finally:
            receiving.cancel()
            with contextlib.suppress(Exception):
                await socket.close()


async def _until_closed(socket: WebSocket[Any, Any, Any]) -> None:
    with contextlib.suppress(WebSocketDisconnect, Exception):
        while True:
            await socket.receive_data(mode="text")


@websocket("/ws")
async def live_api(socket: WebSocket[Any, Any, Any]) -> None:
    await _stream(socket)


@websocket("/ws", name="live_root")
async def live_root(socket: WebSocket[Any, Any, Any]) -> None:
    await _stream(socket)
