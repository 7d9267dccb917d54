"""The seven stages of the city-operations loop as a bar of chevrons: done, current, still to come."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from widgets.alert_list_view import format_time

# backend values, in order (PROTOCOL.md: incident.advance)
STAGES = ("collect", "register", "dispatch", "handle", "feedback", "close", "evaluate")
DONE, CURRENT, TODO = "#1f7a4d", "#1f6feb", "#232b35"


def stage_name(stage: str) -> str:
    """信息采集 … 综合评价 under a Chinese UI."""
    names = {"intake": QCoreApplication.translate("Stages", "Intake"),
             "collect": QCoreApplication.translate("Stages", "Collect"),
             "register": QCoreApplication.translate("Stages", "Register"),
             "dispatch": QCoreApplication.translate("Stages", "Dispatch"),
             "handle": QCoreApplication.translate("Stages", "Handle"),
             "feedback": QCoreApplication.translate("Stages", "Feedback"),
             "close": QCoreApplication.translate("Stages", "Verify and close"),
             "evaluate": QCoreApplication.translate("Stages", "Evaluate")}
    return names.get(stage, stage)


def stage_index(stage: str) -> int:
    """0…6 for a loop stage; -1 before the loop (e.g. "intake") or for an unknown stage."""
    return STAGES.index(stage) if stage in STAGES else -1


def next_stage(stage: str) -> str:
    """The stage after ``stage`` ("collect" before the loop, "" after the last)."""
    i = stage_index(stage)
    return STAGES[i + 1] if i + 1 < len(STAGES) else ""


class StageBar(QWidget):
    """Seven chevrons; stages done are green with who/when below, the current one blue.

    Attributes:
        stage: the current stage.  history: {stage: {"at", "by", "note"}} of the stages reached.
    Signals:
        stage_clicked(str): a chevron was clicked (the desk offers to advance to it).
    """

    stage_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.stage = ""
        self.history: dict[str, dict] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)

    def set_stages(self, stage: str, stages: list[Any] | None) -> None:
        self.stage = stage or ""
        self.history = {s["stage"]: s for s in (stages or []) if isinstance(s, dict) and "stage" in s}
        tips = [f"{stage_name(s)}: {format_time(h.get('at'))} {h.get('by', '')} {h.get('note', '')}".strip()
                for s, h in ((s, self.history[s]) for s in STAGES if s in self.history)]
        self.setToolTip("\n".join(tips))
        self.update()

    def state_of(self, stage: str) -> str:
        """"done", "current" or "todo"."""
        current = stage_index(self.stage)
        i = stage_index(stage)
        return "current" if i == current else "done" if i < current else "todo"

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        h = self.fontMetrics().height()
        return QSize(7 * 110, h * 3 + 16)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(7 * 60, self.sizeHint().height())

    def _rect(self, i: int) -> QRectF:
        w = self.width() / len(STAGES)
        return QRectF(i * w, 2, w, self.fontMetrics().height() + 14)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        tip = 10
        small = QFont(self.font())
        small.setPixelSize(max(10, int(self.font().pixelSize() * 0.8)) if self.font().pixelSize() > 0 else 12)
        for i, stage in enumerate(STAGES):
            r = self._rect(i)
            path = QPainterPath()
            left = r.left() + (0 if i == 0 else 0)
            path.moveTo(left, r.top())
            path.lineTo(r.right() - tip, r.top())
            path.lineTo(r.right(), r.center().y())
            path.lineTo(r.right() - tip, r.bottom())
            path.lineTo(left, r.bottom())
            if i:
                path.lineTo(left + tip, r.center().y())
            path.closeSubpath()
            state = self.state_of(stage)
            p.fillPath(path, QColor({"done": DONE, "current": CURRENT}.get(state, TODO)))
            p.setPen(QPen(QColor("#0d1117"), 2))
            p.drawPath(path)
            p.setPen(QColor("#ffffff" if state != "todo" else "#9aa7b4"))
            font = QFont(self.font())
            font.setBold(state == "current")
            p.setFont(font)
            p.drawText(r.adjusted(tip if i else 2, 0, -tip, 0), int(Qt.AlignmentFlag.AlignCenter), stage_name(stage))
            h = self.history.get(stage)
            if h:
                p.setFont(small)
                p.setPen(QColor("#9aa7b4"))
                below = QRectF(r.left(), r.bottom() + 2, r.width(), self.height() - r.bottom() - 2)
                p.drawText(below, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                           f"{format_time(h.get('at'))} {h.get('by', '')}".strip())
        p.end()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        x = event.position().x() if hasattr(event, "position") else QPointF(event.pos()).x()
        i = int(x // (self.width() / len(STAGES)))
        if 0 <= i < len(STAGES):
            self.stage_clicked.emit(STAGES[i])
