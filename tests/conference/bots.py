"""aiortc bots: sites that publish test video (and silence) into a Janus videoroom, as a terminal would.

    bot = Bot("video-jnjd", "江南街道")
    agent_url = await bot.serve_agent()      # ws://127.0.0.1:PORT — the terminal agent the backend invites
    ...                                      # the backend sends {"type": "invite", janus, room, pin, id, display}
    await bot.connected.wait()               # publishing, ICE/DTLS up (Janus "webrtcup")
    await bot.close()

A bot can also join directly: ``await bot.join(janus_url, room, pin)``. It answers the room's events:
"kicked"/"leaving" (by itself) closes its peer connection; ``bot.events`` keeps what it heard.
"""
from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import time

import numpy as np
import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import VideoFrame

from backend.conference.janus_api import JanusClient, JanusError

FPS = 10
SIZE = (160, 120)  # small frames: nine bots encode VP8 on two shared cores


class TestPattern(VideoStreamTrack):
    """A moving bar on a colour of the site's own, FPS frames a second."""

    def __init__(self, seed: int):
        super().__init__()
        self._base = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
        self._base[:] = ((seed * 67) % 200 + 40, (seed * 131) % 200 + 40, (seed * 29) % 200 + 40)
        self._n = 0
        self._start: float | None = None

    async def recv(self) -> VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        self._n += 1
        delay = self._start + self._n / FPS - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        img = self._base.copy()
        x = (self._n * 4) % SIZE[0]
        img[:, x:x + 8] = 255
        frame = VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = self._n, fractions.Fraction(1, FPS)
        return frame


class ToneTrack(AudioStreamTrack):
    """The site's microphone: silence, or a loud 440 Hz tone while ``loud`` (aiortc sends each packet's level in
    the ssrc-audio-level RTP extension, which Janus averages into "talking" events)."""

    def __init__(self):
        super().__init__()
        self.loud = False

    async def recv(self):
        frame = await super().recv()  # paced silence, 20 ms at 8 kHz
        if self.loud:
            n = frame.samples
            t = (np.arange(n) + frame.pts) / frame.sample_rate
            frame.planes[0].update((np.sin(2 * np.pi * 440 * t) * 16000).astype("<i2").tobytes())
        return frame


class Bot:
    """One site.

    Attributes:
        terminal: the directory id it joins as (its participant id in the room).  name: its display name.
        connected: set once Janus reports the peer connection up.  closed: set when it left or was kicked.
        events: every plugin event it received.  joined_error: the JanusError that refused its join, if any.
        hand_up: send {"type": "hand", "up": true} to the backend through the agent channel.
        mic: its ToneTrack (``bot.mic.loud = True``: the site talks).
    """

    def __init__(self, terminal: str, name: str, seed: int = 1):
        self.terminal, self.name, self.seed = terminal, name, seed
        self.mic = ToneTrack()
        self.connected = asyncio.Event()
        self.closed = asyncio.Event()
        self.invited = asyncio.Event()
        self.events: list[dict] = []
        self.join_error: JanusError | None = None
        self.kicked = False
        self.ups = 0  # how many times its media came up (a rejoin after a Janus restart counts again)
        self.invite: dict | None = None
        self.feeds: list[dict] = []  # {"type": "feed", camera, mountpoint, on, pin, janus} notices from the backend
        self._client: JanusClient | None = None
        self._pc: RTCPeerConnection | None = None
        self._handle = None
        self._tasks: list[asyncio.Task] = []
        self._server = None
        self._agent_ws = None

    # -- terminal agent (the backend's invitation channel) -------------------------------------------
    async def serve_agent(self) -> str:
        self._server = await websockets.serve(self._on_agent, "127.0.0.1", 0)
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    async def _on_agent(self, ws) -> None:
        self._agent_ws = ws
        try:
            async for raw in ws:
                msg = json.loads(raw)
                if msg.get("type") == "invite":
                    self.invite = msg
                    self.invited.set()
                    await ws.send(json.dumps({"type": "accepted", "id": self.terminal}))
                    self._tasks.append(asyncio.create_task(self._join_quietly(msg["janus"], msg["room"],
                                                                              msg["pin"])))
                elif msg.get("type") == "feed":
                    self.feeds.append(msg)
                elif msg.get("type") == "end":
                    await self.leave()
        except websockets.ConnectionClosed:
            pass
        finally:
            self._agent_ws = None

    async def hand(self, up: bool = True) -> None:
        if self._agent_ws is None:
            raise RuntimeError(f"{self.terminal}: no agent channel open")
        await self._agent_ws.send(json.dumps({"type": "hand", "up": up}))

    async def _join_quietly(self, janus: str, room: str, pin: str) -> None:
        try:
            await self.join(janus, room, pin)
        except JanusError as exc:
            self.join_error = exc
            self.closed.set()

    # -- media --------------------------------------------------------------------------------------
    async def join(self, janus: str, room: str, pin: str) -> None:
        loud = self.mic.loud
        self._client = await JanusClient(janus).connect()
        session = await self._client.create_session()
        self._handle = handle = await session.attach("janus.plugin.videoroom", opaque_id=self.terminal)
        try:
            await handle.message({"request": "join", "ptype": "publisher", "room": room, "pin": pin,
                                  "id": self.terminal, "display": self.name})
        except JanusError as exc:
            self.join_error = exc
            await self._drop_janus()
            self.closed.set()
            raise
        self._tasks.append(asyncio.create_task(self._listen(handle)))
        self._pc = pc = RTCPeerConnection()
        self.mic = ToneTrack()  # a fresh track per peer connection (a rejoin after a restart), as loud as before
        self.mic.loud = loud
        pc.addTrack(self.mic)
        pc.addTrack(TestPattern(self.seed))
        await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers every candidate here
        _data, jsep = await handle.message({"request": "publish", "audio": True, "video": True},
                                           jsep={"type": "offer", "sdp": pc.localDescription.sdp})
        await pc.setRemoteDescription(RTCSessionDescription(jsep["sdp"], jsep["type"]))

    async def _listen(self, handle) -> None:
        while True:
            msg = await handle.next_event()
            kind = msg.get("janus")
            if kind == "webrtcup":
                self.ups += 1
                self.connected.set()
            elif kind == "event":
                data = (msg.get("plugindata") or {}).get("data") or {}
                self.events.append(data)
                if data.get("leaving") == "ok" or data.get("reason") == "kicked" and data.get("leaving") in (
                        "ok", self.terminal):
                    self.kicked = data.get("reason") == "kicked"
                    await self._close_media()
                    return
            elif kind in ("hangup", "detached", "lost"):
                self.events.append({"janus": kind, "reason": msg.get("reason")})
                await self._close_media()
                return

    async def _close_media(self) -> None:
        pc, self._pc = self._pc, None
        if pc is not None:
            await pc.close()
        self.closed.set()

    async def _drop_janus(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def leave(self) -> None:
        if self._handle is not None and self._client is not None and self._client.connected:
            with contextlib.suppress(JanusError):
                await self._handle.request({"request": "leave"}, timeout=3)
        await self._close_media()

    async def close(self) -> None:
        await self._close_media()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._handle is not None:
            with contextlib.suppress(Exception):
                await self._handle.session.destroy()
        await self._drop_janus()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
