"""Small wall cells that need no data: a clock, a banner, an empty cell, and placeholders for the unknown."""
from __future__ import annotations

import time

from PySide6.QtCore import QT_TRANSLATE_NOOP, QRect, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

# translated by ClockCell.tr() (the literals are marked so lupdate puts them in the .ts)
_WEEKDAYS = (QT_TRANSLATE_NOOP("ClockCell", "Monday"), QT_TRANSLATE_NOOP("ClockCell", "Tuesday"),
             QT_TRANSLATE_NOOP("ClockCell", "Wednesday"), QT_TRANSLATE_NOOP("ClockCell", "Thursday"),
             QT_TRANSLATE_NOOP("ClockCell", "Friday"), QT_TRANSLATE_NOOP("ClockCell", "Saturday"),
             QT_TRANSLATE_NOOP("ClockCell", "Sunday"))


class _TextCell(QWidget):
    """Draws one or two lines of centred text on a dark background, sized to the cell."""

    def __init__(self, parent: QWidget | None = None, background: str = "#05070a"):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(16, 16)
        self._background = QColor(background)
        self.primary = ""
        self.secondary = ""
        self.primary_colour = QColor("#f0f0f0")
        self.max_pixel_size = 400

    def set_text(self, primary: str, secondary: str = "") -> None:
        if (primary, secondary) != (self.primary, self.secondary):
            self.primary, self.secondary = primary, secondary
            self.update()

    def paintEvent(self, event):  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), self._background)
        r = self.rect().adjusted(6, 6, -6, -6)
        if not self.primary:
            return
        split = r.top() + (r.height() * 3 // 5 if self.secondary else r.height())
        box = QRect(r.left(), r.top(), r.width(), split - r.top())
        flags = int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
                    | (Qt.AlignmentFlag.AlignBottom if self.secondary else Qt.AlignmentFlag.AlignVCenter))
        font = QFont(self.font())
        font.setBold(True)
        size = max(10, min(box.height() * 2 // 3, self.max_pixel_size))
        while True:  # the largest size at which the text fits its box
            font.setPixelSize(size)
            if size <= 10 or box.contains(QFontMetrics(font).boundingRect(box, flags, self.primary)):
                break
            size = max(10, size * 9 // 10)
        p.setFont(font)
        p.setPen(self.primary_colour)
        p.drawText(box, flags, self.primary)
        if self.secondary:
            small = QFont(self.font())
            small.setPixelSize(max(9, size // 3))
            p.setFont(small)
            p.setPen(QColor("#a0a8b0"))
            p.drawText(QRect(r.left(), split + 4, r.width(), r.bottom() - split - 4),
                       int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap), self.secondary)


class ClockCell(_TextCell):
    """Local time, large, with the date and weekday under it. It turns just after each second begins (so that
    clocks on several walls agree with the system time, not with when each was created) and only while shown:
    a clock in a scene that is not on the wall costs nothing."""

    def __init__(self, parent: QWidget | None = None, title: str = ""):
        super().__init__(parent)
        self.title = title
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        stamp = time.time()
        now = time.localtime(stamp)
        weekday = self.tr(_WEEKDAYS[now.tm_wday])
        date = time.strftime("%Y-%m-%d", now)
        line2 = f"{date}  {weekday}" + (f"  ·  {self.title}" if self.title else "")
        self.set_text(time.strftime("%H:%M:%S", now), line2)
        if self.isVisible():
            self._timer.start(1000 - int(stamp * 1000) % 1000 + 5)  # 5 ms into the next second

    def showEvent(self, event):  # noqa: N802 - Qt API
        super().showEvent(event)
        self.refresh()

    def hideEvent(self, event):  # noqa: N802 - Qt API
        super().hideEvent(event)
        self._timer.stop()


class BannerCell(_TextCell):
    """A fixed text (a slogan, the duty team, a notice) from the layout file."""

    def __init__(self, text: str, parent: QWidget | None = None, title: str = ""):
        super().__init__(parent, background="#7a0c0c")
        self.primary_colour = QColor("#fff4c0")
        self.set_text(text or title, title if text else "")


class EmptyCell(QWidget):
    """Black: a grid position that shows nothing."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def paintEvent(self, event):  # noqa: N802
        QPainter(self).fillRect(self.rect(), Qt.GlobalColor.black)


class UnknownCameraCell(_TextCell):
    """A camera id that the hub does not know (yet): no player is started for it."""

    def __init__(self, camera_id: str, parent: QWidget | None = None):
        super().__init__(parent, background="#000000")
        self.camera_id = camera_id
        self.primary_colour = QColor("#ff4136")
        self.set_text(self.tr("NO SIGNAL"), self.tr("unknown camera %1").replace("%1", camera_id))


class PlaceholderCell(_TextCell):
    """A cell kind this window cannot show (no widget was supplied for it)."""

    def __init__(self, kind: str, parent: QWidget | None = None, title: str = ""):
        super().__init__(parent, background="#15191e")
        self.kind = kind
        self.primary_colour = QColor("#8a949e")
        self.max_pixel_size = 36
        self.set_text(title or kind, self.tr("(%1 is not available in this window)").replace("%1", kind))
