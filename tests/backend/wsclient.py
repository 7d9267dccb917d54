"""A raw websockets client for the backend tests: frames in, decoded dicts out (no Qt, no client store)."""
from __future__ import annotations

import asyncio
import itertools
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from backend_client import protocol

TIMEOUT = 30.0
_ids = itertools.count(1)


class RawClient:
    """Attributes: ws, auth (the auth_ok frame), received (every frame after auth_ok), seqs (event seqs)."""

    def __init__(self, ws: ClientConnection):
        self.ws = ws
        self.auth: dict | None = None
        self.received: list[dict] = []
        self.seqs: list[int] = []
        self.snapshot: dict | None = None

    @classmethod
    async def connect(cls, url: str, token: str, since: int | None = None) -> "RawClient":
        ws = await connect(url, max_size=None, open_timeout=TIMEOUT)
        client = cls(ws)
        await ws.send(protocol.encode(protocol.auth(token, since, "test")))
        client.auth = await client.recv()
        assert client.auth["type"] == "auth_ok", client.auth
        return client

    async def recv(self, timeout: float = TIMEOUT) -> dict:
        msg = protocol.decode_server(await asyncio.wait_for(self.ws.recv(), timeout))
        if self.auth is not None:
            self.received.append(msg)
            if msg["type"] == "event":
                self.seqs.append(msg["seq"])
            elif msg["type"] == "snapshot":
                self.snapshot = msg
        return msg

    async def send_raw(self, text: str | bytes) -> None:
        await self.ws.send(text)

    async def until(self, predicate, timeout: float = TIMEOUT) -> dict:
        """Receive frames until one matches ``predicate(msg)``; return it."""
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.recv(timeout)
                if predicate(msg):
                    return msg

    async def command(self, action: str, args: dict[str, Any] | None = None, timeout: float = TIMEOUT) -> dict:
        cmd_id = f"c-{next(_ids)}"
        await self.ws.send(protocol.encode(protocol.command(cmd_id, action, args or {})))
        return await self.until(lambda m: m["type"] == "result" and m["id"] == cmd_id, timeout)

    async def wait_seq(self, seq: int, timeout: float = TIMEOUT) -> None:
        """Receive until an event (or snapshot) at or beyond ``seq`` arrived."""
        if max(self.seqs, default=-1) >= seq or (self.snapshot and self.snapshot["seq"] >= seq):
            return
        await self.until(lambda m: m.get("seq", -1) >= seq and m["type"] in ("event", "snapshot"), timeout)

    async def close(self) -> None:
        await self.ws.close()
