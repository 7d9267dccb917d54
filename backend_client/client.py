"""The hub client: one resumable websocket session to the backend, in pure asyncio (no Qt).

It runs on the qasync loop in the app and on a plain asyncio loop in tests. See backend/PROTOCOL.md.

    client = HubClient("ws://127.0.0.1:8765", token, "console@host", on_message=store.apply_message)
    client.start()                       # background task: connect, auth, reconnect with back-off
    result = await client.command("alert.ack", {"id": "A-17"})   # raises CommandFailed
    await client.close()

Ordering guarantees to listeners: messages arrive in hub order; an event is delivered only if its seq is
exactly last+1 (a duplicate is dropped, a gap makes the client reconnect with ``since=last``), so a
listener that applies what it is given holds the hub's state without gaps or duplicates.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import random
import ssl
from collections.abc import AsyncIterator, Callable
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.uri import parse_uri

from backend_client import protocol

log = logging.getLogger(__name__)

# connection states, as reported to on_state
CONNECTING, ONLINE, OFFLINE, AUTH_FAILED = "connecting", "online", "offline", "auth_failed"
AUTH_CLOSE_CODE = 4001  # the hub closes with this after auth_failed / auth_required
MAX_FRAME_BYTES = 64 * 1024 * 1024
# error codes after which the hub closes the session (4001): do not reconnect with the same credentials
SESSION_ENDED = frozenset({"auth_failed", "auth_required", "locked", "totp_required", "token_not_allowed",
                           "session_expired", "logged_out", "role_changed", "disabled"})  # snapshots may be large (protocol.decode_server's limit)

Listener = Callable[[dict[str, Any]], None]


def client_ssl_context(ca_file: str | os.PathLike) -> ssl.SSLContext:
    """Trust only ``ca_file`` (the hub's pinned local CA, from ``cc-backend tls init``); TLS 1.3 minimum."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    try:
        ctx.load_verify_locations(cafile=os.fspath(ca_file))
    except (ssl.SSLError, OSError) as exc:
        raise ValueError(f"CA file {os.fspath(ca_file)!r}: cannot load it ({exc})") from None
    return ctx


class CommandFailed(Exception):
    """A command did not succeed. ``code`` is the hub's error code (forbidden, bad_args, not_found, …)
    or, decided on this side, ``offline`` (not connected), ``timeout`` (no answer in time) or
    ``disconnected`` (the link dropped before the answer: the command may or may not have been applied).
    """

    def __init__(self, code: str, message: str, action: str = ""):
        super().__init__(f"{action or 'command'}: {code}: {message}")
        self.code = code
        self.message = message
        self.action = action


class AuthFailed(Exception):
    """The hub refused the token; the client stops reconnecting."""


class Backoff:
    """Exponential back-off with jitter: start, ×factor per failure, capped; reset after a stable link.

    ``next()`` gives the delay before the next attempt: nominal ``min(cap, start·factor**n)`` scaled by
    a random factor in ``[1-jitter, 1+jitter]``, never above ``cap``.
    """

    def __init__(self, start: float = 0.2, cap: float = 5.0, factor: float = 2.0, jitter: float = 0.2,
                 rng: random.Random | None = None):
        if not (0 < start <= cap) or factor < 1 or not (0 <= jitter < 1):
            raise ValueError(f"bad back-off: start={start} cap={cap} factor={factor} jitter={jitter}")
        self.start, self.cap, self.factor, self.jitter = start, cap, factor, jitter
        self._rng = rng or random.Random()
        self.failures = 0

    def nominal(self) -> float:
        return min(self.cap, self.start * self.factor ** min(self.failures, 64))

    def next(self) -> float:
        delay = self.nominal() * self._rng.uniform(1 - self.jitter, 1 + self.jitter)
        self.failures += 1
        return min(self.cap, delay)

    def reset(self) -> None:
        self.failures = 0


class _Reconnect(Exception):
    """Internal: drop this connection and open a new one (gap, bad hub behaviour)."""


class HubClient:
    """A websocket session to the hub that survives restarts and resumes from the last applied seq.

    Attributes:
        state: "connecting" | "online" | "offline" | "auth_failed" (``OFFLINE`` also after close()).
        last_seq: seq of the last snapshot/event delivered, or None before the first snapshot.
        session: the last auth_ok message (user, role, centre, seq, relay, actions), or None.
        connects: how many times auth succeeded (1 + number of resumes).
        auth_error: the hub's message when the token was refused. auth_code: its error code (auth_failed,
            locked, totp_required, token_not_allowed, session_expired, logged_out, role_changed, disabled).
        token: the token in use (after a password login, the session token). session_expires: its expiry.
    Callbacks (called synchronously, in order, on the loop): ``on_message(msg)`` for every decoded
    server message that passed the ordering checks (auth_ok, snapshot, event, error, pong — results go
    to the awaiting ``command()``), ``on_state(state)`` on every state change. Exceptions raised by a
    callback are logged and do not break the session.
    """

    def __init__(self, url: str, token: str, client_name: str = "", *, since: int | None = None,
                 on_message: Listener | None = None, on_state: Callable[[str], None] | None = None,
                 backoff: Backoff | None = None, stable_after: float = 5.0, auth_timeout: float = 10.0,
                 ping_interval: float | None = 10.0, ping_timeout: float | None = 10.0,
                 proxy: str | None = None, ssl_context: ssl.SSLContext | None = None,
                 login: tuple[str, str, str] | None = None, keep_alive: bool = True):
        try:
            parse_uri(url)
        except InvalidURI as exc:
            raise ValueError(f"hub URL {url!r}: {exc} (expected ws://HOST:PORT)") from None
        if url.startswith("wss://") and ssl_context is None:
            raise ValueError(f"hub URL {url!r}: wss:// needs the hub's CA (cc-app --ca FILE)")
        self.url, self._token, self.client_name = url, token, client_name
        self._ssl = ssl_context if url.startswith("wss://") else None
        self._login = login  # (user, password, code): used once, then the session token replaces it
        # An enrolment token (cc-backend user add) is exchanged by the hub for an expiring session token;
        # the client resumes with that session and falls back to the enrolment token when it expired.
        self._enrolment = token if login is None else ""
        self._keep_alive = keep_alive  # enrolment sessions: refresh the session while connected
        self._ttl: float | None = None
        self.session_expires: float | None = None
        self.last_seq: int | None = since
        self.state = OFFLINE
        self.session: dict[str, Any] | None = None
        self.connects = 0
        self.auth_error = ""
        self.auth_code = ""  # auth_failed, locked, totp_required, session_expired, logged_out, role_changed …
        self._listeners: list[Listener] = [on_message] if on_message else []
        self._state_listeners: list[Callable[[str], None]] = [on_state] if on_state else []
        self._queues: list[asyncio.Queue] = []
        self._backoff = backoff or Backoff()
        self._stable_after, self._auth_timeout = stable_after, auth_timeout
        self._ping_interval, self._ping_timeout = ping_interval, ping_timeout
        self._proxy = proxy  # the hub is on the LAN: never through a system proxy unless asked
        self._ws: Any = None
        self._pending: dict[str, tuple[str, asyncio.Future]] = {}
        self._ids = itertools.count(1)
        self._task: asyncio.Task | None = None
        self._closing = False
        self._online = asyncio.Event()

    # ---- listeners ---------------------------------------------------------------------------
    def add_listener(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def remove_listener(self, fn: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(fn)

    def add_state_listener(self, fn: Callable[[str], None]) -> None:
        self._state_listeners.append(fn)

    def messages(self) -> AsyncIterator[dict[str, Any]]:
        """An async iterator over every message delivered from this call on; it ends at close().

        ``async for msg in client.messages(): ...`` — registered at once, so nothing is missed between
        this call and the first ``await``.
        """
        queue: asyncio.Queue = asyncio.Queue()
        self._queues.append(queue)
        return self._drain(queue)

    async def _drain(self, queue: asyncio.Queue) -> AsyncIterator[dict[str, Any]]:
        try:
            while True:
                msg = await queue.get()
                if msg is None:
                    return
                yield msg
        finally:
            with contextlib.suppress(ValueError):
                self._queues.remove(queue)

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Task:
        """Run the session in a background task (idempotent) on ``loop``, by default the running one."""
        if self._task is None or self._task.done():
            self._closing = False
            loop = loop or asyncio.get_running_loop()
            self._task = loop.create_task(self.run(), name=f"hub-client {self.url}")
        return self._task

    async def run(self) -> None:
        """Connect, serve, reconnect with back-off until close() or auth failure."""
        while not self._closing:
            self._set_state(CONNECTING)
            started = None
            try:
                async with websockets.connect(
                    self.url, max_size=MAX_FRAME_BYTES, open_timeout=self._auth_timeout,
                    ping_interval=self._ping_interval, ping_timeout=self._ping_timeout,
                    compression=None, close_timeout=2.0, proxy=self._proxy, ssl=self._ssl,
                ) as ws:
                    self._ws = ws
                    await self._authenticate(ws)
                    started = asyncio.get_running_loop().time()
                    await self._serve(ws)
            except AuthFailed as exc:
                if self._enrolment and self._token != self._enrolment and \
                        self.auth_code in ("session_expired", "auth_failed"):
                    log.info("hub %s: session ended (%s); authenticating again with the enrolment token",
                             self.url, self.auth_code)
                    self._token = self._enrolment  # transparent: no auth_failed state, resume from last_seq
                    self._drop_connection("disconnected")
                    continue
                self.auth_error = str(exc)
                log.warning("hub %s refused the token: %s", self.url, exc)
                self._drop_connection("auth_failed")
                self._set_state(AUTH_FAILED)
                return
            except asyncio.CancelledError:
                self._drop_connection("closed")
                raise
            except (_Reconnect, ConnectionClosed, InvalidHandshake, OSError, asyncio.TimeoutError,
                    protocol.ProtocolError) as exc:
                log.info("hub %s: connection lost (%s: %s)", self.url, type(exc).__name__, exc)
            except Exception:  # whatever else goes wrong, keep the session alive and retry
                log.exception("hub %s: unexpected error; reconnecting", self.url)
            self._drop_connection("disconnected")
            if self._closing:
                break
            self._set_state(OFFLINE)
            if started is not None and asyncio.get_running_loop().time() - started >= self._stable_after:
                self._backoff.reset()
            await asyncio.sleep(self._backoff.next())
        self._set_state(OFFLINE)

    async def close(self) -> None:
        """Stop for good: close the socket, fail pending commands, end message iterators."""
        self._closing = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._drop_connection("closed")
        if self.state != AUTH_FAILED:
            self._set_state(OFFLINE)
        for queue in list(self._queues):
            queue.put_nowait(None)

    async def wait_online(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._online.wait(), timeout)

    # ---- commands ----------------------------------------------------------------------------
    async def command(self, action: str, args: dict[str, Any] | None = None, timeout: float = 10.0) -> Any:
        """Send one command and wait for its result; raise CommandFailed(code, message) on failure."""
        ws = self._ws
        if ws is None or self.state != ONLINE:
            raise CommandFailed("offline", "not connected to the hub", action)
        cmd_id = f"c-{next(self._ids)}"
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[cmd_id] = (action, fut)
        try:
            try:
                await ws.send(protocol.encode(protocol.command(cmd_id, action, args)))
            except ConnectionClosed:
                raise CommandFailed("offline", "not connected to the hub", action) from None
            except (TypeError, ValueError) as exc:  # args that are not JSON
                raise CommandFailed("bad_args", f"cannot encode the arguments: {exc}", action) from None
            try:
                msg = await asyncio.wait_for(asyncio.shield(fut), timeout)
            except asyncio.TimeoutError:
                raise CommandFailed("timeout", f"no answer from the hub within {timeout:g} s", action) from None
        finally:
            self._pending.pop(cmd_id, None)
        if msg.get("ok"):
            return msg.get("result")
        err = msg.get("error") if isinstance(msg.get("error"), dict) else {}
        raise CommandFailed(str(err.get("code", "internal")), str(err.get("message", "")), action)

    async def ping(self, timeout: float = 10.0) -> None:
        """Send an application-level ping (the pong goes to listeners)."""
        if self._ws is None:
            raise CommandFailed("offline", "not connected to the hub", "ping")
        await asyncio.wait_for(self._ws.send(protocol.encode({"type": "ping"})), timeout)

    # ---- internals ---------------------------------------------------------------------------
    @property
    def token(self) -> str:
        """The token in use: the long-lived one given, or the session token a login returned."""
        return self._token

    async def logout(self) -> None:
        """End this session on the hub (its sockets close) and stop."""
        if self._ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self._ws.send(protocol.encode({"type": "logout"}))
        await self.close()

    async def unlock(self, password: str, timeout: float = 15.0, totp: str = "") -> bool:
        """Ask the hub whether ``password`` (and the one-time code ``totp``, needed where the session's
        auth_ok says ``"unlock": "password+totp"``) are this user's (the idle lock); False if not."""
        ws = self._ws
        if ws is None or self.state != ONLINE:
            raise CommandFailed("offline", "not connected to the hub", "unlock")
        cmd_id = f"u-{next(self._ids)}"
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[cmd_id] = ("unlock", fut)
        try:
            frame = {"type": "unlock", "id": cmd_id, "password": password}
            if totp:
                frame["totp"] = totp
            await ws.send(protocol.encode(frame))
            msg = await asyncio.wait_for(asyncio.shield(fut), timeout)
        finally:
            self._pending.pop(cmd_id, None)
        return bool(msg.get("ok"))

    async def refresh(self) -> None:
        """Tell the hub the session is in use (pushes its expiry out)."""
        if self._ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self._ws.send(protocol.encode({"type": "session"}))

    async def _authenticate(self, ws) -> None:
        if self._login is not None and not self._token:
            user, password, code = self._login
            first = protocol.login(user, password, code, self.last_seq, self.client_name)
        else:
            first = protocol.auth(self._token, self.last_seq, self.client_name)
        await ws.send(protocol.encode(first))
        try:
            raw = await asyncio.wait_for(ws.recv(), self._auth_timeout)
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code == AUTH_CLOSE_CODE:
                raise AuthFailed(exc.rcvd.reason or "closed by the hub (4001)") from None
            raise
        msg = protocol.decode_server(raw)
        if msg["type"] == "error" and msg["code"] == "too_many_connections":
            raise _Reconnect(msg["message"])
        if msg["type"] == "error":
            self.auth_code = msg["code"]
            raise AuthFailed(msg["message"])
        if msg["type"] != "auth_ok":
            raise _Reconnect(f"expected auth_ok, got {msg['type']}")
        if isinstance(msg.get("session"), str):
            self._token, self._login = msg["session"], None  # forget the password
        if isinstance(msg.get("expires"), (int, float)):
            self.session_expires = float(msg["expires"])
        self._ttl = float(msg["ttl"]) if isinstance(msg.get("ttl"), (int, float)) and msg["ttl"] > 0 else None
        self.auth_code = ""
        self.session = msg
        self.connects += 1
        self._deliver(msg)
        self._set_state(ONLINE)

    async def _keep_session(self, ws) -> None:
        """An enrolment (kiosk) session is in use as long as it is connected: refresh it at ttl/3."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(max(0.5, (self._ttl or 1800.0) / 3))
                await ws.send(protocol.encode({"type": "session"}))

    async def _serve(self, ws) -> None:
        keeper = asyncio.create_task(self._keep_session(ws)) \
            if self._enrolment and self._keep_alive and self._ttl else None
        try:
            async for raw in ws:
                try:
                    msg = protocol.decode_server(raw)
                except protocol.ProtocolError as exc:
                    log.warning("hub %s sent a bad frame (%s): %s", self.url, exc.code, exc)
                    continue
                self._handle(msg)
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code == AUTH_CLOSE_CODE:
                raise AuthFailed(exc.rcvd.reason or "session closed by the hub (4001)") from None
            raise
        finally:
            if keeper is not None:
                keeper.cancel()
        # iteration ended: the hub closed normally
        rcvd = ws.close_code
        if rcvd == AUTH_CLOSE_CODE:
            raise AuthFailed(ws.close_reason or "session closed by the hub (4001)")

    def _handle(self, msg: dict[str, Any]) -> None:
        kind = msg["type"]
        if kind == "result":
            entry = self._pending.get(msg["id"])
            if entry is not None and not entry[1].done():
                entry[1].set_result(msg)
            return
        if kind == "event":
            seq = msg["seq"]
            if self.last_seq is None:
                raise _Reconnect(f"event seq {seq} before any snapshot")
            if seq <= self.last_seq:
                log.debug("hub %s: duplicate event seq %d (last %d) dropped", self.url, seq, self.last_seq)
                return
            if seq != self.last_seq + 1:
                raise _Reconnect(f"gap: event seq {seq} after {self.last_seq}")
            self.last_seq = seq
        elif kind == "snapshot":
            self.last_seq = msg["seq"]
        elif kind == "error" and msg["code"] in SESSION_ENDED:
            self.auth_code = msg["code"]
            raise AuthFailed(msg["message"])
        elif kind == "session" and isinstance(msg.get("expires"), (int, float)):
            self.session_expires = float(msg["expires"])
        elif kind == "error":
            log.warning("hub %s reported %s: %s", self.url, msg["code"], msg["message"])
        self._deliver(msg)

    def _deliver(self, msg: dict[str, Any]) -> None:
        for fn in list(self._listeners):
            try:
                fn(msg)
            except Exception:  # a listener bug must not break the session
                log.exception("hub listener %r failed on a %s message", fn, msg.get("type"))
        for queue in self._queues:
            queue.put_nowait(msg)

    def _drop_connection(self, why: str) -> None:
        self._ws = None
        for action, fut in list(self._pending.values()):
            if not fut.done():
                code = "disconnected" if why == "disconnected" else "offline"
                fut.set_exception(CommandFailed(code, f"connection to the hub {why} before the answer", action))
                fut.exception()  # mark retrieved; the waiting command() re-raises it
        self._pending.clear()

    def _set_state(self, state: str) -> None:
        if state == ONLINE:
            self._online.set()
        else:
            self._online.clear()
        if state == self.state:
            return
        self.state = state
        for fn in list(self._state_listeners):
            try:
                fn(state)
            except Exception:
                log.exception("hub state listener %r failed on %s", fn, state)

