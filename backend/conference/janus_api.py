"""Our async client of the Janus WebSocket API (subprotocol "janus-protocol"): sessions, handles, plugin messages.

    async with JanusClient("ws://127.0.0.1:8188") as janus:
        session = await janus.create_session()            # keepalive runs by itself
        room = await session.attach("janus.plugin.videoroom")
        data = await room.request({"request": "create", "room": "CS-1", ...})   # synchronous plugin request
        data, jsep = await room.message({"request": "join", ...}, jsep=offer)    # asynchronous: ack, then event
        event = await room.next_event()                    # unsolicited plugin / core events for this handle
        await room.detach(); await session.destroy()

Errors come back as JanusError(code, reason): core errors ({"janus": "error"}) and plugin errors
({"error_code", "error"} in the plugin data) alike; a dropped connection fails every waiting call.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from typing import Any

import websockets

log = logging.getLogger(__name__)

SUBPROTOCOL = "janus-protocol"
KEEPALIVE = 25.0  # Janus drops a session after session_timeout (60 s) without a message
DEFAULT_TIMEOUT = 10.0
CONNECTION_LOST = 599  # our code for "the WebSocket to Janus closed"


class JanusError(Exception):
    """A refusal from Janus or its plugin, or a lost connection; ``code`` as Janus numbers it."""

    def __init__(self, code: int, reason: str):
        super().__init__(f"janus error {code}: {reason}")
        self.code, self.reason = int(code), reason


def _tx() -> str:
    return secrets.token_hex(8)


def _plugin_result(msg: dict) -> tuple[dict, dict | None]:
    data = (msg.get("plugindata") or {}).get("data") or {}
    if "error_code" in data or ("error" in data and isinstance(data.get("error"), str)):
        raise JanusError(int(data.get("error_code", 0)), str(data.get("error", "plugin error")))
    return data, msg.get("jsep")


class JanusClient:
    """One WebSocket to Janus; routes answers by transaction and events by session/handle.

    Attributes:
        url: the Janus WebSocket URL.  timeout: default seconds to wait for an answer.
    """

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT):
        self.url, self.timeout = url, timeout
        self._ws: Any = None
        self._reader: asyncio.Task | None = None
        self._waiting: dict[str, tuple[asyncio.Future, bool]] = {}   # tx -> (future, wait past ack)
        self._sessions: dict[int, "Session"] = {}
        self._closed: JanusError | None = None

    async def connect(self) -> "JanusClient":
        self._ws = await asyncio.wait_for(
            websockets.connect(self.url, subprotocols=[SUBPROTOCOL], max_size=8 * 2**20, ping_interval=None,
                               open_timeout=self.timeout), self.timeout)
        self._closed = None
        self._reader = asyncio.create_task(self._read(), name="janus-api-reader")
        return self

    async def close(self) -> None:
        for session in list(self._sessions.values()):
            session._stop_keepalive()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        self._fail_all(JanusError(CONNECTION_LOST, "client closed"))

    async def __aenter__(self) -> "JanusClient":
        return await self.connect()

    async def __aexit__(self, *exc) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._ws is not None and self._closed is None

    # -- plumbing ------------------------------------------------------------------------------
    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    log.warning("janus sent non-JSON: %.200r", raw)
                    continue
                self._route(msg)
            reason = "connection closed by janus"
        except Exception as exc:  # websockets.ConnectionClosed and friends
            reason = f"connection lost ({type(exc).__name__}: {exc})"
        self._fail_all(JanusError(CONNECTION_LOST, reason))

    def _fail_all(self, error: JanusError) -> None:
        self._closed = error
        waiting, self._waiting = self._waiting, {}
        for fut, _ in waiting.values():
            if not fut.done():
                fut.set_exception(error)
        for session in list(self._sessions.values()):
            session._connection_lost(error)

    def _route(self, msg: dict) -> None:
        kind = msg.get("janus")
        tx = msg.get("transaction")
        if tx and tx in self._waiting:
            fut, past_ack = self._waiting[tx]
            if kind == "ack" and past_ack:
                return
            del self._waiting[tx]
            if not fut.done():
                if kind == "error":
                    err = msg.get("error") or {}
                    fut.set_exception(JanusError(int(err.get("code", 0)), str(err.get("reason", "error"))))
                else:
                    fut.set_result(msg)
            return
        if kind in ("ack", "keepalive") or kind is None:
            return
        session = self._sessions.get(msg.get("session_id"))
        if session is not None:
            session._event(msg)

    async def call(self, body: dict, *, past_ack: bool = False, timeout: float | None = None) -> dict:
        """Send ``body`` with a fresh transaction; return Janus's answer (past the ack if ``past_ack``)."""
        if self._ws is None:
            raise JanusError(CONNECTION_LOST, "not connected")
        if self._closed is not None:
            raise self._closed
        tx = _tx()
        fut = asyncio.get_running_loop().create_future()
        self._waiting[tx] = (fut, past_ack)
        try:
            await self._ws.send(json.dumps({**body, "transaction": tx}))
            return await asyncio.wait_for(fut, timeout or self.timeout)
        except asyncio.TimeoutError:
            raise JanusError(0, f"no answer to {body.get('janus')!r} within {timeout or self.timeout:.0f} s") from None
        except websockets.ConnectionClosed as exc:
            raise JanusError(CONNECTION_LOST, f"connection lost ({exc})") from None
        finally:
            self._waiting.pop(tx, None)

    # -- API -----------------------------------------------------------------------------------
    async def info(self) -> dict:
        return await self.call({"janus": "info"})

    async def create_session(self) -> "Session":
        answer = await self.call({"janus": "create"})
        session = Session(self, int(answer["data"]["id"]))
        self._sessions[session.id] = session
        session._start_keepalive()
        return session


class Session:
    """A Janus session: keepalive, handles, destroy.  Attributes: id."""

    def __init__(self, client: JanusClient, session_id: int):
        self.client, self.id = client, session_id
        self.handles: dict[int, "Handle"] = {}
        self._keepalive: asyncio.Task | None = None
        self.lost: JanusError | None = None

    def _start_keepalive(self) -> None:
        self._keepalive = asyncio.create_task(self._keep(), name=f"janus-keepalive-{self.id}")

    def _stop_keepalive(self) -> None:
        if self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE)
            try:
                await self.client.call({"janus": "keepalive", "session_id": self.id})
            except JanusError as exc:
                log.warning("janus session %d keepalive failed: %s", self.id, exc)
                if exc.code == CONNECTION_LOST:
                    return

    def _event(self, msg: dict) -> None:
        if msg.get("janus") == "timeout":
            self._connection_lost(JanusError(458, "session timed out"))
            return
        handle = self.handles.get(msg.get("sender"))
        if handle is not None:
            handle._events.put_nowait(msg)

    def _connection_lost(self, error: JanusError) -> None:
        self.lost = error
        self._stop_keepalive()
        for handle in self.handles.values():
            handle._events.put_nowait({"janus": "lost", "error": {"code": error.code, "reason": error.reason}})

    async def attach(self, plugin: str, *, opaque_id: str = "") -> "Handle":
        body = {"janus": "attach", "session_id": self.id, "plugin": plugin}
        if opaque_id:
            body["opaque_id"] = opaque_id
        answer = await self.client.call(body)
        handle = Handle(self, int(answer["data"]["id"]), plugin)
        self.handles[handle.id] = handle
        return handle

    async def destroy(self) -> None:
        self._stop_keepalive()
        self.client._sessions.pop(self.id, None)
        if self.lost is None and self.client.connected:
            with contextlib.suppress(JanusError):
                await self.client.call({"janus": "destroy", "session_id": self.id})


class Handle:
    """A plugin handle.  Attributes: id, plugin.  Unsolicited events queue up for ``next_event``."""

    def __init__(self, session: Session, handle_id: int, plugin: str):
        self.session, self.id, self.plugin = session, handle_id, plugin
        self._events: asyncio.Queue[dict] = asyncio.Queue()

    def _body(self, **fields: Any) -> dict:
        return {"session_id": self.session.id, "handle_id": self.id, **fields}

    async def request(self, body: dict, *, timeout: float | None = None) -> dict:
        """A synchronous plugin request (create, edit, destroy, kick, moderate, list…): its data."""
        answer = await self.session.client.call(self._body(janus="message", body=body), timeout=timeout)
        return _plugin_result(answer)[0]

    async def message(self, body: dict, *, jsep: dict | None = None,
                      timeout: float | None = None) -> tuple[dict, dict | None]:
        """An asynchronous plugin request (join, configure, publish, start…): (data, jsep) of its event."""
        fields: dict[str, Any] = {"janus": "message", "body": body}
        if jsep is not None:
            fields["jsep"] = jsep
        answer = await self.session.client.call(self._body(**fields), past_ack=True, timeout=timeout)
        return _plugin_result(answer)

    async def trickle(self, candidate: dict | None) -> None:
        """One ICE candidate ({"candidate", "sdpMid", "sdpMLineIndex"}), or None for end of candidates."""
        cand = candidate if candidate is not None else {"completed": True}
        await self.session.client.call(self._body(janus="trickle", candidate=cand))

    async def hangup(self) -> None:
        with contextlib.suppress(JanusError):
            await self.session.client.call(self._body(janus="hangup"))

    async def next_event(self, timeout: float | None = None) -> dict:
        """The next unsolicited message for this handle (plugin "event", "webrtcup", "media", "hangup",
        "detached", or {"janus": "lost"} when the connection or session went away)."""
        return await asyncio.wait_for(self._events.get(), timeout)

    async def detach(self) -> None:
        self.session.handles.pop(self.id, None)
        if self.session.lost is None and self.session.client.connected:
            with contextlib.suppress(JanusError):
                await self.session.client.call(self._body(janus="detach"))
