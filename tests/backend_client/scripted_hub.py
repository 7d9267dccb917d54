"""A scripted hub: a real websockets server on loopback that plays a test's script of frames.

Only for what the real backend never does on purpose — a gap or duplicate in the stream, an answer
that never comes, a session closed with 4001 after auth — so the client's handling of them can be
tested. Everything the real backend can do is tested against the real backend.
"""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from websockets.asyncio.server import ServerConnection, serve

from backend_client import protocol

Script = Callable[["Session"], Awaitable[None]]


class Session:
    """One client connection as the script sees it: the auth frame it sent, and send/recv helpers."""

    def __init__(self, ws: ServerConnection, auth: dict, number: int):
        self.ws, self.auth, self.number = ws, auth, number

    async def send(self, **msg) -> None:
        await self.ws.send(protocol.encode(msg))

    async def event(self, seq: int, key: str = "A-1", entity: str = "alerts") -> None:
        await self.send(type="event", seq=seq, eid=f"yk-{seq}", ts=0.0, actor="t", entity=entity,
                        op="upsert", key=key, data={"id": key, "colour": "red", "title": f"seq {seq}"})

    async def recv(self) -> dict:
        return protocol.decode_client(await self.ws.recv())

    async def hold(self) -> None:
        """Keep the connection open until the client goes."""
        await self.ws.wait_closed()


class ScriptedHub:
    """Serves ``script(session)`` for each connection after reading its auth frame.

    Attributes: url, sessions (every Session, in connection order).
    """

    def __init__(self, script: Script):
        self.script = script
        self.sessions: list[Session] = []
        self._server = None
        self.url = ""

    async def __aenter__(self) -> "ScriptedHub":
        self._server = await serve(self._handle, "127.0.0.1", 0, compression=None)
        self.url = f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, ws: ServerConnection) -> None:
        auth = protocol.decode_client(await ws.recv())
        session = Session(ws, auth, len(self.sessions) + 1)
        self.sessions.append(session)
        await self.script(session)


def auth_ok(seq: int = 0, **extra) -> dict:
    return {"type": "auth_ok", "user": "u", "role": "duty_officer", "centre": "yk", "seq": seq, "relay": "",
            "actions": ["alert.ack"], **extra}


async def until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait for a condition (polling the loop); raise TimeoutError naming nothing more."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
