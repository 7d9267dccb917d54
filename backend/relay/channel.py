"""One camera stream in the relay: one supervised ffmpeg pull, a GOP cache, any number of HTTP viewers."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from backend.relay import pump as pumps
from backend.relay.pull import StderrWatch, ffmpeg_command, redact
from backend.relay.ts import PACKET, FrameStart, TsScanner

log = logging.getLogger(__name__)

GOP_MODES = ("gop", "key", "off")  # new viewer gets: the cached GOP | only its keyframe | nothing (live)


@dataclass
class Settings:
    """Relay-wide settings, pushed by the backend (all optional)."""

    linger_s: float = 10.0  # stop the pull this long after the last viewer left
    gop_mode: str = "gop"
    max_queue_bytes: int = 2_000_000  # a viewer further behind than this is dropped
    lost_after_s: float = 1.5  # no bytes for this long → lost
    connect_timeout_s: float = 10.0
    restart_stalled_s: float = 5.0  # no bytes for this long → kill the pull and start again
    backoff_s: tuple = (0.5, 1.0, 2.0, 4.0, 5.0)
    rtsp_transport: str = "tcp"
    max_gop_bytes: int = 8_000_000
    sndbuf: int = 256 * 1024
    multicast_ttl: int = 1  # hops a multicast datagram may take (1: this LAN segment only)
    multicast_iface: str = ""  # IPv4 address of the interface to send multicast on ("": the system's route)
    multicast_range: str = ""  # "239.255.1.0:5004": camera k (config order) gets .0+2k (main), .0+2k+1 (sub)
    multicast_lease_s: float = 30.0  # a multicast sender runs this long after the last request for it
    direct_rtsp: bool = False  # may clients with an RTSP-capable libvlc play cameras directly (direct.py)
    batch_ms: float = 40.0  # under load, read all pulls' pipes together at most this often (see pump.py)


@dataclass(eq=False)
class Viewer:
    """An HTTP client receiving one stream. ``done`` is set when it is gone (``reason`` says why)."""

    user: str
    camera: str
    stream: str
    transport: asyncio.WriteTransport
    start: float = field(default_factory=time.time)
    bytes: int = 0
    reason: str = ""
    kind: str = "http"  # http | udp (a multicast sender) | rtsp-direct (a direct URL handed out)
    peer: str = ""  # the viewer's IP address, for the audit ("from where")
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def send(self, data: bytes, limit: int) -> bool:
        if self.done.is_set():
            return False
        if self.transport.is_closing():
            self.close("closed")
            return False
        self.transport.write(data)
        self.bytes += len(data)
        if self.transport.get_write_buffer_size() > limit:
            self.close("too_slow")
            self.transport.abort()
            return False
        return True

    def close(self, reason: str) -> None:
        if not self.done.is_set():
            self.reason = reason
            self.done.set()


class Channel:
    """The pull of one camera stream (main or sub) and its viewers.

    Attributes:
        cam_id, stream: which camera, "main" or "sub".  url: the private source URL (never reported).
        state: idle | connecting | live | lost.  error: why it is lost ("" when fine), redacted.
        reconnects: pulls restarted since the first.  viewers: the connected Viewers.
    """

    def __init__(self, cam_id: str, stream: str, url: str, settings: Settings,
                 on_viewer_gone: Callable[[Viewer], None]):
        self.cam_id, self.stream, self.url = cam_id, stream, url
        self.settings = settings
        self._on_viewer_gone = on_viewer_gone
        self.state = "idle"
        self.error = ""
        self.error_code = ""
        self.reconnects = 0
        self.pulls = 0
        self.viewers: set[Viewer] = set()
        self.codec = ""
        self.transcode = False
        self.multicast: tuple[str, int] | None = None  # (group, port) when configured
        self.direct_rtsp: bool | None = None  # the camera's own direct-RTSP setting (None: the relay's)
        self._scanner = TsScanner()
        self._gop: list[bytes] = []
        self._gop_bytes = 0
        self._key_len = 0  # bytes of the cached GOP up to the end of its keyframe (0: not yet known)
        self._last_key = 0.0
        self._last_data = 0.0
        self._started = 0.0
        self._bytes_total = 0
        self._frames_total = 0
        self._rates: deque[tuple[float, int, int]] = deque(maxlen=40)
        self.bitrate_kbps = 0.0
        self.fps = 0.0
        self._task: asyncio.Task | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._idle_since: float | None = None
        self._switching = False
        self._in_key = False
        self._flowing = False  # this pull reached its first keyframe: bytes go out to viewers
        self._frames_waited = 0

    # ---- viewers ---------------------------------------------------------------------------
    def add_viewer(self, viewer: Viewer) -> None:
        self.viewers.add(viewer)
        self._idle_since = None
        self._send_start(viewer)
        self.ensure_running()

    def remove_viewer(self, viewer: Viewer, reason: str = "closed") -> None:
        viewer.close(reason)
        if viewer in self.viewers:
            self.viewers.discard(viewer)
            self._on_viewer_gone(viewer)
        if not self.viewers and self._idle_since is None:
            self._idle_since = time.monotonic()

    def _send_start(self, viewer: Viewer) -> None:
        """Instant start: the latest PAT/PMT, then the cached GOP (or its keyframe) before live data."""
        mode = self.settings.gop_mode
        if mode == "off" or not self._gop or self.state != "live":
            return
        if mode == "key":
            if not self._key_len:
                return
            data = b"".join(self._gop)[:self._key_len]
        else:
            data = b"".join(self._gop)
        viewer.send(self._scanner.pat + self._scanner.pmt + data, 1 << 62)

    def gop_age(self) -> float:
        return time.monotonic() - self._last_key if self._gop and self._last_key else 0.0

    # ---- pull life -------------------------------------------------------------------------
    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._started = time.monotonic()
            self._set_state("connecting")
            self._task = asyncio.create_task(self._pull_loop(), name=f"pull-{self.cam_id}-{self.stream}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._clear_cache()
        self.bitrate_kbps = self.fps = 0.0
        self._set_state("idle")

    async def set_url(self, url: str) -> None:
        if url == self.url:
            return
        self.url, self.transcode = url, False
        if self._task is not None:
            await self.stop()
            if self.viewers:
                self.ensure_running()

    async def close(self, reason: str) -> None:
        for viewer in list(self.viewers):
            viewer.transport.close()
            self.remove_viewer(viewer, reason)
        await self.stop()

    def _set_state(self, state: str, error_code: str = "", error: str = "") -> None:
        if state != self.state:
            log.info("camera %s/%s: %s -> %s %s", self.cam_id, self.stream, self.state, state, error)
        self.state = state
        if state == "live":  # an idle camera keeps its last error for the console
            self.error_code = self.error = ""
        elif error:
            self.error_code, self.error = error_code, error

    def _clear_cache(self) -> None:
        self._gop, self._gop_bytes, self._key_len, self._last_key = [], 0, 0, 0.0
        self._in_key = False

    async def _pull_loop(self) -> None:
        attempt = 0
        while True:
            live_since = await self._pull_once()
            if self._switching:  # same camera, other engine (transcoding): no back-off, no reconnect
                self._switching = False
                continue
            if live_since is not None and time.monotonic() - live_since > 10.0:
                attempt = 0  # it was fine for a while: retry quickly
            delay = self.settings.backoff_s[min(attempt, len(self.settings.backoff_s) - 1)]
            attempt += 1
            await asyncio.sleep(delay)
            self.reconnects += 1

    async def _pull_once(self) -> float | None:
        """Run one ffmpeg until it ends; return when it was first live (None: never)."""
        watch = StderrWatch()
        self._scanner.reset()
        self._clear_cache()
        self._flowing, self._frames_waited = False, 0
        cmd = ffmpeg_command(self.url, self.transcode, self.settings.rtsp_transport)
        self.pulls += 1
        loop = asyncio.get_running_loop()
        proto = _PullProtocol(self, watch)
        rfd, wfd = pumps.make_pipe()  # stdout: read in batches by the pump; stderr: the protocol, by line
        try:
            transport, _ = await loop.subprocess_exec(lambda: proto, *cmd, stdin=asyncio.subprocess.DEVNULL,
                                                      stdout=wfd, start_new_session=True)
        except OSError as exc:
            os.close(rfd)
            self._set_state("lost", "engine", f"cannot start ffmpeg: {exc.strerror or exc}")
            return None
        finally:
            os.close(wfd)
        pump = pumps.shared()
        pump.interval = max(0.0, self.settings.batch_ms / 1000)
        pump.add(rfd, proto.stdout_data, lambda: None)
        self._proc = transport
        self._last_data = time.monotonic()
        try:
            await proto.exited
        finally:
            pump.remove(rfd)
            self._proc = None
            if transport.get_returncode() is None:
                _kill(transport)
            await proto.exited
            transport.close()
        if self._switching:
            return None
        code = watch.error_code or "ended"
        message = watch.error or f"the source ended (ffmpeg exit {transport.get_returncode()})"
        if proto.live_since is None:
            log.info("camera %s/%s: pull %d ended before any picture: %s", self.cam_id, self.stream, self.pulls,
                     watch.last_line)
        self._set_state("lost", code, message)
        return proto.live_since

    def _on_stderr_line(self, watch: StderrWatch, line: str, transport) -> None:
        watch.line(line)
        if watch.input_codec and not self.codec:
            self.codec = f"h264 (transcoded from {watch.input_codec})" if watch.needs_transcode() \
                else watch.input_codec
        if watch.needs_transcode() and not self.transcode:
            log.info("camera %s/%s: %s cannot go into MPEG-TS as is: transcoding to H.264",
                     self.cam_id, self.stream, watch.input_codec)
            self.transcode = self._switching = True
            _kill(transport)

    def _on_data(self, data: bytes) -> bool:
        """Forward packets to every viewer and keep the GOP cache; True once video frames flow."""
        chunk, frames = self._scanner.feed(data)
        if not chunk:
            return False
        if not self._flowing:  # start every pull (and so every viewer's stream) on a keyframe, with PAT/PMT
            self._frames_waited += len(frames)
            first = next((f for f in frames if f.key), None)
            if first is None and (self._frames_waited < 100 or not frames):
                return False
            first = first or frames[0]
            prefix = self._scanner.pat + self._scanner.pmt
            chunk = prefix + chunk[first.index * PACKET:]
            shift = first.index - len(prefix) // PACKET
            frames = [FrameStart(f.index - shift, f.key) for f in frames if f.index >= first.index]
            self._flowing = True
        now = time.monotonic()
        self._last_data = now
        self._bytes_total += len(chunk)
        self._frames_total += len(frames)
        if self._scanner.codec and not self.transcode:
            self.codec = self._scanner.codec
        pos = 0
        for frame in frames:
            cut = frame.index * PACKET
            if frame.key:
                self._cache(chunk[pos:cut])
                self._gop, self._gop_bytes, self._key_len, self._last_key = [], 0, 0, now
                self._in_key = True
                pos = cut
            elif self._in_key:
                self._cache(chunk[pos:cut])
                self._key_len, self._in_key = self._gop_bytes, False
                pos = cut
        self._cache(chunk[pos:])
        limit = self.settings.max_queue_bytes
        for viewer in list(self.viewers):
            if not viewer.send(chunk, limit):
                self.remove_viewer(viewer, viewer.reason or "closed")
        if frames and self.state != "live":
            self._set_state("live")
        return bool(frames)

    def _cache(self, part: bytes) -> None:
        if not part or (not self._gop and not self._last_key):
            return  # nothing cached before the first keyframe
        if self._gop_bytes + len(part) > self.settings.max_gop_bytes:
            self._clear_cache()
            return
        self._gop.append(part)
        self._gop_bytes += len(part)

    # ---- watchdog (called by the server a few times a second) -------------------------------
    def tick(self, now: float) -> bool:
        """Update rates and state; True when the linger time after the last viewer is over."""
        self._rates.append((now, self._bytes_total, self._frames_total))
        while len(self._rates) > 2 and now - self._rates[1][0] >= 2.0:
            self._rates.popleft()
        t0, b0, f0 = self._rates[0]
        if now - t0 >= 0.9:
            self.bitrate_kbps = round((self._bytes_total - b0) * 8 / 1000 / (now - t0), 1)
            self.fps = round((self._frames_total - f0) / (now - t0), 1)
        running = self._task is not None and not self._task.done()
        if running and self._proc is not None:
            silent = now - self._last_data
            if self.state == "live" and silent > self.settings.lost_after_s:
                self._set_state("lost", "no_data", f"no data from the camera for {silent:.1f} s")
            elif self.state == "connecting" and now - self._started > self.settings.connect_timeout_s:
                self._set_state("lost", "timeout", "the camera did not start sending")
            if silent > self.settings.restart_stalled_s and self.state == "lost":
                _kill(self._proc)  # stuck: the pull loop restarts it with back-off
        if self.state != "live":
            self.bitrate_kbps = self.fps = 0.0
        return bool(running and not self.viewers and self._idle_since is not None
                    and now - self._idle_since >= self.settings.linger_s)

    def health(self) -> dict:
        return {
            "id": self.cam_id, "stream": self.stream, "state": self.state,
            "error": self.error, "error_code": self.error_code,
            "bitrate_kbps": self.bitrate_kbps, "fps": self.fps,
            "keyframe_age": round(time.monotonic() - self._last_key, 2) if self._last_key else None,
            "viewers": len(self.viewers), "reconnects": self.reconnects, "codec": self.codec,
            "transcoded": self.transcode, "gop_bytes": self._gop_bytes, "pulls": self.pulls,
        }


class _PullProtocol(asyncio.SubprocessProtocol):
    """ffmpeg's stdout comes from the pump (batched reads); stderr is read line by line for codec and errors."""

    def __init__(self, channel: Channel, watch: StderrWatch):
        self.channel, self.watch = channel, watch
        self.exited: asyncio.Future = asyncio.get_running_loop().create_future()
        self.live_since: float | None = None
        self.transport = None
        self._err = b""

    def connection_made(self, transport) -> None:
        self.transport = transport

    def stdout_data(self, data: bytes) -> None:
        if self.channel._switching:
            return
        if self.channel._on_data(data) and self.live_since is None:
            self.live_since = time.monotonic()

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if fd == 1:
            self.stdout_data(data)
            return
        self._err += data
        *lines, self._err = self._err.split(b"\n")
        self._err = self._err[-4096:]
        for line in lines:
            self.channel._on_stderr_line(self.watch, line.decode("utf-8", "replace"), self.transport)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)


def _kill(proc) -> None:
    try:
        os.killpg(proc.get_pid() if hasattr(proc, "get_pid") else proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


__all__ = ["Channel", "GOP_MODES", "Settings", "Viewer", "redact"]
