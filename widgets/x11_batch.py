"""Video windows Qt does not know about: X11 child windows libvlc draws into, moved as one batch of requests.

Why: a native Qt child window costs ~4 X round trips per move (QXcbWindow::setGeometry syncs for child
windows, the ConfigureNotify that follows queries the window tree again). A scene switch moves 16 of them
while the X server is busy drawing 16 streams: 60-130 ms. Here each VideoSurface is a plain (non-native)
Qt widget that paints the black / NO SIGNAL picture, and over it sits an X window of our own, created on
Qt's own xcb connection (ordered after Qt's requests, no second connection), child of the surface's native
parent. `VideoWindows.apply()` sends a ConfigureWindow / MapWindow / UnmapWindow for every window whose
wanted state changed, without waiting; `sync=True` adds ONE round trip at the end (the X server has then
applied the whole composition). The window is mapped only from libvlc's video output start until the
picture stops, so whatever Qt paints (NO SIGNAL, Connecting…) shows whenever libvlc has nothing on screen.
It follows the surface's moves, resizes and visibility, and those of the surface's containers (an event
filter on each ancestor up to the native window). Clicks go through: the window selects no input, so X
hands them to the Qt window under it.

Requests are sent "checked" and their replies discarded: an error (a window already gone with its parent)
is dropped by libxcb instead of reaching Qt's event loop as a warning.

Only on Qt's xcb platform with libxcb loadable; elsewhere (or with CC_VIDEO_NATIVE_WINDOWS=1 in the
environment: the previous path, for comparison or as a way out) `VideoWindows.shared()` is None and the
surface is a native Qt window.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from typing import Protocol

from PySide6.QtCore import QObject, QPoint, QTimer
from PySide6.QtGui import QGuiApplication

log = logging.getLogger(__name__)

CW_BACK_PIXEL = 0x2
CONFIG_X, CONFIG_Y, CONFIG_W, CONFIG_H = 0x1, 0x2, 0x4, 0x8
MAP_STATES = ("unmapped", "unviewable", "viewable")


class _Cookie(ctypes.Structure):
    _fields_ = [("sequence", ctypes.c_uint)]


class _GeometryReply(ctypes.Structure):
    _fields_ = [("response_type", ctypes.c_uint8), ("depth", ctypes.c_uint8), ("sequence", ctypes.c_uint16),
                ("length", ctypes.c_uint32), ("root", ctypes.c_uint32), ("x", ctypes.c_int16), ("y", ctypes.c_int16),
                ("width", ctypes.c_uint16), ("height", ctypes.c_uint16), ("border_width", ctypes.c_uint16)]


class _TranslateReply(ctypes.Structure):
    _fields_ = [("response_type", ctypes.c_uint8), ("same_screen", ctypes.c_uint8), ("sequence", ctypes.c_uint16),
                ("length", ctypes.c_uint32), ("child", ctypes.c_uint32), ("dst_x", ctypes.c_int16),
                ("dst_y", ctypes.c_int16)]


class _AttributesReply(ctypes.Structure):
    _fields_ = [("response_type", ctypes.c_uint8), ("backing_store", ctypes.c_uint8), ("sequence", ctypes.c_uint16),
                ("length", ctypes.c_uint32), ("visual", ctypes.c_uint32), ("class_", ctypes.c_uint16),
                ("bit_gravity", ctypes.c_uint8), ("win_gravity", ctypes.c_uint8), ("backing_planes", ctypes.c_uint32),
                ("backing_pixel", ctypes.c_uint32), ("save_under", ctypes.c_uint8), ("map_is_installed", ctypes.c_uint8),
                ("map_state", ctypes.c_uint8), ("override_redirect", ctypes.c_uint8)]


def _load():
    try:
        xcb = ctypes.CDLL(ctypes.util.find_library("xcb") or "libxcb.so.1")
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError as exc:
        log.info("x11: libxcb not loadable (%s): video surfaces use native Qt windows", exc)
        return None, None
    p, u32, u16, i16, u8 = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint16, ctypes.c_int16, ctypes.c_uint8
    sig = {
        "xcb_connect": (p, [ctypes.c_char_p, p]), "xcb_disconnect": (None, [p]),
        "xcb_connection_has_error": (ctypes.c_int, [p]), "xcb_generate_id": (u32, [p]),
        "xcb_flush": (ctypes.c_int, [p]), "xcb_discard_reply": (None, [p, ctypes.c_uint]),
        "xcb_create_window_checked": (_Cookie, [p, u8, u32, u32, i16, i16, u16, u16, u16, u16, u32, u32, p]),
        "xcb_configure_window_checked": (_Cookie, [p, u32, u16, p]),
        "xcb_map_window_checked": (_Cookie, [p, u32]), "xcb_unmap_window_checked": (_Cookie, [p, u32]),
        "xcb_destroy_window_checked": (_Cookie, [p, u32]),
        "xcb_reparent_window_checked": (_Cookie, [p, u32, u32, i16, i16]),
        "xcb_get_input_focus": (_Cookie, [p]), "xcb_get_input_focus_reply": (p, [p, _Cookie, p]),
        "xcb_get_geometry": (_Cookie, [p, u32]), "xcb_get_geometry_reply": (ctypes.POINTER(_GeometryReply), [p, _Cookie, p]),
        "xcb_translate_coordinates": (_Cookie, [p, u32, u32, i16, i16]),
        "xcb_translate_coordinates_reply": (ctypes.POINTER(_TranslateReply), [p, _Cookie, p]),
        "xcb_get_window_attributes": (_Cookie, [p, u32]),
        "xcb_get_window_attributes_reply": (ctypes.POINTER(_AttributesReply), [p, _Cookie, p]),
    }
    for name, (res, args) in sig.items():
        fn = getattr(xcb, name)
        fn.restype, fn.argtypes = res, args
    libc.free.argtypes, libc.free.restype = [p], None
    return xcb, libc


_XCB, _LIBC = _load()


class Xcb:
    """A few X requests on one xcb connection (Qt's own, or one opened here with ``Xcb.connect()``)."""

    def __init__(self, conn: int, owned: bool = False):
        self.conn, self._owned = ctypes.c_void_p(conn), owned

    @classmethod
    def connect(cls, display: str | None = None) -> "Xcb":
        """A connection of our own (tests: look at the server from outside Qt)."""
        if _XCB is None:
            raise RuntimeError("libxcb is not available")
        conn = _XCB.xcb_connect(display.encode() if display else None, None)
        if not conn or _XCB.xcb_connection_has_error(conn):
            raise RuntimeError(f"cannot connect to the X server {display or '$DISPLAY'}")
        return cls(conn, owned=True)

    def close(self) -> None:
        if self._owned and self.conn:
            _XCB.xcb_disconnect(self.conn)
            self.conn = ctypes.c_void_p(0)

    def _done(self, cookie: _Cookie) -> None:
        _XCB.xcb_discard_reply(self.conn, cookie.sequence)  # an error, if any, is dropped here

    def create_window(self, parent: int, x: int, y: int, w: int, h: int) -> int:
        """An unmapped InputOutput child of ``parent``, depth and visual of the parent, with a black
        background. libvlc draws the picture in a window of its own, the picture's size, inside this one: the
        bars around the picture are this window. The X server clears to the background what becomes visible
        in it, as when the picture's window shrinks or moves because the tile changed shape. With no
        background ("None") those pixels stayed as they were: a stale, larger frame in the bars
        (tests/widgets/test_video_tile.py, the bars test)."""
        xid = _XCB.xcb_generate_id(self.conn)
        values = (ctypes.c_uint32 * 1)(0)  # pixel 0: black in the TrueColor visuals Qt's windows use
        self._done(_XCB.xcb_create_window_checked(self.conn, 0, xid, parent, x, y, max(1, w), max(1, h), 0, 1, 0,
                                                  CW_BACK_PIXEL, values))
        return xid

    def configure(self, xid: int, x: int, y: int, w: int, h: int) -> None:
        values = (ctypes.c_uint32 * 4)(x & 0xFFFFFFFF, y & 0xFFFFFFFF, max(1, w), max(1, h))
        self._done(_XCB.xcb_configure_window_checked(self.conn, xid, CONFIG_X | CONFIG_Y | CONFIG_W | CONFIG_H, values))

    def map(self, xid: int) -> None:
        self._done(_XCB.xcb_map_window_checked(self.conn, xid))

    def unmap(self, xid: int) -> None:
        self._done(_XCB.xcb_unmap_window_checked(self.conn, xid))

    def reparent(self, xid: int, parent: int, x: int, y: int) -> None:
        self._done(_XCB.xcb_reparent_window_checked(self.conn, xid, parent, x, y))

    def destroy(self, xid: int) -> None:
        self._done(_XCB.xcb_destroy_window_checked(self.conn, xid))

    def flush(self) -> None:
        _XCB.xcb_flush(self.conn)

    def sync(self) -> None:
        """One round trip: every request sent before on this connection has been processed by the server."""
        reply = _XCB.xcb_get_input_focus_reply(self.conn, _XCB.xcb_get_input_focus(self.conn), None)
        if reply:
            _LIBC.free(reply)

    def geometry(self, xid: int) -> tuple[int, int, int, int] | None:
        """(x, y, width, height) of the window on the screen (root coordinates), None if there is no such window."""
        g = _XCB.xcb_get_geometry_reply(self.conn, _XCB.xcb_get_geometry(self.conn, xid), None)
        if not g:
            return None
        root, w, h = g.contents.root, g.contents.width, g.contents.height
        _LIBC.free(g)
        t = _XCB.xcb_translate_coordinates_reply(self.conn, _XCB.xcb_translate_coordinates(self.conn, xid, root, 0, 0), None)
        if not t:
            return None
        x, y = t.contents.dst_x, t.contents.dst_y
        _LIBC.free(t)
        return x, y, w, h

    def map_state(self, xid: int) -> str:
        """"unmapped", "unviewable", "viewable", or "gone"."""
        a = _XCB.xcb_get_window_attributes_reply(self.conn, _XCB.xcb_get_window_attributes(self.conn, xid), None)
        if not a:
            return "gone"
        state = a.contents.map_state
        _LIBC.free(a)
        return MAP_STATES[state] if state < 3 else str(state)


def qt_xcb() -> Xcb | None:
    """Qt's own xcb connection, or None (another platform, no libxcb)."""
    if _XCB is None or QGuiApplication.platformName() != "xcb":
        return None
    native = QGuiApplication.instance().nativeInterface()
    conn = native.connection() if native is not None and hasattr(native, "connection") else 0
    return Xcb(int(conn)) if conn else None


class Surface(Protocol):  # what VideoWindows needs of a surface (widgets.video_tile.VideoSurface)
    def nativeParentWidget(self): ...
    def parentWidget(self): ...
    def mapTo(self, parent, pos): ...
    def isVisible(self) -> bool: ...
    def devicePixelRatioF(self) -> float: ...
    def width(self) -> int: ...
    def height(self) -> int: ...
    video_shown: bool


class VideoWindows(QObject):
    """The X windows of every video surface of this process; one instance (``shared()``), GUI thread only."""

    _shared: "VideoWindows | None" = None

    def __init__(self, x: Xcb):
        super().__init__(QGuiApplication.instance())  # goes with the application, not at interpreter exit
        self.x = x
        self._surfaces: dict[int, tuple[Surface, int]] = {}  # id(surface) -> (surface, xid)
        self._sent: dict[int, tuple] = {}  # xid -> (parent, x, y, w, h, mapped) last sent
        self.requests = 0  # requests sent (tests, benchmark)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.apply)
        # After a move, resize, show, hide or paint of a surface (schedule()), a short burst of checks follows
        # its containers while a layout settles; in between, one check a second (a container moved by a blit,
        # with no event reaching the surface). Both are event-driven or slow: a steady 100 ms timer cost the
        # wall 1.7 ms of CPU a second at one tile (1.7 % of its CPU; measured with no other change).
        self._follow = QTimer(self)
        self._follow.setInterval(self.FOLLOW_MS)
        self._follow.timeout.connect(self._on_follow)
        self._quiet_ticks = 0
        self._watch = QTimer(self)
        self._watch.setInterval(self.WATCH_MS)
        self._watch.timeout.connect(self._on_watch)

    @classmethod
    def shared(cls) -> "VideoWindows | None":
        """The instance on Qt's xcb connection, None where that is not available."""
        if cls._shared is None:
            x = None if os.environ.get("CC_VIDEO_NATIVE_WINDOWS") else qt_xcb()
            if x is None:
                return None
            cls._shared = cls(x)
        return cls._shared

    def attach(self, surface: Surface) -> int:
        """The X window of ``surface`` (created on first call, unmapped until ``surface.video_shown``)."""
        entry = self._surfaces.get(id(surface))
        if entry is not None:
            return entry[1]
        parent = surface.nativeParentWidget() or surface.window()
        xid = self.x.create_window(int(parent.winId()), 0, 0, 1, 1)
        self._surfaces[id(surface)] = (surface, xid)
        self._watch.start()
        self._sent[xid] = (int(parent.winId()), 0, 0, 1, 1, False)
        self.apply()
        return xid

    # Moving a container moves the surfaces in it without an event of their own: the burst after an event,
    # and the once-a-second check, apply again; apply() sends nothing when nothing changed. Not an event
    # filter on the ancestors: PySide calls a Python event filter with objects half-way through their
    # destruction (a segfault in shiboken seen here when a grid was deleted).
    FOLLOW_MS = 100  # the burst's period…
    FOLLOW_TICKS = 10  # …and how many quiet ticks (nothing to send) end it
    WATCH_MS = 1000  # the check while nothing happens

    def window_of(self, surface: Surface) -> int:
        entry = self._surfaces.get(id(surface))
        return entry[1] if entry else 0

    def detach(self, surface: Surface) -> None:
        """Destroy the surface's X window (after libvlc has let go of it)."""
        entry = self._surfaces.pop(id(surface), None)
        if entry is not None:
            self.forget(entry[1])

    def forget_later(self, surface: Surface):
        """A slot for ``surface.destroyed``: its X window goes with it."""
        key = id(surface)

        def gone(*_args) -> None:
            entry = self._surfaces.pop(key, None)
            if entry is not None:
                self.forget(entry[1])
        return gone

    def forget(self, xid: int) -> None:
        if self._sent.pop(xid, None) is not None:
            self.x.destroy(xid)
            self.x.flush()
        if not self._surfaces:
            self._follow.stop()
            self._watch.stop()

    def schedule(self) -> None:
        """Apply at the next turn of the event loop (geometry or visibility may have changed), then follow
        the surfaces for a moment (their containers may still be moving: a layout settling)."""
        if not self._timer.isActive():
            self._timer.start()
        self._quiet_ticks = 0
        if not self._follow.isActive():
            self._follow.start()

    def following(self) -> bool:
        """A burst of checks is under way (tests)."""
        return self._follow.isActive()

    def _on_follow(self) -> None:
        if self.apply():
            self._quiet_ticks = 0
        else:
            self._quiet_ticks += 1
            if self._quiet_ticks >= self.FOLLOW_TICKS:
                self._follow.stop()

    def _on_watch(self) -> None:
        if self.apply():  # something moved with no event of ours: follow it closely for a while
            self.schedule()

    def apply(self, sync: bool = False) -> int:
        """Bring every X window to its surface's place and visibility in one batch; returns requests sent.
        ``sync``: end with one round trip, so the X server has applied everything on return."""
        self._timer.stop()
        sent = 0
        for key, (surface, xid) in list(self._surfaces.items()):
            try:
                parent = surface.nativeParentWidget() or surface.window()
                parent_id = int(parent.winId())
                pos = surface.mapTo(parent, QPoint(0, 0))
                ratio = surface.devicePixelRatioF()
                want = (parent_id, round(pos.x() * ratio), round(pos.y() * ratio), round(surface.width() * ratio),
                        round(surface.height() * ratio), bool(surface.video_shown and surface.isVisible()))
            except RuntimeError:  # the widget is gone (deleted without detach): so is its window
                self._surfaces.pop(key, None)
                self.forget(xid)
                continue
            have = self._sent.get(xid)
            if want == have:
                continue
            if have is None or have[0] != parent_id:  # the surface moved to another native window
                self.x.reparent(xid, parent_id, want[1], want[2])
                sent += 1
            if have is None or have[1:5] != want[1:5]:
                self.x.configure(xid, *want[1:5])
                sent += 1
            if have is None or have[5] != want[5]:
                self.x.map(xid) if want[5] else self.x.unmap(xid)
                sent += 1
            self._sent[xid] = want
        if sync:
            self.x.sync()
        elif sent:
            self.x.flush()
        self.requests += sent
        return sent

    def sync(self) -> None:
        self.x.sync()
