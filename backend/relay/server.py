"""The relay's HTTP side: play URLs and health for tiles (user token), a control API for the backend (secret).

Public:  GET /cam/<id>.ts?token=T[&stream=sub]  → MPEG-TS, endless;   GET /health?token=T → JSON list.
         GET /cam/<id>.ts?token=T&transport=udp → 307 to udp://@GROUP:PORT (starts/renews its multicast).
         GET /play/<id>?token=T[&stream=sub][&rtsp=1] → {"transport", "url"}: the URL a tile should play
         (the camera's own RTSP URL only where direct RTSP is allowed and the client can play it: direct.py).
Control (header ``X-Relay-Secret``): GET /control/ping, POST /control/config, GET /control/health,
GET /control/views?after=N, POST /control/views/ack?upto=N, POST /control/shutdown,
GET /control/tokens/wait?timeout=S (long poll: answers when a request came with a token the relay does not
know yet, so the backend pushes its new sessions at once; that request waits up to TOKEN_WAIT_S for them),
GET /control/health/wait?after=V&timeout=S (long poll: {"version", "views", "cameras"} as soon as the health
differs from version V in what the backend publishes at once: a state, error, viewer count, reconnect, codec,
multicast group, or a new view record; else after S seconds, with fresh numbers. The backend's one health
call, instead of polling /control/health twice a second: that cost the relay as much as a third of its own
CPU, a new connection and every camera's health each time).

View records (``/control/views``) have ``event`` "start" (a user began watching: HTTP play, multicast
request, direct URL handed out; with the viewer's ``peer`` address), "end" (with ``end`` and ``bytes``) or
"refused" (a direct URL asked for by a user not allowed one).
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import socket
import time
import uuid
from collections import deque
from dataclasses import fields
from urllib.parse import parse_qs, quote, unquote, urlsplit

from backend.relay import multicast
from backend.relay import pump as pumps
from backend.relay.channel import GOP_MODES, Channel, Settings, Viewer
from backend.relay.direct import choose_play
from backend.relay.tokens import TokenBook

log = logging.getLogger(__name__)

MAX_BODY = 4 << 20
MAX_VIEWS_KEPT = 20_000
TICK_S = 1.0  # see _tick_loop
STARTING_TICK_S = 0.25  # while a pull is in its first 2 s
STREAMS = ("main", "sub")
_FULL_ONLY = ("gop_bytes", "pulls", "native")  # in /control/health only, not in what users get


class HttpError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


_REASONS = {200: "OK", 307: "Temporary Redirect", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 413: "Payload Too Large", 503: "Service Unavailable"}


def _response(status: int, body: bytes, ctype: str = "application/json", extra: str = "") -> bytes:
    head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: {ctype}\r\n{extra}"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n")
    return head.encode("ascii") + body


def _json(status: int, value) -> bytes:
    return _response(status, json.dumps(value, ensure_ascii=False).encode("utf-8"))


class RelayServer:
    """All channels of all cameras, the token list, the view records, and the HTTP listener.

    Attributes:
        cameras: {camera id: {"main": Channel, "sub": Channel}} (sub only when configured).
        settings: the relay-wide Settings.  instance: a random id of this relay process.
        port: the bound port after start().
    """

    def __init__(self, host: str, port: int, secret: str, settings: Settings | None = None,
                 orphan_timeout_s: float = 0.0):
        self.host, self.port, self._secret = host, port, secret
        self.settings = settings or Settings()
        self.instance = uuid.uuid4().hex[:12]
        self.cameras: dict[str, dict[str, Channel]] = {}
        self._tokens = TokenBook()
        self._views: deque[dict] = deque(maxlen=MAX_VIEWS_KEPT)
        self._view_seq = 0
        self._health_version = 0  # /control/health/wait: bumped when _health_signature() or the views change
        self._health_sig: tuple = ()
        self._health_changed = asyncio.Event()  # set (and replaced) at every bump
        self._server: asyncio.base_events.Server | None = None
        self._ticker: asyncio.Task | None = None
        self._tick_wake: asyncio.Future | None = None  # the ticker's sleep; done: tick now
        self._change_noted = False  # a _publish_change is scheduled
        self._last_control = time.monotonic()
        self._orphan_timeout = orphan_timeout_s
        self._leases = multicast.Leases()
        self._extras: dict[str, dict] = {}  # per camera: multicast, sub_multicast, direct_rtsp
        self.stopped = asyncio.Event()

    # ---- life --------------------------------------------------------------------------------
    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port, limit=1 << 16,
                                                  reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ticker = asyncio.create_task(self._tick_loop(), name="relay-ticker")

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        for streams in self.cameras.values():
            for ch in streams.values():
                await ch.close("shutdown")
        self.stopped.set()

    async def _tick_loop(self) -> None:
        """Once a second: scan what each pull sent (GOP cache, rates), timeouts (connect, stall, linger,
        multicast leases), and publish what changed. A camera that stops sending is found by the pump, and
        state and viewer changes are published when they happen (``Channel(on_change=...)``), so nothing
        here needs to run more often, except in a pull's first seconds, so that its rates are known at once."""
        loop, wait = asyncio.get_running_loop(), TICK_S
        while True:
            self._tick_wake = woken = loop.create_future()
            timer = loop.call_later(wait, lambda: woken.done() or woken.set_result(None))
            try:
                await woken
            finally:
                timer.cancel()
            now = time.monotonic()
            self._leases.expire(self.cameras, now)
            channels = list(self._channels())
            wait = STARTING_TICK_S if self._starting(now) else TICK_S
            with pumps.LOCK:  # one hand-over with the pump's thread for all cameras
                idle = [ch for ch in channels if ch.tick(now)]
            for ch in idle:
                log.info("camera %s/%s: no viewers for %.0f s: stopping the pull", ch.cam_id, ch.stream,
                         self.settings.linger_s)
                await ch.stop()
            self._note_health()
            if self._orphan_timeout and now - self._last_control > self._orphan_timeout and \
                    not any(ch.viewers for ch in self._channels()):
                log.warning("no backend for %.0f s and no viewers: exiting", self._orphan_timeout)
                asyncio.get_running_loop().call_soon(self.stopped.set)

    # ---- configuration -----------------------------------------------------------------------
    async def configure(self, config: dict, from_backend: bool = True) -> dict:
        """Apply {"cameras": [{"id","url","sub_url"}], "tokens": {sha256: user}, "settings": {...}};
        ``from_backend`` False: read from ``--config`` at start (no backend is known to listen for tokens)."""
        if not isinstance(config, dict):
            raise HttpError(400, "config: expected a JSON object")
        if "settings" in config:
            self._apply_settings(config["settings"])
        if "tokens" in config:
            tokens = config["tokens"]
            if not isinstance(tokens, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                       for k, v in tokens.items()):
                raise HttpError(400, "config.tokens: expected {sha256 hex: user name}")
            answers = config.get("answers")
            if answers is not None and (not isinstance(answers, int) or isinstance(answers, bool)):
                raise HttpError(400, "config.answers: expected the serial from /control/tokens/wait")
            self._tokens.set_tokens(tokens, answers, from_backend)
        if "direct_users" in config:
            users = config["direct_users"]
            if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
                raise HttpError(400, "config.direct_users: expected a list of user names")
            self._tokens.direct_users = frozenset(users)
        if "cameras" in config:
            await self._apply_cameras(config["cameras"])
        self._assign_groups()
        return {"ok": True, "cameras": len(self.cameras), "tokens": len(self._tokens)}

    def _apply_settings(self, values) -> None:
        if not isinstance(values, dict):
            raise HttpError(400, "config.settings: expected an object")
        known = {f.name: f.type for f in fields(Settings)}
        for key, value in values.items():
            if key not in known or key == "backoff_s":
                raise HttpError(400, f"config.settings.{key}: unknown setting")
            if key in multicast.OUTPUT_SETTINGS:
                try:
                    multicast.check_setting(key, value)
                except ValueError as exc:
                    raise HttpError(400, f"config.settings.{exc}") from None
                continue
            if key == "gop_mode" and value not in GOP_MODES:
                raise HttpError(400, f"config.settings.gop_mode: expected one of {', '.join(GOP_MODES)}")
            if key == "rtsp_transport" and value not in ("tcp", "udp"):
                raise HttpError(400, "config.settings.rtsp_transport: expected tcp or udp")
            if key not in ("gop_mode", "rtsp_transport") and (isinstance(value, bool) or
                                                               not isinstance(value, (int, float)) or value < 0):
                raise HttpError(400, f"config.settings.{key}: expected a number >= 0")
        for key, value in values.items():
            setattr(self.settings, key, value)
        if "batch_ms" in values:
            pumps.shared().interval = self.settings.batch_ms / 1000

    async def _apply_cameras(self, cams) -> None:
        if not isinstance(cams, list):
            raise HttpError(400, "config.cameras: expected a list")
        wanted: dict[str, dict[str, str]] = {}
        extras: dict[str, dict] = {}
        for i, cam in enumerate(cams):
            if not isinstance(cam, dict) or not isinstance(cam.get("id"), str) or not cam["id"]:
                raise HttpError(400, f"config.cameras[{i}].id: expected a non-empty string")
            if not isinstance(cam.get("url"), str) or not cam["url"]:
                raise HttpError(400, f"config.cameras[{i}].url: expected a non-empty string")
            urls = {"main": cam["url"]}
            if isinstance(cam.get("sub_url"), str) and cam["sub_url"]:
                urls["sub"] = cam["sub_url"]
            wanted[cam["id"]] = urls
            try:
                extras[cam["id"]] = multicast.camera_options(cam, f"config.cameras[{i}]")
            except ValueError as exc:
                raise HttpError(400, str(exc)) from None
        for cam_id in [c for c in self.cameras if c not in wanted]:
            for ch in self.cameras.pop(cam_id).values():
                await ch.close("removed")
        for cam_id, urls in wanted.items():
            streams = self.cameras.setdefault(cam_id, {})
            for stream in [s for s in streams if s not in urls]:
                await streams.pop(stream).close("removed")
            for stream, url in urls.items():
                if stream in streams:
                    await streams[stream].set_url(url)
                else:
                    streams[stream] = Channel(cam_id, stream, url, self.settings, self._record_view,
                                              self._channel_changed)
        self._extras = extras

    def _assign_groups(self) -> None:
        """Per-camera options onto the channels: direct RTSP, the camera's group or one from the range."""
        for index, (cam_id, streams) in enumerate(self.cameras.items()):
            extras = self._extras.get(cam_id, {})
            for stream, ch in streams.items():
                ch.direct_rtsp = extras.get("direct_rtsp")
                ch.multicast = extras.get("multicast" if stream == "main" else "sub_multicast")
                if ch.multicast is None and self.settings.multicast_range:
                    try:
                        ch.multicast = multicast.allocate(self.settings.multicast_range, index, stream == "sub")
                    except ValueError as exc:
                        log.warning("camera %s/%s: %s", cam_id, stream, exc)

    # ---- views and health ----------------------------------------------------------------------
    def _record_view(self, viewer: Viewer, event: str = "end") -> None:
        """One view record: "start" when a user begins watching, "end" when a viewer or sender ends,
        "refused" when a direct URL was asked for and not given."""
        self._view_seq += 1
        self._views.append({"seq": self._view_seq, "event": event, "user": viewer.user, "camera": viewer.camera,
                            "stream": viewer.stream, "peer": viewer.peer, "start": round(viewer.start, 3),
                            "end": round(time.time(), 3) if event == "end" else None, "bytes": viewer.bytes,
                            "reason": viewer.reason, "transport": viewer.kind})
        self._bump_health()  # the backend audits it now, not at its next poll

    def _health_signature(self) -> tuple:
        """What the backend publishes at once when it changes (numbers wait for the long poll's timeout)."""
        return tuple((cam_id, stream, ch.state, ch.error, len(ch.viewers), ch.reconnects, ch.codec, ch.transcode,
                      _group_url(ch.multicast), self._leases.active(cam_id, stream))
                     for cam_id, streams in self.cameras.items() for stream, ch in streams.items())

    def _channel_changed(self) -> None:
        """A channel's state or viewers changed: publish it (once for all changes in one turn of the loop: a
        wall switching its layout adds and drops dozens of viewers at once), and tick soon when a pull just
        went live."""
        if not self._change_noted:
            self._change_noted = True
            asyncio.get_running_loop().call_soon(self._publish_change)

    def _publish_change(self) -> None:
        self._change_noted = False
        self._note_health()
        now = time.monotonic()
        if self._tick_wake is not None and not self._tick_wake.done() and self._starting(now):
            self._tick_wake.set_result(None)

    def _channels(self):
        """Every camera's channels (main, and sub where configured)."""
        return (ch for streams in self.cameras.values() for ch in streams.values())

    def _starting(self, now: float) -> bool:
        """A pull is in its first seconds: the tick runs every STARTING_TICK_S, so its rates are known soon."""
        return any(ch.starting(now) for ch in self._channels())

    def _note_health(self) -> None:
        sig = self._health_signature()
        if sig != self._health_sig:
            self._health_sig = sig
            self._bump_health()

    def _bump_health(self) -> None:
        self._health_version += 1
        changed, self._health_changed = self._health_changed, asyncio.Event()
        changed.set()

    async def _wait_health(self, query: dict) -> dict:
        try:
            after = int((query.get("after") or ["-1"])[0])
            timeout = float((query.get("timeout") or ["2"])[0])
        except ValueError:
            raise HttpError(400, "health/wait: after must be an integer, timeout a number of seconds") from None
        self._note_health()  # a change since the last tick answers at once
        if after == self._health_version:  # another number (-1, another relay's): answered at once
            try:
                await asyncio.wait_for(self._health_changed.wait(), max(0.0, min(timeout, 30.0)))
            except asyncio.TimeoutError:
                pass
        return {"version": self._health_version, "views": self._view_seq, "instance": self.instance,
                "cameras": self.health(full=True)}

    def health(self, full: bool = False) -> list[dict]:
        out = []
        for cam_id, streams in self.cameras.items():
            main = streams["main"].health()
            main.pop("stream")
            main["multicast"] = self._leases.active(cam_id, "main")
            main["group"] = _group_url(streams["main"].multicast)
            if "sub" in streams:
                sub = streams["sub"].health()
                main["sub"] = {k: v for k, v in sub.items() if k not in ("id", "stream") and (full or k not in _FULL_ONLY)}
                main["sub"]["multicast"] = self._leases.active(cam_id, "sub")
                main["sub"]["group"] = _group_url(streams["sub"].multicast)
            if not full:
                for key in _FULL_ONLY:
                    main.pop(key, None)
            out.append(main)
        return out

    # ---- HTTP ----------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                method, target, headers = await asyncio.wait_for(self._read_head(reader), 10.0)
                body = b""
                length = int(headers.get("content-length", "0") or 0)
                if length > MAX_BODY:
                    raise HttpError(413, "body too large")
                if length:
                    body = await asyncio.wait_for(reader.readexactly(length), 10.0)
                await self._route(method, target, headers, body, reader, writer)
            except HttpError as exc:
                writer.write(_json(exc.status, {"error": exc.message}))
            except (asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                writer.write(_json(400, {"error": "bad request"}))
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        except Exception:
            log.exception("request failed")
        finally:
            writer.close()

    @staticmethod
    async def _read_head(reader: asyncio.StreamReader) -> tuple[str, str, dict]:
        line = (await reader.readline()).decode("latin-1").strip()
        parts = line.split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            raise ValueError("bad request line")
        headers = {}
        for _ in range(100):
            h = (await reader.readline()).decode("latin-1").strip()
            if not h:
                break
            name, _, value = h.partition(":")
            headers[name.strip().lower()] = value.strip()
        return parts[0].upper(), parts[1], headers

    async def _route(self, method, target, headers, body, reader, writer) -> None:
        url = urlsplit(target)
        path, query = unquote(url.path), parse_qs(url.query)
        if path.startswith("/control/"):
            if not hmac.compare_digest(headers.get("x-relay-secret", "").encode(), self._secret.encode()):
                raise HttpError(403, "control: wrong or missing secret")
            self._last_control = time.monotonic()
            writer.write(await self._control(method, path, query, body))
            return
        if method not in ("GET", "HEAD"):
            raise HttpError(405, "only GET")
        user = await self._user(query)
        peername = writer.get_extra_info("peername")
        peer = str(peername[0]) if peername else ""
        if path == "/health":
            writer.write(_json(200, self.health()))
        elif path.startswith("/play/"):
            writer.write(self._play_url(path[len("/play/"):], query, user, headers.get("host", ""), peer))
        elif path.startswith("/cam/") and path.endswith(".ts") and (query.get("transport") or [""])[0] == "udp":
            writer.write(self._multicast(path[len("/cam/"):-len(".ts")], query, user, peer))
        elif path.startswith("/cam/") and path.endswith(".ts"):
            await self._play(path[len("/cam/"):-len(".ts")], query, user, method, reader, writer, peer)
        else:
            raise HttpError(404, f"no such page: {path}")

    async def _user(self, query: dict) -> str:
        user = await self._tokens.user((query.get("token") or [""])[0])
        if user is None:
            raise HttpError(401, "missing or unknown token")
        return user

    def _channel(self, cam_id: str, query: dict) -> Channel:
        stream = (query.get("stream") or ["main"])[0]
        if stream not in STREAMS:
            raise HttpError(400, f"stream: expected main or sub, got {stream!r}")
        streams = self.cameras.get(cam_id)
        if streams is None:
            raise HttpError(404, f"unknown camera {cam_id!r}")
        channel = streams.get(stream)
        if channel is None:
            raise HttpError(404, f"camera {cam_id!r} has no {stream} stream")
        return channel

    def _multicast(self, cam_id: str, query: dict, user: str, peer: str = "") -> bytes:
        """Start (or renew the lease of) the camera's multicast sender; 307 to its udp:// URL."""
        channel = self._channel(cam_id, query)
        if channel.multicast is None:
            raise HttpError(404, f"camera {cam_id!r} has no multicast group for its {channel.stream} stream")
        try:
            out, new_user = self._leases.renew(channel, user, self.settings, time.monotonic(),
                                     lambda w: Viewer(user, cam_id, channel.stream, w, kind="udp", peer=peer))
        except OSError as exc:
            iface = f" on interface {self.settings.multicast_iface}" if self.settings.multicast_iface else ""
            raise HttpError(503, f"cannot send to {channel.multicast[0]}{iface}: {exc.strerror or exc}") from None
        if new_user:  # who asked for the group, from where (once per user and sender, not every renewal)
            self._record_view(Viewer(user, cam_id, channel.stream, None, reason="multicast_request", kind="udp",
                                     peer=peer), "start")
        body = json.dumps({"transport": "udp", "url": out.url, "ttl": int(self.settings.multicast_ttl),
                           "lease_s": self.settings.multicast_lease_s}).encode("utf-8")
        return _response(307, body, extra=f"Location: {out.url}\r\n")

    def _play_url(self, cam_id: str, query: dict, user: str, host: str, peer: str = "") -> bytes:
        """Which URL this client should play: the relay's, or (only where allowed) the camera's own."""
        channel = self._channel(cam_id, query)
        token = (query.get("token") or [""])[0]
        base = f"http://{host}" if host else f"http://{self.host}:{self.port}"
        relay_url = f"{base}/cam/{quote(cam_id)}.ts?token={quote(token)}" + ("&stream=sub" if channel.stream == "sub" else "")
        client_rtsp = (query.get("rtsp") or ["0"])[0] == "1"
        kind, url = choose_play(channel.url, bool(self.settings.direct_rtsp), channel.direct_rtsp,
                                client_rtsp and user in self._tokens.direct_users, relay_url)
        if kind == "rtsp-direct":
            self._record_view(Viewer(user, cam_id, channel.stream, None, reason="direct_url", kind=kind, peer=peer),
                              "start")
            log.info("camera %s/%s: direct RTSP URL handed to %s", cam_id, channel.stream, user)
        elif client_rtsp and choose_play(channel.url, bool(self.settings.direct_rtsp), channel.direct_rtsp,
                                         True, relay_url)[0] == "rtsp-direct":
            # allowed for the camera, but this user's role may not see camera credentials: recorded
            self._record_view(Viewer(user, cam_id, channel.stream, None, reason="role_not_allowed",
                                     kind="rtsp-direct", peer=peer), "refused")
        return _json(200, {"transport": kind, "url": url})

    async def _play(self, cam_id, query, user, method, reader, writer, peer: str = "") -> None:
        channel = self._channel(cam_id, query)
        stream = channel.stream
        head = ("HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nCache-Control: no-store\r\n"
                f"Connection: close\r\nX-Relay-State: {channel.state}\r\n"
                f"X-Relay-Gop-Age: {channel.gop_age():.3f}\r\n\r\n")
        writer.write(head.encode("ascii"))
        if method == "HEAD":
            return
        sock = writer.get_extra_info("socket")
        if sock is not None and self.settings.sndbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, int(self.settings.sndbuf))
        if writer.transport.get_write_buffer_size():
            await writer.drain()  # the head goes out before the pump's thread writes to the socket directly
        viewer = Viewer(user, cam_id, stream, writer.transport, peer=peer)
        if sock is not None:
            viewer.attach(sock)
        channel.add_viewer(viewer)
        self._record_view(viewer, "start")  # audited when the view starts, not only when it ends
        eof = asyncio.create_task(reader.read(1 << 16))
        done = asyncio.create_task(viewer.done.wait())
        try:
            while not viewer.done.is_set():
                await asyncio.wait({eof, done}, return_when=asyncio.FIRST_COMPLETED)
                if eof.done():
                    if eof.exception() is not None or not eof.result():
                        break
                    eof = asyncio.create_task(reader.read(1 << 16))  # a client may send junk: ignore it
        finally:
            eof.cancel()
            done.cancel()
            channel.remove_viewer(viewer, viewer.reason or "closed")

    async def _control(self, method: str, path: str, query: dict, body: bytes) -> bytes:
        if path == "/control/ping":
            return _json(200, {"ok": True, "instance": self.instance, "port": self.port})
        if path == "/control/health":
            return _json(200, self.health(full=True))
        if path == "/control/health/wait":
            return _json(200, await self._wait_health(query))
        if path == "/control/views":
            after = int((query.get("after") or ["0"])[0])
            return _json(200, {"instance": self.instance,
                               "views": [v for v in self._views if v["seq"] > after]})
        if path == "/control/tokens/wait":
            serial = await self._tokens.wait_wanted(float((query.get("timeout") or ["20"])[0]))
            return _json(200, {"wanted": serial > 0, "serial": serial})
        if method != "POST":
            raise HttpError(405 if path in ("/control/config", "/control/views/ack", "/control/shutdown")
                            else 404, f"control: {method} {path} not supported")
        if path == "/control/config":
            try:
                config = json.loads(body.decode("utf-8"))
            except ValueError:
                raise HttpError(400, "config: not valid JSON") from None
            return _json(200, await self.configure(config))
        if path == "/control/views/ack":
            upto = int((query.get("upto") or ["0"])[0])
            while self._views and self._views[0]["seq"] <= upto:
                self._views.popleft()
            return _json(200, {"ok": True})
        if path == "/control/shutdown":
            asyncio.get_running_loop().call_later(0.05, self.stopped.set)
            return _json(200, {"ok": True})
        raise HttpError(404, f"control: no such call {path}")


def _group_url(group: tuple[str, int] | None) -> str:
    """The configured multicast group of a stream as a play URL ("" when it has none)."""
    return f"udp://@{group[0]}:{group[1]}" if group else ""
