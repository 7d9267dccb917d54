"""A video tile: a caption strip (camera name, state, clock) over a native surface that libvlc draws into."""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, Property, QRect, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from widgets.video_player import VideoPlayer, escape_marquee
from widgets.x11_batch import VideoWindows

_STATE_COLOURS = {
    "idle": "#777777",
    "connecting": "#e0a000",
    "playing": "#2ecc40",
    "no_signal": "#ff4136",
    "error": "#ff4136",
}
SELECTED_COLOUR = "#ffd700"
HEADLESS_PLATFORMS = ("offscreen", "minimal")  # Qt platforms without native windows libvlc could use


class _Ticker(QObject):
    """One shared once-a-second timer for every clock in the process (16 tiles, one timer, one strftime).

    Signals:
        tick(str): the time to show, "HH:MM:SS".
    """

    tick = Signal(str)
    _shared: "_Ticker | None" = None

    def __init__(self):
        super().__init__()
        self.text = time.strftime("%H:%M:%S")
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._on_timer)
        self._timer.start()

    @Slot()
    def _on_timer(self) -> None:
        self.text = time.strftime("%H:%M:%S")
        self.tick.emit(self.text)

    @classmethod
    def shared(cls) -> "_Ticker":
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared


class VideoSurface(QWidget):
    """Where libvlc's picture goes. On X11 (Qt's xcb platform) a plain widget with an X window of its own
    over it (widgets.x11_batch: moved in one batch with the others, mapped only while a picture plays);
    elsewhere a native Qt window libvlc renders into. Either way what Qt paints here (black, NO SIGNAL)
    is exactly what shows whenever libvlc has no picture on screen.

    Attributes:
        video_shown: a picture plays (the X window is mapped over the surface).
    """

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._windows = VideoWindows.shared()
        if self._windows is None:
            self.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
            self.setAttribute(Qt.WidgetAttribute.WA_DontCreateNativeAncestors)
        else:  # the X window goes with the widget, even when the tile is deleted without close_player()
            self.destroyed.connect(self._windows.forget_later(self))
        self.video_shown = False
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAutoFillBackground(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(32, 24)
        self.message = ""
        self.detail = ""

    def video_window(self) -> int:
        """The window id libvlc is to draw into (created on first use)."""
        return self._windows.attach(self) if self._windows is not None else int(self.winId())

    def set_video_shown(self, shown: bool, sync: bool = False) -> None:
        """Show libvlc's window over the surface (a picture plays) or Qt's painting (it does not);
        ``sync``: return once the X server has done it."""
        if shown != self.video_shown:
            self.video_shown = shown
            if self._windows is not None:
                self._windows.apply(sync=sync)

    def release_video_window(self) -> None:
        """Destroy the X window (libvlc has let go of it)."""
        if self._windows is not None:
            self._windows.detach(self)

    def follow(self) -> None:
        if self._windows is not None:
            self._windows.schedule()

    def moveEvent(self, event):  # noqa: N802 - the X window follows the widget
        self.follow()
        super().moveEvent(event)

    def resizeEvent(self, event):  # noqa: N802
        self.follow()
        super().resizeEvent(event)

    def showEvent(self, event):  # noqa: N802
        self.follow()
        super().showEvent(event)

    def hideEvent(self, event):  # noqa: N802
        self.follow()
        super().hideEvent(event)

    def show_message(self, message: str, detail: str = "") -> None:
        if (message, detail) != (self.message, self.detail):
            self.message, self.detail = message, detail
            self.update()

    def paintEvent(self, event):  # noqa: N802 - Qt API
        self.follow()  # painted again when an ancestor moved it: the X window follows
        p = QPainter(self)
        p.fillRect(self.rect(), Qt.GlobalColor.black)
        if not self.message:
            return
        font = QFont(self.font())
        font.setBold(True)
        font.setPixelSize(max(12, min(self.height() // 6, self.width() // 10)))
        p.setFont(font)
        p.setPen(QColor("#ff4136") if self.detail != "…" else QColor("#cccccc"))
        r = self.rect()
        upper = QRect(r.left(), r.top(), r.width(), r.height() * 3 // 5)
        p.drawText(upper, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom), self.message)
        if self.detail:
            small = QFont(self.font())
            small.setPixelSize(max(10, font.pixelSize() // 3))
            p.setFont(small)
            p.setPen(QColor("#bbbbbb"))
            lower = QRect(r.left(), r.top() + r.height() * 3 // 5 + 4, r.width(), r.height() * 2 // 5 - 4)
            p.drawText(lower, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), self.detail)

    def mousePressEvent(self, event):  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)


class VideoTile(QWidget):
    """One camera on screen. libvlc's native window hides any Qt child painted over it, so the name,
    state and clock sit in a caption strip above the picture, the operator watermark is drawn by libvlc
    inside the picture (marquee), and NO SIGNAL is painted on the surface whenever no picture is shown.

    Attributes:
        camera_id, camera_name: what the tile shows.
        player: the VideoPlayer (kept when the tile moves between layouts).
    Signals:
        clicked(str): the operator clicked the tile; carries the camera id.
        state_changed(str): the player's state.
    """

    clicked = Signal(str)
    state_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, caption: bool = True):
        super().__init__(parent)
        self.camera_id = ""
        self.camera_name = ""
        self._watermark = ""
        self._marquee_set = False
        self._dot_colour = ""
        self._selected = False
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("VideoTile { background: #000; }")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.setSpacing(0)

        self._strip = QWidget(self)
        self._strip.setObjectName("caption")
        self._strip.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # see _fit_surface
        self._strip.setStyleSheet("#caption { background: #101418; } QLabel { color: #e8e8e8; }")
        strip = QHBoxLayout(self._strip)
        strip.setContentsMargins(6, 1, 6, 1)
        strip.setSpacing(6)
        self._dot = QLabel("●", self._strip)
        self._name = QLabel(self._strip)
        self._name.setTextFormat(Qt.TextFormat.PlainText)
        self._state_label = QLabel(self._strip)
        self._clock = QLabel(self._strip)
        self._clock.setFixedSize(self._clock_size())  # a new text then repaints the label only: no re-layout
        self._name.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        strip.addWidget(self._dot)
        strip.addWidget(self._name, 1)
        strip.addWidget(self._state_label)
        strip.addWidget(self._clock)
        outer.addWidget(self._strip)
        self._strip.setVisible(caption)

        self.surface = VideoSurface(self)
        outer.addWidget(self.surface, 1)
        self.surface.clicked.connect(self._emit_clicked)

        self.player = VideoPlayer(self)
        self.player.state_changed.connect(self._on_state)
        self.player.video_started.connect(self._on_video_started)
        self._window_bound = False
        self._released = False
        self._fitted = False
        _Ticker.shared().tick.connect(self._tick)
        self._tick(_Ticker.shared().text)
        self._on_state(self.player.state)

    # ---- API ---------------------------------------------------------------------------------
    def set_camera(self, camera_id: str, name: str = "") -> None:
        self.camera_id = camera_id
        self.camera_name = name or camera_id
        self._name.setText(self.camera_name)
        self._name.setToolTip(f"{self.camera_name} ({camera_id})")
        self._on_state(self.player.state)

    def play(self, url, options: tuple[str, ...] = ()) -> None:
        """Play ``url``: a string, or a play source with ``.url`` and libvlc ``.options`` (multicast)."""
        self._bind_window()
        self.player.play(getattr(url, "url", url), tuple(getattr(url, "options", ())) or tuple(options))

    def stop(self) -> None:
        self.player.stop()

    def set_watermark(self, text: str) -> None:
        """The operator's name (or any text); libvlc draws it with the current time inside the picture."""
        if text == self._watermark and self._marquee_set:
            return  # a scene switch re-applies it to every tile: 11 libvlc calls each, for nothing
        self._marquee_set = True
        self._watermark = text
        self.player.set_marquee(f"{escape_marquee(text)}  %Y-%m-%d %H:%M:%S" if text else "")

    def watermark(self) -> str:
        return self._watermark

    def set_selected(self, selected: bool) -> None:
        if selected != self._selected:
            self._selected = selected
            self.update()

    def is_selected(self) -> bool:
        return self._selected

    def set_caption_visible(self, visible: bool) -> None:
        self._strip.setVisible(visible)
        self._clock.setText(_Ticker.shared().text)

    def showEvent(self, event):  # noqa: N802 - a hidden tile's clock was not kept up to date
        self._clock.setText(_Ticker.shared().text)
        super().showEvent(event)

    def close_player(self) -> None:
        """Release libvlc before the tile's window goes away."""
        if self._released:
            return
        self._released = True
        _Ticker.shared().tick.disconnect(self._tick)
        self.player.close()
        self.surface.release_video_window()

    def _get_state(self) -> str:
        return self.player.state

    state = Property(str, _get_state, notify=state_changed)

    # ---- internals ---------------------------------------------------------------------------
    def _bind_window(self) -> None:
        if QGuiApplication.platformName() in HEADLESS_PLATFORMS:
            return  # no real window: libvlc would open a window of its own; the player reports an error
        win_id = self.surface.video_window()  # creates the window if needed
        if not self._window_bound or win_id != getattr(self, "_win_id", 0):
            self._win_id = win_id
            self.player.set_window(win_id)
            self._window_bound = True

    @Slot()
    def _emit_clicked(self) -> None:
        self.clicked.emit(self.camera_id)

    def mousePressEvent(self, event):  # noqa: N802 - clicks on the caption strip
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.camera_id)
        super().mousePressEvent(event)

    @Slot(str)
    def _tick(self, text: str) -> None:
        if self._strip.isVisible():  # (a QLabel ignores a text it already shows)
            self._clock.setText(text)

    def _clock_size(self) -> QSize:
        """Room for any "HH:MM:SS" in the label's font: its size never changes, so neither does the strip's."""
        metrics = self._clock.fontMetrics()
        digit = max(metrics.horizontalAdvance(str(d)) for d in range(10))
        hint = self._clock.sizeHint()
        margin = self._clock.contentsMargins()
        return QSize(digit * 6 + metrics.horizontalAdvance("::") + margin.left() + margin.right() + 2,
                     max(hint.height(), metrics.height() + margin.top() + margin.bottom()))

    @Slot(str)
    def _on_state(self, state: str) -> None:
        colour = _STATE_COLOURS.get(state, "#777777")
        if colour != self._dot_colour:  # a style sheet re-polishes the label: only when it changes
            self._dot_colour = colour
            self._dot.setStyleSheet(f"color: {colour};")
        texts = {
            "idle": self.tr("idle"),
            "connecting": self.tr("connecting"),
            "playing": "",
            "no_signal": self.tr("NO SIGNAL"),
            "error": self.tr("error"),
        }
        self._state_label.setText(texts.get(state, state))
        self._fitted = self._fitted and state == "playing"
        # Connecting: hidden (no last frame of the previous stream) until libvlc has its video output
        self.surface.set_video_shown(state == "playing")  # (then _on_video_started shows it)
        if state == "playing":
            if not self._fitted:  # once per picture: not again at each caption change (a warm scene switch)
                self._fitted = True
                self._fit_surface()  # the picture's size is known from its first frame
            self.surface.show_message("")
        elif state == "connecting":
            self.surface.show_message(self.tr("Connecting…"), "…")
        elif state == "no_signal":
            self.surface.show_message(self.tr("NO SIGNAL"), self.tr("%1 — reconnecting").replace("%1", self.camera_name))
        elif state == "error":
            self.surface.show_message(self.tr("NO SIGNAL"), self.player.error or self.tr("cannot play"))
        else:
            self.surface.show_message(self.tr("NO SIGNAL") if self.camera_id else "", self.camera_name)
        self.state_changed.emit(state)

    @Slot()
    def _on_video_started(self) -> None:
        self.surface.set_video_shown(True, sync=True)  # on screen before libvlc's first picture is drawn…
        self.player.mark_visible()  # …so "playing" is said for a picture that reached the screen

    def resizeEvent(self, event):  # noqa: N802 - Qt API
        self._fit_surface()
        super().resizeEvent(event)

    def moveEvent(self, event):  # noqa: N802 - the surface's video window follows the tile
        self.surface.follow()
        super().moveEvent(event)

    def _fit_surface(self) -> None:
        """Size the surface so that libvlc's picture on it has an even width. libvlc fits the picture into
        the window (width = floor(height x aspect) when the height bounds it) and scales it with swscale,
        which for an odd output width forces full horizontal chroma: a C path ~3x the CPU (measured: one
        704x576 stream to 1271x1040, 0.27 of a core; to 1276x1044, 0.08). The few spare pixels stay black."""
        margins = self.layout().contentsMargins()
        width = self.width() - margins.left() - margins.right()
        height = self.height() - margins.top() - margins.bottom()
        if self._strip.isVisibleTo(self):
            height -= self._strip.sizeHint().height()
        width -= width & 1
        geometry = self.player.video_geometry()
        if geometry is not None and height > 2:
            vw, vh, sar_num, sar_den = geometry
            ratio = self.surface.devicePixelRatioF()
            for h in range(height, max(height - 8, 2), -1):  # libvlc's own integer arithmetic, device pixels
                fit = int(vw * sar_num * round(h * ratio)) // vh // sar_den
                if fit > round(width * ratio) or fit % 2 == 0:  # width-bound (even already), or even
                    height = h
                    break
        self.surface.setMaximumSize(max(self.surface.minimumWidth(), width), max(self.surface.minimumHeight(), height))

    def paintEvent(self, event):  # noqa: N802 - a frame when selected
        super().paintEvent(event)
        if self._selected:
            p = QPainter(self)
            pen = QPen(QColor(SELECTED_COLOUR))
            pen.setWidth(3)
            p.setPen(pen)
            p.drawRect(self.rect().adjusted(1, 1, -2, -2))
