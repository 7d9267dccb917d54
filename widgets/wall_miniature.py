"""A miniature of the video wall: a scene's cells drawn small, with camera names and alarm frames; cameras drop onto cells."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from backend_client.layouts import Cell, Layout
from widgets.camera_list_view import CAMERA_MIME
from widgets.wall_grid import ALARM_FRAME, apply_overrides

CameraName = Callable[[str], "str | None"]

KIND_COLOUR = {"camera": "#1b2a3a", "tour": "#1f3340", "map": "#1d3324", "alerts": "#3a2222", "incidents": "#3a3322",
               "kpi": "#2a2440", "clock": "#202428", "banner": "#302a1a", "empty": "#0c0c0c"}
SELECTED = "#3fa9f5"
DROP = "#7fd17f"
CHANGED = "#f0c040"


def cell_rects(layout: Layout, width: float, height: float, gap: float = 2.0) -> list[QRectF]:
    """The rectangle of each cell of ``layout`` in a ``width`` × ``height`` box."""
    cw, rh = width / layout.cols, height / layout.rows
    return [QRectF(c.col * cw + gap / 2, c.row * rh + gap / 2, c.colspan * cw - gap, c.rowspan * rh - gap)
            for c in layout.cells]


class WallMiniature(QWidget):
    """Renders one scene (a Layout with WallState-style cell overrides); emits intents, edits nothing.

    Attributes:
        layout: the scene drawn (None: nothing).  overrides: the cell overrides drawn over it.
        aspect: the wall's width / height (``set_screen``; 16:9 until it is known).
        selected: the selected cell index (-1: none).  changed: indexes drawn as edited (preview).
    Signals:
        camera_dropped(int, str): a camera (id) was dropped on a cell (index).
        cell_clicked(int): a cell was clicked (index).
    """

    camera_dropped = Signal(int, str)
    cell_clicked = Signal(int)

    def __init__(self, camera_name: CameraName | None = None, parent: QWidget | None = None, caption: str = ""):
        super().__init__(parent)
        self.camera_name = camera_name or (lambda cid: cid)
        self.caption = caption
        self.layout_: Layout | None = None
        self.overrides: dict = {}
        self.cells: tuple[Cell, ...] = ()
        self.selected = -1
        self.changed: set[int] = set()
        self.aspect = 16 / 9  # the wall's width / height
        self._drop_index = -1
        self.setAcceptDrops(True)
        self.setMinimumSize(240, 135)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(480, 270)

    # ---- API -------------------------------------------------------------------------------------
    def set_screen(self, screen: list | tuple | None) -> None:
        """The wall's [width, height] in pixels as its wall client said (WallState.screen): the miniature
        takes that shape. Nothing known (or nonsense) leaves it as it is, 16:9 at first."""
        if screen and len(screen) == 2 and all(isinstance(v, (int, float)) and v > 0 for v in screen):
            self.aspect = screen[0] / screen[1]
            self.update()

    def show_scene(self, layout: Layout | None, overrides: dict | None = None, changed: set[int] | None = None) -> None:
        self.layout_ = layout
        self.overrides = dict(overrides or {})
        self.cells = apply_overrides(layout, self.overrides) if layout is not None else ()
        self.changed = set(changed or ())
        if layout is None or self.selected >= len(layout.cells):
            self.selected = -1
        self.update()

    def select(self, index: int) -> None:
        self.selected = index
        self.update()

    def alarm_colour(self, index: int) -> str:
        change = self.overrides.get(str(index))
        return change.get("alarm", "") if isinstance(change, dict) else ""

    def label(self, index: int) -> str:
        """What the cell shows, in words (camera name, tour, kind and title)."""
        cell = self.cells[index]
        if cell.kind == "camera":
            return self.camera_name(cell.camera) or cell.camera
        if cell.kind == "tour":
            return self.tr("Tour: %1").replace("%1", cell.title or ", ".join(cell.cameras[:3]))
        names = {"map": self.tr("Map"), "alerts": self.tr("Alerts"), "incidents": self.tr("Incidents"),
                 "kpi": self.tr("KPI"), "clock": self.tr("Clock"), "banner": self.tr("Banner"), "empty": ""}
        return cell.title or names.get(cell.kind, cell.kind)

    def cell_at(self, pos: QPoint) -> int:
        if self.layout_ is None:
            return -1
        for i, rect in enumerate(self._rects()):
            if rect.contains(pos.x(), pos.y()):
                return i
        return -1

    # ---- painting --------------------------------------------------------------------------------
    def _area(self) -> QRectF:
        """The wall in its shape (``aspect``), right under the caption, centred across (a wide wall in a tall box
        leaves the space below, not bands above and below)."""
        top = 20 if self.caption else 0
        w, h = self.width(), self.height() - top
        if self.layout_ is not None:
            aspect = self.aspect
            if w / max(h, 1) > aspect:
                w = h * aspect
            else:
                h = w / aspect
        return QRectF((self.width() - w) / 2, top, w, h)

    def _rects(self) -> list[QRectF]:
        area = self._area()
        return [r.translated(area.topLeft()) for r in cell_rects(self.layout_, area.width(), area.height())]

    def paintEvent(self, event):  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#05070a"))
        font = QFont(self.font())
        if self.caption:
            p.setPen(QColor("#c8d0d8"))
            p.drawText(QRectF(4, 0, self.width() - 8, 20), Qt.AlignmentFlag.AlignVCenter, self.caption)
        if self.layout_ is None:
            p.setPen(QColor("#808890"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("No scene"))
            return
        area = self._area()
        p.fillRect(area, QColor("#000"))
        font.setPixelSize(max(9, min(14, int(area.height() / (self.layout_.rows * 4)))))
        p.setFont(font)
        for i, (cell, rect) in enumerate(zip(self.cells, self._rects())):
            p.fillRect(rect, QColor(KIND_COLOUR.get(cell.kind, "#202020")))
            colour = self.alarm_colour(i)
            frame = (ALARM_FRAME.get(colour) if colour else None) or (DROP if i == self._drop_index else None) \
                or (SELECTED if i == self.selected else None) or (CHANGED if i in self.changed else None)
            if frame:
                pen = QPen(QColor(frame))
                pen.setWidth(4 if colour else 3)
                p.setPen(pen)
                p.drawRect(rect.adjusted(2, 2, -2, -2))
            p.setPen(QColor("#e8e8e8"))
            text = self.label(i)
            if cell.kind in ("camera", "tour"):
                text = ("▶ " if cell.kind == "camera" else "⟳ ") + text
            p.drawText(rect.adjusted(6, 4, -6, -4), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
                       | Qt.TextFlag.TextWordWrap, text)
            if colour:
                p.setPen(QColor(ALARM_FRAME[colour]))
                p.drawText(rect.adjusted(6, 4, -6, -4), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                           self.tr("ALARM"))

    # ---- mouse and drops -------------------------------------------------------------------------
    def mousePressEvent(self, event):  # noqa: N802 - Qt API
        index = self.cell_at(event.position().toPoint())
        if index >= 0:
            self.select(index)
            self.cell_clicked.emit(index)
        super().mousePressEvent(event)

    @staticmethod
    def _camera_of(mime) -> str:
        if mime.hasFormat(CAMERA_MIME):
            return bytes(mime.data(CAMERA_MIME)).decode("utf-8", "replace").strip()
        if mime.hasText():
            text = mime.text().strip()
            return text[len("camera:"):] if text.startswith("camera:") else text
        return ""

    def dragEnterEvent(self, event):  # noqa: N802 - Qt API
        if self._camera_of(event.mimeData()) and self.layout_ is not None:
            event.acceptProposedAction()

    def dragMoveEvent(self, event):  # noqa: N802 - Qt API
        index = self.cell_at(event.position().toPoint())
        if index != self._drop_index:
            self._drop_index = index
            self.update()
        if index >= 0:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event):  # noqa: N802 - Qt API
        self._drop_index = -1
        self.update()

    def dropEvent(self, event):  # noqa: N802 - Qt API
        index = self.cell_at(event.position().toPoint())
        camera = self._camera_of(event.mimeData())
        self._drop_index = -1
        self.update()
        if index >= 0 and camera:
            event.acceptProposedAction()
            self.camera_dropped.emit(index, camera)
