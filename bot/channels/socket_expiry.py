"""A web-chat socket lives as long as its seller token, not as long as its connection.

The token is checked at the handshake and on every message the socket sends (webchat.py); that alone let a socket
that only listens keep receiving the conversation after expiry (an agent's reply arrived 33 s late). So a timer
ends each socket when its token runs out, and a delivery skips, and ends, any socket of the room whose token has
run out by then (a late timer on a busy loop). The widget renews its token on the socket (`renew_token`) before
expiry, so an active seller is never cut off. Across replicas (a shared Socket.IO manager) each replica's timers
end the sockets it holds; the delivery check sees the sockets of the replica that emits.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from socketio import AsyncServer

_NAMESPACE = "/"
EXPIRED_CODE = "token_expired"
EXPIRED_MESSAGE = "Your sign-in has expired; reconnect with a new token."


def has_expired(session: dict[str, Any]) -> bool:
    return time.time() >= session["expires_at"]


async def end_socket(sio: AsyncServer, sid: str) -> None:
    """Tell the socket its token ran out, then disconnect it (which takes it out of every room)."""
    await sio.emit("chat_error", {"code": EXPIRED_CODE, "message": EXPIRED_MESSAGE}, to=sid)
    await sio.disconnect(sid)


async def _expired_session(sio: AsyncServer, sid: str) -> bool:
    """Whether this (local) socket's token has run out; a socket already gone counts as not expired."""
    try:
        return has_expired(await sio.get_session(sid))
    except KeyError:
        return False


async def emit_to_live_sockets(sio: AsyncServer, room: str, event: str, data: Any) -> None:
    """Emit to the conversation's room once every socket in it whose token has run out is ended."""
    try:
        local = [sid for sid, _ in sio.manager.get_participants(_NAMESPACE, room)]
    except KeyError:  # no socket has connected to this process yet
        local = []
    for sid in local:
        if await _expired_session(sio, sid):
            await end_socket(sio, sid)
    await sio.emit(event, data, room=room)


class ExpiryTimers:
    """One timer per socket, ending it when its token runs out; renewing the token re-arms it."""

    def __init__(self, sio: AsyncServer) -> None:
        self.sio = sio
        self._timers: dict[str, asyncio.Task[None]] = {}

    def arm(self, sid: str, expires_at: float) -> None:
        self.disarm(sid)
        self._timers[sid] = asyncio.create_task(self._end_at(sid, expires_at))

    def disarm(self, sid: str) -> None:
        timer = self._timers.pop(sid, None)
        if timer is not None:
            timer.cancel()

    async def _end_at(self, sid: str, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        self._timers.pop(sid, None)
        if await _expired_session(self.sio, sid):
            await end_socket(self.sio, sid)
