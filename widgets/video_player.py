"""One libvlc media player as a Qt object: plays a URL into a native window, reports state, reconnects by itself."""
from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal, Slot

try:  # python-vlc loads libvlc at import; a machine without it still runs the rest of the app
    import vlc
except (ImportError, OSError) as exc:  # pragma: no cover - depends on the machine
    vlc = None
    _VLC_IMPORT_ERROR = str(exc)
else:
    _VLC_IMPORT_ERROR = ""

log = logging.getLogger(__name__)

# Lean options, measured under Xvfb with 8 tiles of 704x576@25 H.264 over HTTP-TS (RSS per player):
# libvlc defaults 71 MB; these with network caching 200 ms 26 MB (100 ms: 24.6 MB; avcodec threads 2: +3 MB).
# Audio is never played on a wall; the title OSD would cover the picture at each reconnect.
# The prefetch stream filter (auto-loaded on HTTP) reads into a 16 MiB ring by default: RSS then grew by the
# stream's byte rate (~0.1 MB/s a sub stream here, 9 MB a player after 90 s, still climbing) on bare players
# and the wall alike; with a 64 KiB ring read 4 KiB at a time it stays flat (measured: 16 players, 20 s, +2 MB
# in all). A live stream needs no read-ahead beyond network-caching; the socket buffer absorbs the rest.
VLC_ARGS = (
    "--no-audio",
    "--avcodec-threads=1",
    "--network-caching=200",
    "--prefetch-buffer-size=64",  # KiB
    "--prefetch-read-size=4096",  # bytes
    "--no-video-title-show",
    "--no-snapshot-preview",
    "--no-xlib",
    "--quiet",
)

STATES = ("idle", "connecting", "playing", "no_signal", "error")
_EVENTS = ("MediaPlayerEndReached", "MediaPlayerEncounteredError", "MediaPlayerVout", "MediaPlayerTimeChanged")

_instance = None


def vlc_instance():
    """The one libvlc instance of this process (created on first use); raises RuntimeError without libvlc."""
    global _instance
    if _instance is None:
        if vlc is None:
            raise RuntimeError(f"libvlc is not available: {_VLC_IMPORT_ERROR}")
        _instance = vlc.Instance(list(VLC_ARGS))
        if _instance is None:
            raise RuntimeError("libvlc refused to start (vlc.Instance returned None)")
    return _instance


def escape_marquee(text: str) -> str:
    """libvlc's marquee expands strftime %-codes and $-codes; keep a user's own % and $ literal."""
    return text.replace("%", "%%").replace("$", "$$")


class _Poller(QObject):
    """One timer for every player's progress check: 16 players wake the process once a poll, not 16 times
    (a timer's wake-up costs ~85 µs of CPU here, about what the check itself costs)."""

    _shared: "_Poller | None" = None

    def __init__(self, interval_ms: int):
        super().__init__(QCoreApplication.instance())
        self._players: dict[int, "VideoPlayer"] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer)

    @classmethod
    def shared(cls) -> "_Poller":
        if cls._shared is None:
            cls._shared = cls(VideoPlayer.POLL_MS)
        return cls._shared

    def add(self, player: "VideoPlayer") -> None:
        self._players[id(player)] = player
        if not self._timer.isActive():
            self._timer.start()

    def remove(self, player: "VideoPlayer") -> None:
        self.drop(id(player))

    def drop(self, key: int) -> None:
        self._players.pop(key, None)
        if not self._players:
            self._timer.stop()

    def polling(self, player: "VideoPlayer") -> bool:
        return id(player) in self._players

    @Slot()
    def _on_timer(self) -> None:
        for key, player in list(self._players.items()):
            try:
                player._check_progress()
            except RuntimeError:  # its QObject is gone (deleted without close()): forget it
                self._players.pop(key, None)
        if not self._players:
            self._timer.stop()


class VideoPlayer(QObject):
    """A libvlc player bound to one native window.

    libvlc calls that may block (stop joins the input thread) run on this player's own worker thread,
    in submission order; libvlc events arrive on VLC threads and only emit a queued Qt signal.

    Attributes:
        state: one of STATES.
        url: the URL asked for, or "".
    Signals:
        state_changed(str): "idle", "connecting", "playing", "no_signal" or "error".
    video_started(): libvlc has created its video output (a picture is about to be drawn): the moment
        to show the window it draws into. "playing" then waits for a picture drawn after ``mark_visible()``.
    """

    state_changed = Signal(str)
    video_started = Signal()
    _vlc_event = Signal(str)  # emitted on VLC threads, delivered queued on the GUI thread

    POLL_MS = 250
    STALL_S = 1.5  # no new decoded frame for this long while playing → no signal
    CONNECT_TIMEOUT_S = 6.0  # no first frame this long after opening → no signal
    BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 5.0)

    def __init__(self, parent: QObject | None = None, clock: Callable[[], float] = time.monotonic):
        super().__init__(parent)
        self._clock = clock
        self.state = "idle"
        self.url = ""
        self.options: tuple[str, ...] = ()
        self.reconnects = 0
        self.error = ""
        self._win_id = 0
        self._marquee = ""
        self._media = None
        self._frames = 0
        self._shown_base = 0  # pictures displayed before the window was visible (they reached no screen)
        self._last_progress = 0.0
        self._attempt = 0
        self._closed = False
        self._player = None
        self._time_attached = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vlc-ctl")
        self._poll = _Poller.shared()
        self.destroyed.connect(lambda *_args, poll=self._poll, key=id(self): poll.drop(key))
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._open)
        self._vlc_event.connect(self._on_vlc_event, Qt.ConnectionType.QueuedConnection)
        try:
            self._player = vlc_instance().media_player_new()
        except RuntimeError as exc:
            self.error = str(exc)
            log.error("video: %s", exc)
            return
        # Let clicks reach the Qt window under the video instead of libvlc's own input handling.
        self._player.video_set_mouse_input(False)
        self._player.video_set_key_input(False)
        events = self._player.event_manager()
        events.event_attach(vlc.EventType.MediaPlayerEndReached, self._from_vlc, "ended")
        events.event_attach(vlc.EventType.MediaPlayerEncounteredError, self._from_vlc, "error")
        events.event_attach(vlc.EventType.MediaPlayerVout, self._from_vlc, "vout")

    # ---- public API (GUI thread) -------------------------------------------------------------
    def set_window(self, win_id: int) -> None:
        """Render into this native window (an X11 window id, an HWND on Windows)."""
        self._win_id = int(win_id)
        if self._player is not None:
            self._submit(self._bind_window, self._win_id)

    def play(self, url: str, options: tuple[str, ...] = ()) -> None:
        """Open ``url`` (with libvlc media ``options``, e.g. ":miface=eth0" for a multicast group) and keep it
        open: reconnect with back-off whenever frames stop."""
        if self._closed:
            return
        self.url = url or ""
        self.options = tuple(options)
        self._attempt = 0
        self._retry.stop()
        if self._player is None or not self.url or not self._win_id:
            if self._player is not None:
                self.error = "no URL to play" if not self.url else "no native window to draw into"
            self._set_state("error")
            return
        self._set_state("connecting")
        self._open()

    def stop(self) -> None:
        """Stop playing and forget the URL (no reconnection)."""
        self.url = ""
        self._retry.stop()
        self._poll.remove(self)
        self._media = None
        if self._player is not None:
            self._submit(self._player.stop)
        self._set_state("idle")

    def set_marquee(self, text: str) -> None:
        """Text drawn by libvlc inside the picture (strftime codes such as %H:%M:%S are expanded)."""
        self._marquee = text
        self._apply_marquee()

    def close(self) -> None:
        """Stop and release libvlc; waits (bounded) so libvlc leaves the window before it is destroyed."""
        if self._closed:
            return
        self._closed = True
        self._retry.stop()
        self._poll.remove(self)
        player, self._player = self._player, None
        if player is not None:
            try:
                events = player.event_manager()
                for ev in _EVENTS:
                    if ev != "MediaPlayerTimeChanged" or self._time_attached:
                        events.event_detach(getattr(vlc.EventType, ev))
            except Exception:  # noqa: BLE001 - teardown must not raise
                log.debug("video: detach failed", exc_info=True)
            future = self._worker.submit(self._release, player)
            try:
                future.result(timeout=3.0)
            except Exception:  # noqa: BLE001
                log.warning("video: libvlc did not stop within 3 s; releasing in the background")
        self._worker.shutdown(wait=False)
        self._media = None
        self.url = ""
        self.state = "idle"

    def mark_visible(self) -> None:
        """The window is on screen from now: "playing" waits for a picture displayed after this."""
        media = self._media
        stats = vlc.MediaStats() if media is not None else None
        self._shown_base = stats.displayed_pictures if stats is not None and media.get_stats(stats) else 0

    def decoded_frames(self) -> int:
        """Frames decoded since the current URL was last opened."""
        return self._frames

    # ---- internals ------------------------------------------------------------------------------
    def _submit(self, fn, *args) -> None:
        def run():
            try:
                fn(*args)
            except Exception:  # noqa: BLE001 - a worker failure must be logged, not lost
                log.exception("video: libvlc call %s failed", getattr(fn, "__name__", fn))

        if not self._closed:
            self._worker.submit(run)

    def _bind_window(self, win_id: int) -> None:
        if self._player is None:
            return
        if sys.platform.startswith("win"):
            self._player.set_hwnd(win_id)
        elif sys.platform == "darwin":
            self._player.set_nsobject(win_id)
        else:
            self._player.set_xwindow(win_id)

    @staticmethod
    def _release(player) -> None:
        player.stop()
        player.release()

    def _open(self) -> None:
        """(Re)open the URL: a fresh media each time so a dead connection is not reused."""
        if self._closed or self._player is None or not self.url:
            return
        media = vlc_instance().media_new(self.url, *self.options)
        if media is None:
            self.error = f"libvlc cannot open {self.url!r}"
            self._set_state("error")
            return
        self._media = media
        self._frames = 0
        self._shown_base = 0
        self._last_progress = self._clock()
        player = self._player

        def reopen():
            player.stop()
            player.set_media(media)
            self._apply_marquee(player)  # no video output now: the next one takes the marquee from the player
            player.play()

        self._submit(reopen)
        self._watch_time(True)
        self._poll.add(self)

    def _watch_time(self, on: bool) -> None:
        """Listen to libvlc's time changes until the first picture: its first one comes with that picture,
        so the tile says "playing" then, not at the next poll. Not kept while playing (4 a second each)."""
        if self._player is None or on == self._time_attached:
            return
        events = self._player.event_manager()
        if on:
            events.event_attach(vlc.EventType.MediaPlayerTimeChanged, self._from_vlc, "time")
        else:
            events.event_detach(vlc.EventType.MediaPlayerTimeChanged)
        self._time_attached = on

    def _lost(self, why: str) -> None:
        if self._retry.isActive() or not self.url:
            return
        delay = self.BACKOFF_S[min(self._attempt, len(self.BACKOFF_S) - 1)]
        self._attempt += 1
        self.reconnects += 1
        log.info("video: %s: %s; reconnecting in %.1f s", self.url, why, delay)
        self._poll.remove(self)
        self._media = None
        if self._player is not None:
            self._submit(self._player.stop)  # drop the frozen last frame: the tile shows NO SIGNAL
        self._set_state("no_signal")
        self._retry.start(int(delay * 1000))

    @Slot()
    def _check_progress(self) -> None:
        media = self._media
        if media is None or not self.url:
            return
        stats = vlc.MediaStats()
        have = media.get_stats(stats)
        count = stats.decoded_video if have else 0
        now = self._clock()
        if count > self._frames:
            self._frames = count
            self._last_progress = now
            if self.state != "playing" and stats.displayed_pictures <= self._shown_base:
                return  # decoded, not yet on screen: "playing" means a picture is shown
            self._attempt = 0
            self._watch_time(False)
            if self.state != "playing":
                self._size_marquee()  # the picture's size is known now
            self._set_state("playing")
            return
        limit = self.STALL_S if self.state == "playing" else self.CONNECT_TIMEOUT_S
        if now - self._last_progress > limit:
            self._lost("no new frames" if self.state == "playing" else "no first frame")

    def _from_vlc(self, event, what: str) -> None:  # VLC thread: emit only
        if not self._closed:
            if what == "vout" and not event.u.new_count:
                what = "vout-gone"  # the video output went (a stop): nothing to show
            self._vlc_event.emit(what)

    @Slot(str)
    def _on_vlc_event(self, what: str) -> None:
        if self._closed:
            return
        if what == "time":
            if self.state != "playing":
                self._check_progress()
            return
        if what == "vout-gone":
            return
        if what == "vout":
            if self.state == "connecting":
                self.video_started.emit()
        elif self.url and self._media is not None:
            self._lost("end of stream" if what == "ended" else "libvlc error")

    def _video_sar(self) -> tuple[int, int]:
        media = self._media
        try:
            for track in media.tracks_get() if media is not None else ():
                if track.type == vlc.TrackType.video and track.video:
                    video = track.video.contents
                    if video.sar_num and video.sar_den:
                        return video.sar_num, video.sar_den
        except Exception:  # noqa: BLE001 - no track info yet: square pixels
            log.debug("video: no track info", exc_info=True)
        return 1, 1

    def video_geometry(self) -> tuple[int, int, int, int] | None:
        """(width, height, sar_num, sar_den) of the picture playing, None before its first picture."""
        if self._player is None or self._media is None:
            return None
        width, height = self._player.video_get_size(0) or (0, 0)
        return (width, height, *self._video_sar()) if width and height else None

    # The marquee is set on the player before each play() (the worker's reopen, no video output then): each
    # video output libvlc creates takes it from there. Set again at each "vout" event instead (libvlc sends 2-3
    # as it starts one), it was lost on some tiles and, on others, cost 2.5x the baseline's blending (perf).
    def _apply_marquee(self, player=None) -> None:
        player = player or self._player
        if player is None:
            return
        opt = vlc.VideoMarqueeOption
        if not self._marquee:
            player.video_set_marquee_int(opt.Enable, 0)
            return
        player.video_set_marquee_int(opt.Enable, 1)
        player.video_set_marquee_string(opt.Text, self._marquee)
        player.video_set_marquee_int(opt.Opacity, 110)  # of 255: readable, does not hide the picture
        player.video_set_marquee_int(opt.Color, 0xFFFFFF)
        player.video_set_marquee_int(opt.Position, 10)  # bottom-right
        player.video_set_marquee_int(opt.X, 12)
        player.video_set_marquee_int(opt.Y, 12)
        player.video_set_marquee_int(opt.Refresh, 1000)
        player.video_set_marquee_int(opt.Timeout, 0)
        self._size_marquee(player)

    def _size_marquee(self, player=None) -> None:
        """The text's size in picture pixels: a small band whatever the resolution (known from the first picture)."""
        player = player or self._player
        if player is None or not self._marquee:
            return
        _width, height = player.video_get_size(0) or (0, 0)
        if height:
            player.video_set_marquee_int(vlc.VideoMarqueeOption.Size, max(10, height // 30))

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
