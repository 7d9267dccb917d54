"""Participant video out: a videoroom publisher's video forwarded as RTP to loopback, described by an SDP file
and registered as a camera-like source (``conf-<room>-<participant>``) that the relay pulls like a camera.

    out = MediaOut(core, videoroom_handle, admin_key=janus.room_admin_key, sdp_dir=state / "sdp")
    await out.start()                                   # watches the sources' relay health (see refresh)
    pv = await out.forward("CS-1", "video-jnjd", secret=room_secret, display="江南街道", codec="h264")
    # the relay now serves http://HOST:RELAYPORT/cam/conf-CS-1-video-jnjd.ts?token=T
    await out.stop_forward("CS-1", "video-jnjd", secret=room_secret)

H.264 (rooms created with ``videocodec: "h264"``) is remuxed with ``-c copy``; VP8/VP9 is transcoded by the
relay (it sees a codec MPEG-TS cannot carry), which its health shows as ``codec``. A pull that starts after
the forward waits for a keyframe, so while the relay reports the source ``connecting``/``lost`` MediaOut asks
for keyframes (``refresh``: a throw-away legacy-form forwarder, which makes Janus 1.1.2 send the publisher a PLI).
"""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path

from backend.conference.ports import PortError, PortPool  # noqa: F401  (PortPool: re-exported for callers)
from backend.core import Change

log = logging.getLogger(__name__)

SOURCE_PREFIX = "conf-"
RTP_CODECS = {"h264": "H264/90000", "vp8": "VP8/90000", "vp9": "VP9/90000", "h265": "H265/90000",
              "av1": "AV1/90000"}
PAYLOAD_TYPE = 96
REFRESH_FIRST, REFRESH_EVERY, REFRESH_TRIES = 0.3, 0.7, 40   # keyframe requests while a relay pull waits
WAITING = ("connecting", "lost")  # relay states of a pull that has no picture yet
HEALTH_DEFAULTS = {"state": "idle", "bitrate_kbps": 0.0, "fps": 0.0, "keyframe_age": None, "viewers": 0,
                   "reconnects": 0, "codec": ""}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


class MediaError(RuntimeError):
    """A forward that cannot be set up, naming the room and participant."""


def source_id(room: str, participant: str) -> str:
    """``conf-<room>-<participant>``, reduced to the camera-id alphabet and 64 characters."""
    sid = SOURCE_PREFIX + _UNSAFE.sub("_", f"{room}-{participant}")
    return sid[:64]


def sdp_text(port: int, codec: str, pt: int = PAYLOAD_TYPE, host: str = "127.0.0.1", name: str = "cc") -> str:
    """An SDP that tells ffmpeg which RTP arrives on ``host:port`` (video only)."""
    codec = codec.lower()
    if codec not in RTP_CODECS:
        raise MediaError(f"codec {codec!r} cannot be described (one of {', '.join(RTP_CODECS)})")
    lines = ["v=0", f"o=- 0 0 IN IP4 {host}", f"s={name}", f"c=IN IP4 {host}", "t=0 0",
             f"m=video {int(port)} RTP/AVP {pt}", f"a=rtpmap:{pt} {RTP_CODECS[codec]}", "a=recvonly"]
    if codec == "h264":
        lines.insert(-1, f"a=fmtp:{pt} packetization-mode=1")
    return "\r\n".join(lines) + "\r\n"


@dataclass(frozen=True)
class ParticipantVideo:
    """One forwarded participant. Attributes: room, participant, display, source (camera id), port, codec,
    mid, stream_id (Janus forwarder id), sdp_path, secret (the room's, kept to refresh the forward)."""

    room: str
    participant: str
    display: str
    source: str
    port: int
    codec: str
    mid: str
    stream_id: int
    sdp_path: Path
    secret: str = ""


class MediaOut:
    """Forwards participants' video to the relay. Attributes: forwards ({source id: ParticipantVideo})."""

    def __init__(self, core, videoroom, *, admin_key: str = "", sdp_dir: str | Path,
                 ports: PortPool | None = None, host: str = "127.0.0.1"):
        self.core, self.handle, self.admin_key = core, videoroom, admin_key
        self.sdp_dir = Path(sdp_dir)
        self.ports = ports or PortPool(host=host)
        self.host = host
        self.forwards: dict[str, ParticipantVideo] = {}
        self.stale: set[str] = set()  # forwards whose Janus went away: re-added when the site is back
        self.refreshes = 0
        self.warmer = None  # warm.Warmer: the relay pull started (and keyframe asked) as soon as a forward exists
        self._refreshing: set[str] = set()
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self.sdp_dir.mkdir(parents=True, exist_ok=True)
        self.core.subscribe(self._on_event)

    async def close(self) -> None:
        self.core.unsubscribe(self._on_event)
        if self.warmer is not None:
            await self.warmer.close()
        for pv in list(self.forwards.values()):
            try:
                await self.stop_forward(pv.room, pv.participant, secret=pv.secret)
            except Exception:
                log.exception("stopping forward %s", pv.source)
        for task in list(self._tasks):
            task.cancel()

    # ---- forward -----------------------------------------------------------------------------
    async def _publisher_stream(self, room: str, participant: str, secret: str) -> tuple[str, str]:
        """(mid, codec) of the participant's first video stream, from the room's participant list."""
        data = await self.handle.request({"request": "listparticipants", "room": room})
        for p in data.get("participants", []):
            if str(p.get("id")) == str(participant):
                if not p.get("publisher"):
                    raise MediaError(f"{room}/{participant}: joined but not publishing video")
                for s in p.get("streams", []) or []:
                    if s.get("type") == "video" and not s.get("disabled"):
                        return str(s.get("mid", "")), str(s.get("codec", "")).lower()
                return "", await self._room_codec(room)  # Janus 1.1.2 lists no streams here
        raise MediaError(f"{room}/{participant}: no such participant in the room")

    async def _room_codec(self, room: str) -> str:
        """The room's first allowed video codec: what a publisher that can do it negotiates."""
        data = await self.handle.request({"request": "list", **({"admin_key": self.admin_key} if self.admin_key
                                                                 else {})})
        for r in data.get("list", []):
            if str(r.get("room")) == room:
                return str(r.get("videocodec") or "vp8").split(",")[0].strip().lower()
        return "vp8"

    def _body(self, request: str, room: str, secret: str, **fields) -> dict:
        body = {"request": request, "room": room, **fields}
        if secret:
            body["secret"] = secret
        if self.admin_key:
            body["admin_key"] = self.admin_key
        return body

    async def _add_forwarder(self, room: str, participant: str, secret: str, mid: str, port: int) -> int:
        if mid:
            target = {"streams": [{"mid": mid, "port": port, "pt": PAYLOAD_TYPE}]}
        else:  # mid unknown: the older form forwards the first video stream
            target = {"video_port": port, "video_pt": PAYLOAD_TYPE}
        data = await self.handle.request(self._body("rtp_forward", room, secret, publisher_id=participant,
                                                    host=self.host, **target))
        for fw in data.get("forwarders", []):
            if fw.get("type") == "video":
                return int(fw["stream_id"])
        legacy = data.get("rtp_stream") or {}
        if legacy.get("video_stream_id"):
            return int(legacy["video_stream_id"])
        raise MediaError(f"{room}/{participant}: Janus added no video forwarder ({data})")

    async def forward(self, room: str, participant: str, *, secret: str = "", display: str = "",
                      codec: str = "", mid: str = "") -> ParticipantVideo:
        """Forward the participant's video and register it as a source; idempotent per participant."""
        room, participant = str(room), str(participant)
        sid = source_id(room, participant)
        async with self._lock:
            if sid in self.forwards:
                return self.forwards[sid]
            if not mid or not codec:
                found_mid, found_codec = await self._publisher_stream(room, participant, secret)
                mid, codec = mid or found_mid, codec or found_codec or "h264"
            try:
                port = self.ports.take()
            except PortError as exc:
                raise MediaError(f"{room}/{participant}: {exc}") from None
            try:
                # the port in the name: a forward on another port (after a backend restart) is another URL, so the
                # relay restarts its pull (keeping its viewers) instead of listening on the old port
                sdp_path = self.sdp_dir / f"{sid}-{port}.sdp"
                tmp = sdp_path.with_suffix(".tmp")
                tmp.write_text(sdp_text(port, codec, host=self.host, name=sid), "utf-8")
                tmp.replace(sdp_path)
                stream_id = await self._add_forwarder(room, participant, secret, mid, port)
            except BaseException:
                self.ports.give_back(port)
                raise
            pv = ParticipantVideo(room, participant, display or participant, sid, port, codec, mid, stream_id,
                                  sdp_path, secret)
            self.forwards[sid] = pv
            await self._register(pv)
            if self.warmer is not None:
                self.warmer.start(sid, port)
            log.info("conference video %s → udp %d (%s), source %s", participant, port, codec, sid)
            return pv

    async def stop_forward(self, room: str, participant: str, *, secret: str = "") -> bool:
        sid = source_id(str(room), str(participant))
        async with self._lock:
            pv = self.forwards.pop(sid, None)
            self.stale.discard(sid)
            if self.warmer is not None:
                self.warmer.stop(sid)
            if pv is None:
                return False
            try:
                await self.handle.request(self._body("stop_rtp_forward", pv.room, secret or pv.secret,
                                                     publisher_id=pv.participant, stream_id=pv.stream_id))
            except Exception as exc:  # the publisher may be gone already, and its forwarders with it
                log.info("stop_rtp_forward %s: %s", sid, exc)
            self.ports.give_back(pv.port)
            await self._unregister(pv)
            pv.sdp_path.unlink(missing_ok=True)
            return True

    def mark_stale(self, source: str) -> None:
        """Janus restarted: the forwarder is gone, but the port, SDP and camera stay for ``readd``."""
        if source in self.forwards:
            self.stale.add(source)

    async def readd(self, source: str, *, mid: str = "") -> ParticipantVideo:
        """Add the forwarder again on the same port (the relay's pull and every viewer carry on)."""
        async with self._lock:
            pv = self.forwards[source]
            mid = mid or pv.mid
            stream_id = await self._add_forwarder(pv.room, pv.participant, pv.secret, mid, pv.port)
            pv = self.forwards[source] = replace(pv, stream_id=stream_id, mid=mid)
            self.stale.discard(source)
            return pv

    async def refresh(self, source: str) -> None:
        """Ask the participant for a keyframe: a second, legacy-form forwarder to a port nobody reads, removed
        at once. Janus 1.1.2 sends the publisher a PLI ("New RTP forward publisher") only for the legacy
        ``video_port`` form of ``rtp_forward``; the ``streams``/mid form used once the mid is known sends none,
        so re-adding the real forwarder asked for nothing and a new pull waited for the room's periodic
        keyframe (fir_freq 10 s). The real forwarder is left alone: the relay's pull sees no gap."""
        async with self._lock:
            pv = self.forwards.get(source)
            if pv is None or source in self.stale:
                return
            port = self.ports.take()
            try:
                stream_id = await self._add_forwarder(pv.room, pv.participant, pv.secret, "", port)
                try:
                    await self.handle.request(self._body("stop_rtp_forward", pv.room, pv.secret,
                                                         publisher_id=pv.participant, stream_id=stream_id))
                except Exception as exc:
                    log.info("keyframe request %s: stop: %s", source, exc)
            finally:
                self.ports.give_back(port)
            self.refreshes += 1
            log.debug("conference video %s: keyframe request %d", source, self.refreshes)

    # ---- the camera-like source --------------------------------------------------------------
    async def _register(self, pv: ParticipantVideo) -> None:
        sources = [s for s in self.core.camera_sources() if s["id"] != pv.source]
        sources.append({"id": pv.source, "url": str(pv.sdp_path), "sub_url": "", "ptz": None})
        await self.core.set_camera_sources(sources)
        current = self.core.get("cameras", pv.source) or {}
        record = {**HEALTH_DEFAULTS, **current, "id": pv.source, "name": pv.display, "lat": None, "lon": None,
                  "township": "", "has_sub": False, "ptz": False, "source": "conference", "room": pv.room,
                  "participant": pv.participant}
        await self.core.publish([Change("cameras", "upsert", pv.source, record)], actor="conference")

    async def _unregister(self, pv: ParticipantVideo) -> None:
        await self.core.set_camera_sources([s for s in self.core.camera_sources() if s["id"] != pv.source])
        if self.core.get("cameras", pv.source) is not None:
            await self.core.publish([Change("cameras", "delete", pv.source)], actor="conference")

    def _on_event(self, event: dict) -> None:
        if event.get("entity") != "cameras" or event.get("key") not in self.forwards:
            return
        if (event.get("data") or {}).get("state") in WAITING and event["key"] not in self._refreshing:
            self._refreshing.add(event["key"])
            task = asyncio.get_running_loop().create_task(self._refresh_quietly(event["key"]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _refresh_quietly(self, source: str) -> None:
        """Keyframes until the pull is live: the relay says "connecting" before its ffmpeg has bound the port
        (a keyframe sent at once is lost), and an ffmpeg that found no keyframe in its analysis is restarted
        by the relay ("lost", then again), so ask again every REFRESH_EVERY s until it is live or idle."""
        try:
            for i in range(REFRESH_TRIES * 10):
                # then more slowly: a relay that keeps restarting a pull in "lost" sends no new event to wake us
                await asyncio.sleep(REFRESH_FIRST if i == 0 else REFRESH_EVERY if i < REFRESH_TRIES else 5.0)
                if (self.core.get("cameras", source) or {}).get("state") not in WAITING \
                        or source not in self.forwards:
                    return
                try:
                    await self.refresh(source)
                except Exception as exc:
                    log.warning("conference video %s: keyframe refresh failed: %s", source, exc)
        finally:
            self._refreshing.discard(source)


# ---- video in: a camera or field stream published into the conference -------------------------------
@dataclass
class StreamIn:
    """A relay stream fed into a Janus streaming mountpoint. Attributes: mountpoint, port, url, proc (the
    current ffmpeg), body (the mountpoint's create request, to recreate it), runs (ffmpeg starts)."""

    mountpoint: str
    port: int
    url: str
    proc: asyncio.subprocess.Process | None = None
    body: dict | None = None
    task: asyncio.Task | None = None
    runs: int = 0


def feed_command(url: str, port: int, host: str = "127.0.0.1", pt: int = PAYLOAD_TYPE) -> list[str]:
    """ffmpeg: the relay's HTTP-TS (H.264) → RTP to the mountpoint, -c copy (no re-encoding)."""
    return ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning", "-fflags", "+genpts",
            "-rw_timeout", "5000000", "-i", url, "-map", "0:v:0", "-c", "copy", "-bsf:v", "dump_extra",
            "-f", "rtp", "-payload_type", str(pt), f"rtp://{host}:{port}?pkt_size=1200"]


class MediaIn:
    """Publishes relay streams (cameras, body cams, drones) into conferences as streaming mountpoints that
    any participant can watch. Attributes: streams ({mountpoint: StreamIn})."""

    def __init__(self, streaming, *, admin_key: str = "", ports: PortPool | None = None, host: str = "127.0.0.1"):
        self.handle, self.admin_key, self.host = streaming, admin_key, host
        self.ports = ports or PortPool(43000, 43999, host)
        self.streams: dict[str, StreamIn] = {}

    async def publish(self, mountpoint: str, url: str, *, description: str = "", pin: str = "") -> StreamIn:
        """Create an RTP mountpoint ``mountpoint`` and feed it from ``url`` (a relay play URL). ffmpeg is
        started again whenever it ends (the relay restarted, the token was not pushed yet) until unpublish."""
        if mountpoint in self.streams:
            return self.streams[mountpoint]
        port = self.ports.take()
        body = {"request": "create", "type": "rtp", "id": mountpoint, "description": description or mountpoint,
                "media": [{"type": "video", "mid": "v", "port": port, "pt": PAYLOAD_TYPE, "codec": "h264",
                           # what WebRTC peers negotiate; the bitstream itself passes through untouched
                           "fmtp": "profile-level-id=42e01f;packetization-mode=1"}]}
        if pin:
            body["pin"] = pin
        if self.admin_key:
            body["admin_key"] = self.admin_key
        try:
            await self.handle.request(body)
        except BaseException:
            self.ports.give_back(port)
            raise
        stream = StreamIn(mountpoint, port, url, body=body)
        stream.proc = await self._spawn(stream)
        stream.task = asyncio.create_task(self._keep_feeding(stream), name=f"feed-{mountpoint}")
        self.streams[mountpoint] = stream
        return stream

    async def _spawn(self, stream: StreamIn) -> asyncio.subprocess.Process:
        stream.runs += 1
        return await asyncio.create_subprocess_exec(
            *feed_command(stream.url, stream.port, self.host), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)

    async def _keep_feeding(self, stream: StreamIn) -> None:
        while True:
            await stream.proc.wait()
            log.info("feed %s: ffmpeg ended (%s); starting it again", stream.mountpoint, stream.proc.returncode)
            await asyncio.sleep(1.0)
            stream.proc = await self._spawn(stream)

    async def recreate(self, mountpoint: str) -> None:
        """The mountpoint again on a restarted Janus, same port: the running ffmpeg feeds it at once."""
        stream = self.streams[mountpoint]
        await self.handle.request(dict(stream.body or {}))

    async def unpublish(self, mountpoint: str) -> bool:
        stream = self.streams.pop(mountpoint, None)
        if stream is None:
            return False
        if stream.task is not None:
            stream.task.cancel()
        if stream.proc is not None and stream.proc.returncode is None:
            stream.proc.terminate()
            try:
                await asyncio.wait_for(stream.proc.wait(), 5)
            except asyncio.TimeoutError:
                stream.proc.kill()
                await stream.proc.wait()
        body = {"request": "destroy", "id": mountpoint}
        if self.admin_key:
            body["admin_key"] = self.admin_key
        try:
            await self.handle.request(body)
        except Exception as exc:
            log.info("destroy mountpoint %s: %s", mountpoint, exc)
        self.ports.give_back(stream.port)
        return True

    async def close(self) -> None:
        for mountpoint in list(self.streams):
            await self.unpublish(mountpoint)
