"""One camera stream in the relay: one supervised ffmpeg pull, a GOP cache, any number of HTTP viewers."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from backend.relay import pump as pumps
from backend.relay.pull import StderrWatch, ffmpeg_command, redact
from backend.relay.ts import PACKET, FrameStart, TsScanner, tables_before
from backend.relay.viewer import Viewer

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
    batch_ms: float = pumps.BATCH_MS  # under load, read all pulls' pipes together at most this often (pump.py)


class Channel:
    """The pull of one camera stream (main or sub) and its viewers.

    Attributes:
        cam_id, stream: which camera, "main" or "sub".  url: the private source URL (never reported).
        state: idle | connecting | live | lost.  error: why it is lost ("" when fine), redacted.
        reconnects: pulls restarted since the first.  viewers: the connected Viewers.
    """

    def __init__(self, cam_id: str, stream: str, url: str, settings: Settings,
                 on_viewer_gone: Callable[[Viewer], None], on_change: Callable[[], None] | None = None):
        self.cam_id, self.stream, self.url = cam_id, stream, url
        self.settings = settings
        self._on_viewer_gone = on_viewer_gone
        self._on_change = on_change  # called on the event loop after a state or viewer change
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
        self._gop: list[memoryview] = []  # from the last keyframe: views of the chunks scanned
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
        self._tables = (b"", b"")
        self._fast = False  # flowing (and not switching engine): chunks go out as read, scanned on the tick
        self._pending: list[bytes] = []  # chunks sent as read and not yet scanned (see _on_bytes, _flush)
        self._rfd = -1  # the running pull's stdout, read by the pump (-1: none)
        self._out: tuple[Viewer, ...] = ()  # the viewers the pump's thread writes to (see _on_bytes)
        self._pump: pumps.Pump | None = None  # the pump reading the running pull
        self._laned: dict[int, Viewer] | None = None  # in the pump's C lane: its viewers by fd (see _relane)
        self._lane_pipe = -1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._live_since: float | None = None  # when this pull started flowing

    # ---- viewers ---------------------------------------------------------------------------
    def add_viewer(self, viewer: Viewer) -> None:
        self._loop = asyncio.get_running_loop()
        with pumps.LOCK:
            self._send_start(viewer)  # before it joins: its stream begins with the start, then live chunks
            self.viewers.add(viewer)
            self._out = tuple(v for v in self.viewers if not v.reason)
            self._relane()
        self._idle_since = None
        self.ensure_running()
        self._changed()

    def remove_viewer(self, viewer: Viewer, reason: str = "closed") -> None:
        """On the event loop (the pump's thread drops a viewer through ``_drop``)."""
        with pumps.LOCK:
            viewer.close(reason)
            self._out = tuple(v for v in self.viewers if not v.reason)
            self._relane()
        if viewer.reason == "too_slow" and viewer.transport is not None:
            viewer.transport.abort()
        if viewer in self.viewers:
            self.viewers.discard(viewer)
            self._on_viewer_gone(viewer)
        if not self.viewers and self._idle_since is None:
            self._idle_since = time.monotonic()
        self._changed()

    def _drop(self, viewer: Viewer) -> None:
        """In the pump's thread: stop writing to ``viewer`` at once; the loop removes it."""
        self._out = tuple(v for v in self._out if v is not viewer)
        self._relane()
        self._remove_soon(viewer)

    def _remove_soon(self, viewer: Viewer) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.remove_viewer, viewer, viewer.reason)

    def _send_start(self, viewer: Viewer) -> None:
        """Instant start: the latest PAT/PMT, then the cached GOP (or its keyframe) before live data. Once
        chunks go out as read (``_fast``) the viewer also gets the bytes read after the last whole packet
        scanned, so that its stream goes on, packet-aligned, exactly where the next live chunk picks up."""
        self._flush()
        mode, start = self.settings.gop_mode, b""
        if mode != "off" and self._gop and self.state == "live":
            if mode == "key":
                start = b"".join(self._gop)[:self._key_len] if self._key_len else b""
            else:
                start = b"".join(self._gop)
            if start:
                start = self._scanner.pat + self._scanner.pmt + start
        if self._fast:
            start += self._scanner.rest
        if start:
            viewer.send(start, 1 << 62)

    def gop_age(self) -> float:
        with pumps.LOCK:
            self._flush()
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
            if viewer.transport is not None:
                viewer.transport.close()
            self.remove_viewer(viewer, reason)
        await self.stop()

    def _set_state(self, state: str, error_code: str = "", error: str = "") -> None:
        """On the event loop, or in the pump's thread (the first keyframe makes a pull live)."""
        changed = state != self.state or (error and error != self.error)
        if state != self.state:
            log.info("camera %s/%s: %s -> %s %s", self.cam_id, self.stream, self.state, state, error)
        self.state = state
        if state == "live":  # an idle camera keeps its last error for the console
            self.error_code = self.error = ""
        elif error:
            self.error_code, self.error = error_code, error
        if changed:
            self._changed()

    def _changed(self) -> None:
        """Tell the server (on the event loop) that what it publishes at once may have changed."""
        if self._on_change is not None and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._on_change)

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
        self._tables = (b"", b"")  # the PAT and PMT last sent before the next chunk, until the first keyframe
        self._fast, self._pending, self._live_since = False, [], None
        cmd = ffmpeg_command(self.url, self.transcode, self.settings.rtsp_transport)
        self.pulls += 1
        self._rates.append((time.monotonic(), self._bytes_total, self._frames_total))  # rates count from here
        loop = asyncio.get_running_loop()
        proto = _PullProtocol(self, watch)
        rfd, wfd = pumps.make_pipe()  # stdout: read in batches by the pump; stderr: the protocol, by line
        # its own process group (killed as one), but the relay's session: a session of its own would put each
        # pull in its own scheduler autogroup, which cost the pulls ~7 % more CPU (bench_relay, 2026-11-26)
        try:
            transport, _ = await loop.subprocess_exec(lambda: proto, *cmd, stdin=asyncio.subprocess.DEVNULL,
                                                      stdout=wfd, process_group=0)
        except OSError as exc:
            os.close(rfd)
            self._set_state("lost", "engine", f"cannot start ffmpeg: {exc.strerror or exc}")
            return None
        finally:
            os.close(wfd)
        pump = pumps.shared()
        pump.interval = max(0.0, self.settings.batch_ms / 1000)
        pump.quiet_after = self.settings.lost_after_s
        self._loop = loop
        self._pump = pump
        pump.add(rfd, self._on_bytes, lambda: None, lambda: loop.call_soon_threadsafe(self._on_quiet, rfd),
                 self._relane)  # called when viewers left the lane
        self._proc, self._rfd = transport, rfd
        self._last_data = time.monotonic()
        try:
            await proto.exited
        finally:
            with pumps.LOCK:
                self._rfd = -1
                self._relane()  # out of the C lane, with what it read, before the pipe closes
            pump.remove(rfd)
            with pumps.LOCK:
                self._end_stream()
            self._proc = None
            if transport.get_returncode() is None:
                _kill(transport)
            await proto.exited
            transport.close()
        if self._switching:
            return None
        code = watch.error_code or "ended"
        message = watch.error or f"the source ended (ffmpeg exit {transport.get_returncode()})"
        if self._live_since is None:
            log.info("camera %s/%s: pull %d ended before any picture: %s", self.cam_id, self.stream, self.pulls,
                     watch.last_line)
        self._set_state("lost", code, message)
        return self._live_since

    def _on_stderr_line(self, watch: StderrWatch, line: str, transport) -> None:
        watch.line(line)
        if watch.input_codec and not self.codec:
            self.codec = f"h264 (transcoded from {watch.input_codec})" if watch.needs_transcode() \
                else watch.input_codec
        if watch.needs_transcode() and not self.transcode:
            log.info("camera %s/%s: %s cannot go into MPEG-TS as is: transcoding to H.264",
                     self.cam_id, self.stream, watch.input_codec)
            with pumps.LOCK:
                self.transcode = self._switching = True
                self._end_stream()
            _kill(transport)

    def _on_bytes(self, data: bytes) -> None:
        """The pump's callback with this pull's stdout, ~25 times a second per camera: the relay's hot path,
        in the pump's thread (LOCK held).

        Once the pull flows, a chunk goes to every viewer as read, and waits in ``_pending`` for the next
        scan (GOP cache, rates, codec, "live"), which the 4 Hz tick (or a new viewer) runs over all chunks
        since the last: one scan of ~6 chunks instead of one per chunk, and nothing else per chunk."""
        if self._fast:
            self._pending.append(data)
            for viewer in self._out:
                if not viewer.send(data, self.settings.max_queue_bytes):
                    self._drop(viewer)
            self._relane()  # backlogs written out: back to the C lane
        elif not self._switching:
            self._on_first_data(data)

    def _relane(self) -> None:
        """With LOCK held, whenever the viewers or the pull's phase change: while the pull flows and every viewer
        can take the stream as read (a TCP viewer with nothing in its backlog), its pipe and their descriptors
        go to the pump's C lane (``pump.py``); otherwise the lane gives them back, with what it read since the
        last scan, and the Python path (``_on_bytes``) writes. Each viewer's byte count is brought up to date.
        Also the pump's ``on_short``: viewers whose sockets took less than a whole chunk, or failed, have left
        the lane; what they did not get becomes their backlog here."""
        lane = self._pump.lane if self._pump is not None else None
        if lane is None:
            return
        if self._laned is not None:  # first the viewers that left the lane: what they did not get is their backlog
            for fd, sent, unsent, err in lane.left(self._lane_pipe):
                viewer = self._laned.pop(fd, None)
                if viewer is not None and not viewer.fell_behind(sent, unsent, err, self.settings.max_queue_bytes) \
                        and viewer in self._out:
                    self._out = tuple(v for v in self._out if v is not viewer)
                    self._remove_soon(viewer)
        fds = tuple(v.lane_fd() for v in self._out)
        if self._fast and self._rfd >= 0 and not self._switching and -1 not in fds:
            if self._laned is not None and tuple(self._laned) == fds and self._lane_pipe == self._rfd:
                return
            counts, laned = lane.set(self._rfd, fds), dict(zip(fds, self._out))
            self._lane_pipe = self._rfd
        elif self._laned is None:
            return
        else:
            if taken := lane.take(self._lane_pipe):
                self._pending.append(taken)
            counts, laned = lane.set(self._lane_pipe, None), None
            self._lane_pipe = -1
        for fd, sent in counts.items():
            viewer = self._laned.get(fd) if self._laned else None
            if viewer is not None:
                viewer.bytes += sent
        self._laned = laned

    def _on_quiet(self, rfd: int) -> None:
        """On the event loop: the pump found this pull's pipe without data for ``lost_after_s``: the camera
        stopped sending (the pump looks when the pipe's ``lost_after_s`` is up, so "lost" comes a few ms after it)."""
        if rfd == self._rfd and self._pump is not None:
            self._mark_silent(self._pump.last_read(rfd) or self._last_data)

    def _mark_silent(self, seen: float) -> None:
        """A live pull that has given no data since ``seen`` (monotonic) is lost."""
        if self.state == "live":
            self._set_state("lost", "no_data", f"no data from the camera for {time.monotonic() - seen:.1f} s")

    def _on_first_data(self, data: bytes) -> None:
        """Until the first keyframe: scan each chunk; start every pull (and so every viewer's stream) on a
        keyframe, with PAT/PMT, then go over to the hot path."""
        chunk, frames = self._scanner.feed(data)
        if not chunk:
            return
        if not self._flowing:
            self._frames_waited += len(frames)
            first = next((f for f in frames if f.key), None)
            pmt_pid = self._scanner.pmt_pid
            if first is None and (self._frames_waited < 100 or not frames):
                self._tables = tables_before(chunk, len(chunk) // PACKET, *self._tables, pmt_pid)
                return
            first = first or frames[0]
            prefix = b"".join(tables_before(chunk, first.index, *self._tables, pmt_pid))
            chunk = prefix + chunk[first.index * PACKET:]
            shift = first.index - len(prefix) // PACKET
            frames = [FrameStart(f.index - shift, f.key) for f in frames if f.index >= first.index]
            self._flowing = True
            self._live_since = time.monotonic()
        self._account(chunk, frames)
        rest = self._scanner.rest  # the hot path sends raw chunks: first the partial packet held back here
        self._fast = True
        for viewer in self._out:
            if not viewer.send(chunk + rest, self.settings.max_queue_bytes):
                self._drop(viewer)
        self._relane()

    def _flush(self) -> None:
        """Scan the chunks the hot path sent since the last scan."""
        if self._laned is not None and (taken := self._pump.lane.take(self._lane_pipe)):
            self._pending.append(taken)
        if self._pending:
            data = b"".join(self._pending)
            self._pending = []
            chunk, count, marks = self._scanner.feed_marks(data)
            if chunk:
                self._account(chunk, marks, count)

    def _end_stream(self) -> None:
        """The pull ended: scan what is left, and complete a packet the viewers got only part of (stuffing
        bytes), so that their streams stay packet-aligned for the next pull's."""
        self._flush()
        rest = self._scanner.rest if self._fast else b""
        self._fast = False
        self._relane()
        if rest and len(rest) < PACKET:
            for viewer in self._out:
                viewer.send(b"\xff" * (PACKET - len(rest)), self.settings.max_queue_bytes)

    def _account(self, chunk: bytes, frames: list[FrameStart], count: int | None = None) -> None:
        """Rates, codec, the GOP cache and "live", for whole packets of this pull's stream. The cache holds
        views of the scanned chunks, not copies. ``frames``: the frame starts in ``chunk``, or (with their
        ``count``) only those around keyframes (``TsScanner.feed_marks``): the others change nothing here."""
        now = time.monotonic()
        self._last_data = now
        self._bytes_total += len(chunk)
        self._frames_total += len(frames) if count is None else count
        if self._scanner.codec and not self.transcode:
            self.codec = self._scanner.codec
        pos, chunk = 0, memoryview(chunk)
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
        if frames and self.state != "live":
            self._set_state("live")

    def _cache(self, part: memoryview) -> None:
        if not part or (not self._gop and not self._last_key):
            return  # nothing cached before the first keyframe
        if self._gop_bytes + len(part) > self.settings.max_gop_bytes:
            self._clear_cache()
            return
        self._gop.append(part)
        self._gop_bytes += len(part)

    # ---- watchdog (called by the server once a second) ---------------------------------------
    def tick(self, now: float) -> bool:
        """Scan the chunks sent since the last tick (GOP cache, rates), check timeouts; True when the linger
        time after the last viewer is over. The scan costs per chunk, not per call, and fewer, larger calls
        copy less. A camera that stops sending is found by the pump (``_on_quiet``) a few ms after
        ``lost_after_s``; the check here only backs it up."""
        with pumps.LOCK:
            self._flush()
            seen = self._pump.last_read(self._rfd) if self._rfd >= 0 and self._pump is not None else None
        if seen is not None and seen > self._last_data:
            self._last_data = seen
        self._rates.append((now, self._bytes_total, self._frames_total))
        while len(self._rates) > 2 and now - self._rates[1][0] >= 2.0:
            self._rates.popleft()
        t0, b0, f0 = self._rates[0]
        if now - t0 >= 0.5:
            self.bitrate_kbps = round((self._bytes_total - b0) * 8 / 1000 / (now - t0), 1)
            self.fps = round((self._frames_total - f0) / (now - t0), 1)
        running = self._task is not None and not self._task.done()
        if running and self._proc is not None:
            silent = now - self._last_data
            if self.state == "live" and silent > self.settings.lost_after_s:
                self._mark_silent(self._last_data)
            elif self.state == "connecting" and now - self._started > self.settings.connect_timeout_s:
                self._set_state("lost", "timeout", "the camera did not start sending")
            if silent > self.settings.restart_stalled_s and self.state == "lost":
                _kill(self._proc)  # stuck: the pull loop restarts it with back-off
        if self.state != "live":
            self.bitrate_kbps = self.fps = 0.0
        return bool(running and not self.viewers and self._idle_since is not None
                    and now - self._idle_since >= self.settings.linger_s)

    def starting(self, now: float) -> bool:
        """In the first 2 s after this pull's first keyframe (its rates are not known yet)."""
        return self._live_since is not None and now - self._live_since < 2.0

    def health(self) -> dict:
        """From the last scan (at most a second old: the tick's): asking does not scan, so that the backend's
        calls cost no more than the JSON."""
        return {
            "id": self.cam_id, "stream": self.stream, "state": self.state,
            "error": self.error, "error_code": self.error_code,
            "bitrate_kbps": self.bitrate_kbps, "fps": self.fps,
            "keyframe_age": round(time.monotonic() - self._last_key, 2) if self._last_key else None,
            "viewers": len(self.viewers), "reconnects": self.reconnects, "codec": self.codec,
            "transcoded": self.transcode, "gop_bytes": self._gop_bytes, "pulls": self.pulls,
            "native": self._laned is not None,  # its viewers are written to by the pump's C lane now
        }


class _PullProtocol(asyncio.SubprocessProtocol):
    """ffmpeg's stdout goes to the pump (batched reads); stderr is read line by line for codec and errors."""

    def __init__(self, channel: Channel, watch: StderrWatch):
        self.channel, self.watch = channel, watch
        self.exited: asyncio.Future = asyncio.get_running_loop().create_future()
        self.transport = None
        self._err = b""

    def connection_made(self, transport) -> None:
        self.transport = transport

    def pipe_data_received(self, fd: int, data: bytes) -> None:  # stderr (stdout goes to the pump)
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
