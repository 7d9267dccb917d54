"""Media test helpers: aiortc bots that publish H.264 test video into a videoroom, or watch a videoroom feed
or a streaming mountpoint and count the frames they decode. Janus is J1's JanusProcess, the API J1's JanusClient.

    async with JanusProcess(tmp_path / "janus") as janus, JanusClient(janus.ws_url) as api:
        session = await api.create_session()
        bot = await PublisherBot.join(session, room="CS-1", display="site-a")      # H.264 test pattern
        sub = await SubscriberBot.videoroom(session, room="CS-1", feed=bot.feed_id)
        await sub.wait_frames(10)

ICE: aioice leaves loopback out of its host candidates, and libnice does too, so both sides use the host's
own address: packets never leave the machine.
"""
from __future__ import annotations

import asyncio
import time

from backend.conference.janus_api import JanusError

# ---- aiortc bots -------------------------------------------------------------------------------------
def _test_pattern_track():
    import av
    import numpy as np
    from aiortc import VideoStreamTrack

    class Pattern(VideoStreamTrack):
        """A moving bar on a grey field, 320x240 at 15 fps (each frame differs: real motion for the encoder)."""

        def __init__(self):
            super().__init__()
            self.n = 0

        async def recv(self):
            pts, time_base = await self.next_timestamp()
            img = np.full((240, 320, 3), 90, dtype=np.uint8)
            x = (self.n * 7) % 300
            img[:, x:x + 20] = (230, 200, 40)
            self.n += 1
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = pts, time_base
            return frame

    return Pattern()


def prefer_codec(pc, kind: str, mime: str) -> None:
    from aiortc.rtcrtpsender import RTCRtpSender

    caps = RTCRtpSender.getCapabilities(kind)
    prefs = [c for c in caps.codecs if c.mimeType.lower() == mime.lower()]
    prefs += [c for c in caps.codecs if c.mimeType.lower() == "video/rtx"]
    for t in pc.getTransceivers():
        if t.kind == kind:
            t.setCodecPreferences(prefs)


class PublisherBot:
    """A site publishing H.264 test video into a videoroom. Attributes: feed_id, pc, handle."""

    def __init__(self, handle, pc, feed_id: str, streams: list):
        self.handle, self.pc, self.feed_id, self.streams = handle, pc, feed_id, streams

    @classmethod
    async def join(cls, session, room: str, display: str = "bot", codec: str = "video/H264",
                   pin: str = "") -> "PublisherBot":
        from aiortc import RTCPeerConnection, RTCSessionDescription

        handle = await session.attach("janus.plugin.videoroom")
        body = {"request": "join", "ptype": "publisher", "room": room, "display": display}
        if pin:
            body["pin"] = pin
        data, _ = await handle.message(body)
        feed_id = data["id"]
        pc = RTCPeerConnection()
        pc.addTransceiver(_test_pattern_track(), direction="sendonly")
        prefer_codec(pc, "video", codec)
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"type": "offer", "sdp": pc.localDescription.sdp}
        data, jsep = await handle.message({"request": "publish", "audio": False, "video": True}, jsep=offer)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=jsep["sdp"], type=jsep["type"]))
        deadline = time.monotonic() + 20
        while pc.connectionState != "connected":  # a feed is subscribable once its media flows
            if time.monotonic() > deadline or pc.connectionState == "failed":
                raise TimeoutError(f"publisher {display}: connection {pc.connectionState}")
            await asyncio.sleep(0.05)
        return cls(handle, pc, feed_id, data.get("streams", []))

    async def close(self) -> None:
        await self.pc.close()
        await self.handle.detach()


class SubscriberBot:
    """Receives one video stream (a videoroom feed or a streaming mountpoint) and counts decoded frames."""

    def __init__(self, handle, pc):
        self.handle, self.pc = handle, pc
        self.frames = 0
        self.size = (0, 0)
        self._task: asyncio.Task | None = None

    def _on_track(self, track) -> None:
        if track.kind != "video":
            return

        async def pump():
            while True:
                frame = await track.recv()
                self.frames += 1
                self.size = (frame.width, frame.height)

        self._task = asyncio.create_task(pump())

    @classmethod
    async def _answer(cls, handle, jsep: dict, start_body: dict) -> "SubscriberBot":
        from aiortc import RTCPeerConnection, RTCSessionDescription

        pc = RTCPeerConnection()
        bot = cls(handle, pc)
        pc.on("track", bot._on_track)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=jsep["sdp"], type=jsep["type"]))
        await pc.setLocalDescription(await pc.createAnswer())
        await handle.message(start_body, jsep={"type": "answer", "sdp": pc.localDescription.sdp})
        return bot

    @classmethod
    async def videoroom(cls, session, room: str, feed: str, pin: str = "") -> "SubscriberBot":
        handle = await session.attach("janus.plugin.videoroom")
        deadline = time.monotonic() + 15
        body = {"request": "join", "ptype": "subscriber", "room": room, "streams": [{"feed": feed}]}
        if pin:
            body["pin"] = pin
        while True:  # "no such feed" until the publisher's first packets arrived
            try:
                _, jsep = await handle.message(body)
                break
            except JanusError as exc:
                if exc.code != 428 or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        return await cls._answer(handle, jsep, {"request": "start", "room": room})

    @classmethod
    async def mountpoint(cls, session, mountpoint: str, pin: str = "") -> "SubscriberBot":
        handle = await session.attach("janus.plugin.streaming")
        _, jsep = await handle.message({"request": "watch", "id": mountpoint, **({"pin": pin} if pin else {})})
        return await cls._answer(handle, jsep, {"request": "start"})

    async def wait_frames(self, n: int, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while self.frames < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"received {self.frames} frames, wanted {n}")
            await asyncio.sleep(0.05)
        return self.frames

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.pc.close()
        await self.handle.detach()

