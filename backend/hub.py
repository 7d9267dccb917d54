"""The websocket hub: token auth, replay or snapshot, the live change stream, commands (backend/PROTOCOL.md)."""
from __future__ import annotations

import asyncio
import collections
import logging
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from backend import store
from backend.auth import User
from backend.core import CommandError, Core
from backend_client import protocol
from backend_client.protocol import ProtocolError

log = logging.getLogger(__name__)

AUTH_TIMEOUT = 10.0
CLOSE_AUTH = 4001
MAX_FRAME = 1024 * 1024  # the websocket layer cuts larger frames (close 1009); the codec refuses > 64 KiB
QUEUE_BOUND = 5000  # events waiting for one client before its backlog becomes a snapshot
REPLAY_LIMIT = 100_000  # a client further behind than this gets a snapshot instead of the replay
REPLAY_CHUNK = 1000

_EVENT, _FRAME, _SNAPSHOT, _REPLAY = range(4)


class _Client:
    """One authenticated connection: a bounded outgoing queue drained by its own writer task."""

    def __init__(self, ws: ServerConnection, user: User, bound: int):
        self.ws, self.user, self.bound = ws, user, bound
        self.queue: collections.deque[tuple[int, Any, Any]] = collections.deque()
        self.events = 0  # event items in the queue
        self.overflows = 0
        self.wake = asyncio.Event()

    def push(self, kind: int, a: Any = None, b: Any = None) -> None:
        self.queue.append((kind, a, b))
        self.events += kind == _EVENT
        self.wake.set()

    def push_event(self, seq: int, text: str) -> None:
        if self.events >= self.bound:  # too slow: drop the backlog, send a fresh snapshot instead
            self.overflows += 1
            self.drop_events()
            self.push(_SNAPSHOT)
            log.warning("client %s fell %d events behind: sending a snapshot", self.user.name, self.bound)
        self.push(_EVENT, seq, text)

    def drop_events(self) -> None:
        """Remove queued events and snapshot markers; keep results, errors and pongs in order."""
        kept = [item for item in self.queue if item[0] not in (_EVENT, _SNAPSHOT)]
        self.queue.clear()
        self.queue.extend(kept)
        self.events = 0


class Hub:
    """Serves backend/PROTOCOL.md on host:port for one Core.

    Attributes:
        port: the bound port (useful with port 0).
        clients: the authenticated connections.
    """

    def __init__(self, core: Core, host: str = "127.0.0.1", port: int = 8765, *, queue_bound: int = QUEUE_BOUND,
                 replay_limit: int = REPLAY_LIMIT, auth_timeout: float = AUTH_TIMEOUT):
        self.core, self.host, self.port = core, host, port
        self.queue_bound, self.replay_limit, self.auth_timeout = queue_bound, replay_limit, auth_timeout
        self.clients: set[_Client] = set()
        self._server: Server | None = None

    async def start(self) -> None:
        self.core.subscribe(self._on_event)
        self.core.subscribe_status(self._on_store_status)
        self._server = await serve(self._handle, self.host, self.port, max_size=MAX_FRAME,
                                   compression=None, close_timeout=2)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.core.unsubscribe(self._on_event)
        self.core.unsubscribe_status(self._on_store_status)
        if self._server is not None:
            self._server.close()  # closes every connection with 1001 (going away)
            await self._server.wait_closed()
            self._server = None

    def _on_event(self, event: dict) -> None:
        if not self.clients:
            return
        text = protocol.encode({"type": "event", **event})
        for client in self.clients:
            client.push_event(event["seq"], text)

    def _on_store_status(self, status: dict) -> None:
        """A transient ``status`` frame to every client (a store fault cannot be a durable event)."""
        text = protocol.encode(protocol.status_frame(status))
        for client in self.clients:
            client.push(_FRAME, text)

    async def _handle(self, ws: ServerConnection) -> None:
        user, since = await self._authenticate(ws)
        if user is None:
            return
        client = _Client(ws, user, self.queue_bound)
        # Same loop turn, no await: the client is registered at exactly this head seq.
        head = self.core.head_seq
        self.clients.add(client)
        client.push(_FRAME, protocol.encode({
            "type": "auth_ok", "user": user.name, "role": user.role, "centre": self.core.centre, "seq": head,
            "relay": self.core.relay_url, "actions": self.core.actions_for(user.role)}))
        if since is not None and since <= head and head - since <= self.replay_limit:
            if since < head:
                client.push(_REPLAY, since, head)
        else:
            client.push(_SNAPSHOT)
        if self.core.store_status["state"] != "ok":
            client.push(_FRAME, protocol.encode(protocol.status_frame(self.core.store_status)))
        log.info("client %s (%s) connected from %s, since=%s, head=%d", user.name, user.role,
                 ws.remote_address, since, head)
        writer = asyncio.create_task(self._write(client), name=f"hub-writer-{user.name}")
        try:
            await self._read(client)
        finally:
            self.clients.discard(client)
            writer.cancel()
            log.info("client %s disconnected", user.name)

    async def _authenticate(self, ws: ServerConnection) -> tuple[User | None, int | None]:
        try:
            async with asyncio.timeout(self.auth_timeout):
                raw = await ws.recv()
        except TimeoutError:
            await self._refuse(ws, "auth_required", f"send an auth frame within {self.auth_timeout:g} s")
            return None, None
        except ConnectionClosed:
            return None, None
        try:
            msg = protocol.decode_client(raw) if isinstance(raw, str) else None
        except ProtocolError as exc:
            await self._refuse(ws, "auth_required", f"first frame must be auth ({exc.code}: {exc.message})")
            return None, None
        if msg is None or msg["type"] != "auth":
            await self._refuse(ws, "auth_required", "first frame must be a text frame of type auth")
            return None, None
        user = self.core.authenticate(msg["token"])
        if user is None:
            log.warning("auth failed from %s", ws.remote_address)
            await self._refuse(ws, "auth_failed", "unknown or disabled token")
            return None, None
        return user, msg.get("since")

    async def _refuse(self, ws: ServerConnection, code: str, message: str) -> None:
        try:
            await ws.send(protocol.encode(protocol.error(code, message)))
            await ws.close(CLOSE_AUTH, code)
        except ConnectionClosed:
            pass

    async def _read(self, client: _Client) -> None:
        try:
            async for raw in client.ws:
                if not isinstance(raw, str):
                    client.push(_FRAME, protocol.encode(protocol.error("bad_json", "text frames only")))
                    continue
                try:
                    msg = protocol.decode_client(raw)
                except ProtocolError as exc:
                    client.push(_FRAME, protocol.encode(protocol.error(exc.code, exc.message)))
                    continue
                kind = msg["type"]
                if kind == "ping":
                    client.push(_FRAME, protocol.encode({"type": "pong"}))
                elif kind == "auth":
                    client.push(_FRAME, protocol.encode(protocol.error("bad_type", "already authenticated")))
                else:
                    client.push(_FRAME, protocol.encode(await self._command(client.user, msg)))
        except ConnectionClosed:
            pass

    async def _command(self, user: User, msg: dict) -> dict:
        cmd_id, action = msg["id"], msg["action"]
        try:
            result = await self.core.run_command(user, action, msg["args"])
        except CommandError as exc:
            return protocol.result_error(cmd_id, exc.code, exc.message)
        except Exception:  # the store failed: the client must know the command did not happen
            log.exception("command %s %s failed", cmd_id, action)
            return protocol.result_error(cmd_id, "internal", "the command could not be stored")
        return protocol.result_ok(cmd_id, result)

    async def _write(self, client: _Client) -> None:
        ws = client.ws
        try:
            while True:
                if not client.queue:
                    client.wake.clear()
                    await client.wake.wait()
                    continue
                kind, a, b = client.queue.popleft()
                if kind == _EVENT:
                    client.events -= 1
                    await ws.send(b)
                elif kind == _FRAME:
                    await ws.send(a)
                elif kind == _SNAPSHOT:
                    seq, state = self.core.snapshot()
                    client.drop_events()  # every queued event is already in this snapshot
                    await ws.send(protocol.encode({"type": "snapshot", "seq": seq, "state": state}))
                else:
                    await self._replay(client, a, b)
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("writer for %s failed; closing", client.user.name)
            await ws.close(1011, "internal error")

    async def _replay(self, client: _Client, after: int, upto: int) -> None:
        while after < upto:
            events = await asyncio.to_thread(store.read_events, self.core.db_path, after, upto, REPLAY_CHUNK)
            if not events:  # should not happen (all events are kept): fall back to a snapshot
                log.error("replay for %s: events after %d missing; sending a snapshot", client.user.name, after)
                client.queue.appendleft((_SNAPSHOT, None, None))
                return
            for event in events:
                await client.ws.send(protocol.encode({"type": "event", **event}))
            after = events[-1]["seq"]
