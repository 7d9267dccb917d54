"""The websocket hub: TLS + Origin check, login/token auth, replay or snapshot, the live change stream,
commands, per-user and per-connection limits (backend/PROTOCOL.md)."""
from __future__ import annotations

import asyncio
import collections
import logging
import ssl
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from backend.auth import User, hash_token
from backend.core import CommandError, Core
from backend.ratelimit import TokenBucket
from backend.sessions import LoginRefused, Policy, Sessions
from backend_client import protocol
from backend_client.protocol import ProtocolError

log = logging.getLogger(__name__)

AUTH_TIMEOUT = 10.0
CLOSE_AUTH = 4001
CLOSE_BUSY = 4029  # too many connections of this user: try again later
CLOSE_POLICY = 1008  # sustained rate-limit abuse, or a client that does not read its answers
WATCH_EVERY = 0.2  # logout / role change / expiry are noticed within this (the goal is < 1 s)
MAX_CONNS_PER_USER = 8
RATE, BURST = 20.0, 40.0  # frames per second per connection, burst
MAX_PENDING_FRAMES = 1000  # answers queued for a client that does not read
MAX_FRAME = 1024 * 1024  # the websocket layer cuts larger frames (close 1009); the codec refuses > 64 KiB
QUEUE_BOUND = 5000  # events waiting for one client before its backlog becomes a snapshot
REPLAY_LIMIT = 100_000  # a client further behind than this gets a snapshot instead of the replay
REPLAY_CHUNK = 1000

_EVENT, _FRAME, _SNAPSHOT, _REPLAY = range(4)
_END_MESSAGES = {
    "logged_out": "logged out", "role_changed": "your role changed: log in again",
    "disabled": "this user was disabled", "session_expired": "the session expired: log in again",
    "rate_limited": "too many frames for too long", "not_reading": "answers are not being read",
}


class _Client:
    """One authenticated connection: a bounded outgoing queue drained by its own writer task."""

    def __init__(self, ws: ServerConnection, user: User, bound: int, session: str | None = None,
                 epoch: int = 0, bucket: TokenBucket | None = None):
        self.ws, self.user, self.bound = ws, user, bound
        self.session, self.epoch, self.bucket = session, epoch, bucket  # session digest (None: a token)
        self.queue: collections.deque[tuple[int, Any, Any]] = collections.deque()
        self.events = 0  # event items in the queue
        self.overflows = 0
        self.closing = False
        self.ending: asyncio.Task | None = None
        self.wake = asyncio.Event()

    def push(self, kind: int, a: Any = None, b: Any = None) -> None:
        self.queue.append((kind, a, b))
        self.events += kind == _EVENT
        self.wake.set()

    @property
    def pending_frames(self) -> int:
        return len(self.queue) - self.events

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
                 replay_limit: int = REPLAY_LIMIT, auth_timeout: float = AUTH_TIMEOUT,
                 ssl_context: ssl.SSLContext | None = None, origins: list[str] | None = None,
                 policy: Policy | None = None, max_conns_per_user: int = MAX_CONNS_PER_USER,
                 rate: float = RATE, burst: float = BURST, clock=None):
        self.core, self.host, self.port = core, host, port
        self.queue_bound, self.replay_limit, self.auth_timeout = queue_bound, replay_limit, auth_timeout
        self.ssl, self.origins = ssl_context, list(origins or [])
        self.max_conns_per_user, self.rate, self.burst = max_conns_per_user, rate, burst
        kw = {"clock": clock} if clock is not None else {}
        self.sessions = Sessions(core.db_path, policy, commanding=lambda role: bool(core.actions_for(role)), **kw)
        self.clients: set[_Client] = set()
        self._server: Server | None = None
        self._watcher: asyncio.Task | None = None

    async def start(self) -> None:
        await self.sessions.start()
        self.core.subscribe(self._on_event)
        self.core.subscribe_status(self._on_store_status)
        # Exact Origin allow-list: no Origin (the desktop app) or one listed; anything else gets HTTP 403.
        self._server = await serve(self._handle, self.host, self.port, max_size=MAX_FRAME, ssl=self.ssl,
                                   origins=[None, *self.origins], compression=None, close_timeout=2)
        self.port = self._server.sockets[0].getsockname()[1]
        self._watcher = asyncio.create_task(self._watch(), name="hub-session-watcher")

    async def stop(self) -> None:
        self.core.unsubscribe(self._on_event)
        self.core.unsubscribe_status(self._on_store_status)
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
            self._watcher = None
        if self._server is not None:
            self._server.close()  # closes every connection with 1001 (going away)
            await self._server.wait_closed()
            self._server = None
        await self.sessions.close()

    async def _watch(self) -> None:
        """Close sockets of users logged out, changed role or disabled, and of expired sessions."""
        while True:
            await asyncio.sleep(WATCH_EVERY)
            try:
                users = await self.sessions.poll_users()
            except Exception:
                log.exception("session watcher: cannot read users")
                continue
            for client in list(self.clients):
                role, disabled, epoch = users.get(client.user.name, ("", True, -1))
                reason = ("disabled" if disabled else "role_changed" if role != client.user.role
                          else "logged_out" if epoch != client.epoch
                          else "session_expired" if self.sessions.expired(client.session) else "")
                if reason:
                    self._end(client, reason)

    def _end(self, client: _Client, code: str, close: int = CLOSE_AUTH) -> asyncio.Task | None:
        """Send error/<code> then close, in a task (the watcher must not block on a client); the
        client's own reader awaits that task before its handler returns."""
        if client.closing:
            return None
        client.closing = True
        self.clients.discard(client)
        log.info("closing %s's connection: %s", client.user.name, code)
        client.ending = asyncio.create_task(self._refuse(client.ws, code, _END_MESSAGES.get(code, code), close))
        return client.ending

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
        got = await self._authenticate(ws)
        if got is None:
            return
        user, since, digest, token = got
        try:  # what the idle lock will ask for: "password+totp", "password" or "" (log in again)
            unlock = await self.sessions.unlock_needs(user.name, user.role)
        except Exception:
            log.exception("cannot read how %s unlocks", user.name)
            unlock = ""
        if sum(c.user.name == user.name for c in self.clients) >= self.max_conns_per_user:
            await self._refuse(ws, "too_many_connections",
                               f"user {user.name} already has {self.max_conns_per_user} connections", CLOSE_BUSY)
            return
        epoch = self.sessions.users.get(user.name, ("", False, 0))[2]
        client = _Client(ws, user, self.queue_bound, digest, epoch, TokenBucket(self.rate, self.burst))
        # Same loop turn, no await: the client is registered at exactly this head seq.
        head = self.core.head_seq
        self.clients.add(client)
        ok = {"type": "auth_ok", "user": user.name, "role": user.role, "centre": self.core.centre, "seq": head,
              "relay": self.core.relay_url, "actions": self.core.actions_for(user.role), "unlock": unlock}
        if digest is not None:
            ok.update(expires=self.sessions.expires(digest), ttl=self.sessions.policy.session_ttl)
            if token:  # a new session: the token to use from now on (in place of the password / enrolment token)
                ok["session"] = token
        client.push(_FRAME, protocol.encode(ok))
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
            if client.ending is not None:  # let the error frame and the close code go out first
                await asyncio.gather(client.ending, return_exceptions=True)
        finally:
            self.clients.discard(client)
            writer.cancel()
            log.info("client %s disconnected", user.name)

    async def _authenticate(self, ws: ServerConnection) -> tuple[User, int | None, str | None, str] | None:
        """(user, since, session digest, new session token or "") or None (refused and closed)."""
        try:
            async with asyncio.timeout(self.auth_timeout):
                raw = await ws.recv()
        except TimeoutError:
            await self._refuse(ws, "auth_required", f"send an auth frame within {self.auth_timeout:g} s")
            return None
        except ConnectionClosed:
            return None
        try:
            msg = protocol.decode_client(raw) if isinstance(raw, str) else None
        except ProtocolError as exc:
            await self._refuse(ws, "auth_required", f"first frame must be auth or login ({exc.code}: {exc.message})")
            return None
        if msg is None or msg["type"] not in ("auth", "login"):
            await self._refuse(ws, "auth_required", "first frame must be a text frame of type auth or login")
            return None
        peer = str(ws.remote_address[0]) if ws.remote_address else ""
        audit_args = {"method": "password" if msg["type"] == "login" else "token", "peer": peer,
                      "client": str(msg.get("client") or "")[:100]}
        try:
            await self.sessions.poll_users()  # current epochs, so a change just before is not mistaken later
            if msg["type"] == "login":
                user, token, _expires = await self.sessions.login(msg["user"], msg["password"], msg.get("totp") or "")
                digest = hash_token(token)
            else:  # a session token resumes; an enrolment token is exchanged for a new session
                user, digest, token = await self.sessions.authenticate(msg["token"], peer)
                if token:
                    audit_args["method"] = "enrolment"
        except LoginRefused as exc:
            log.warning("auth refused from %s: %s %s", peer, exc.code, exc.user[:64])
            await self._audit(exc.user[:64], exc.role, "login", audit_args, False, exc.code)
            await self._refuse(ws, "auth_failed" if exc.code == "auth_failed" else exc.code, exc.message)
            return None
        await self._audit(user.name, user.role, "login", audit_args, True)
        return user, msg.get("since"), digest, token

    async def _audit(self, user: str, role: str, action: str, args: dict, ok: bool, detail: str = "") -> None:
        try:
            await self.core.audit(user, role, action, args, ok, detail)
        except Exception:  # the store is failing: refuse nothing more because of it, but say so
            log.exception("audit of %s by %r failed", action, user)

    async def _refuse(self, ws: ServerConnection, code: str, message: str, close: int = CLOSE_AUTH) -> None:
        try:
            await ws.send(protocol.encode(protocol.error(code, message)))
            await ws.close(close, code)
        except ConnectionClosed:
            pass

    async def _read(self, client: _Client) -> None:
        try:
            async for raw in client.ws:
                if client.closing:
                    return
                if not client.bucket.take():
                    if client.bucket.abusive:
                        self._end(client, "rate_limited", CLOSE_POLICY)
                        return
                    self._answer(client, protocol.error("rate_limited", f"more than {self.rate:g} frames/s: "
                                                        "this one was dropped; slow down"))
                    continue
                self.sessions.touch(client.session)
                if not isinstance(raw, str):
                    self._answer(client, protocol.error("bad_json", "text frames only"))
                    continue
                try:
                    msg = protocol.decode_client(raw)
                except ProtocolError as exc:
                    self._answer(client, protocol.error(exc.code, exc.message))
                    continue
                kind = msg["type"]
                if kind == "ping":
                    self._answer(client, {"type": "pong"})
                elif kind in ("auth", "login"):
                    self._answer(client, protocol.error("bad_type", "already authenticated"))
                elif kind == "session":
                    self._answer(client, {"type": "session", "expires": self.sessions.expires(client.session)})
                elif kind == "unlock":
                    code = msg.get("totp") if isinstance(msg.get("totp"), str) else ""
                    ok = await self.sessions.check_unlock(client.user.name, msg["password"], code[:16])
                    await self._audit(client.user.name, client.user.role, "unlock", {}, ok, "" if ok else "auth_failed")
                    self._answer(client, protocol.result_ok(msg["id"], {"unlocked": True}) if ok else
                                 protocol.result_error(msg["id"], "auth_failed", "wrong password or code"))
                elif kind == "logout":
                    await self._logout(client)
                    return
                else:
                    self._answer(client, await self._command(client.user, msg))
        except ConnectionClosed:
            pass

    def _answer(self, client: _Client, msg: dict) -> None:
        if client.pending_frames >= MAX_PENDING_FRAMES:  # it sends but does not read: never grow without bound
            self._end(client, "not_reading", CLOSE_POLICY)
            return
        client.push(_FRAME, protocol.encode(msg))

    async def _logout(self, client: _Client) -> None:
        await self._audit(client.user.name, client.user.role, "logout", {}, True)
        if client.session is not None:
            await self.sessions.end(client.session)
        for other in list(self.clients):  # every socket on the same session ends with it
            if other is client or (client.session is not None and other.session == client.session):
                self._end(other, "logged_out")

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
            events = await asyncio.to_thread(self.core.store.read_events, after, upto, REPLAY_CHUNK)
            if not events:  # should not happen (all events are kept): fall back to a snapshot
                log.error("replay for %s: events after %d missing; sending a snapshot", client.user.name, after)
                client.queue.appendleft((_SNAPSHOT, None, None))
                return
            for event in events:
                await client.ws.send(protocol.encode({"type": "event", **event}))
            after = events[-1]["seq"]
