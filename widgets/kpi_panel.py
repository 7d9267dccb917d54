"""Key figures in big type: active alerts per warning colour, unacknowledged alerts, open incidents."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from widgets.alert_list_view import FrameThrottle
from widgets.colours import WARNING_COLOURS, WARNING_ORDER, warning_name
from widgets.incident_list_view import CLOSED_STAGES


def alert_counts(store: Any) -> dict[str, int]:
    """Active alerts per colour (all four colours present), plus "unacked" and "incidents" (open)."""
    counts = {c: 0 for c in WARNING_ORDER}
    unacked = 0
    for alert in store.alerts():
        if alert.status != "active":
            continue
        if alert.colour in counts:
            counts[alert.colour] += 1
        unacked += not alert.acked
    counts["unacked"] = unacked
    counts["incidents"] = sum(1 for i in store.incidents() if i.stage not in CLOSED_STAGES)
    return counts


class KpiTile(QFrame):
    """One figure: a caption over a big number in the figure's colour."""

    def __init__(self, caption: str, colour: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kpiTile")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setStyleSheet(f"#kpiTile {{ border-top: 6px solid {colour}; background: #12171d; }}")
        self.caption = QLabel(caption, self)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setObjectName("kpiCaption")
        self.value = QLabel("0", self)
        self.value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.value.setObjectName("kpiValue")
        self.value.setStyleSheet(f"color: {colour};")
        self.value.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.setSpacing(0)
        box.addWidget(self.caption)
        box.addWidget(self.value, 1)

    def set_value(self, value: int) -> None:
        self.value.setText(str(value))

    def resizeEvent(self, event):  # noqa: N802 - the number grows with the tile
        super().resizeEvent(event)
        font = QFont(self.value.font())
        font.setBold(True)
        font.setPixelSize(max(18, min(int(self.height() * 0.5), int(self.width() * 0.42))))
        self.value.setFont(font)
        caption = QFont(self.caption.font())
        caption.setPixelSize(max(12, min(int(self.height() * 0.13), int(self.width() * 0.1))))
        self.caption.setFont(caption)


class KpiPanel(QWidget):
    """Four colour tiles (active alerts per colour) and, unless ``compact``, unacknowledged alerts and
    open incidents. Follows the store, at most once per frame.

    Attributes:
        tiles: key ("red" … "blue", "unacked", "incidents") → KpiTile.
    """

    def __init__(self, store: Any, parent: QWidget | None = None, compact: bool = False, columns: int = 0):
        super().__init__(parent)
        self.store = store
        self.tiles: dict[str, KpiTile] = {}
        for colour in WARNING_ORDER:
            self.tiles[colour] = KpiTile(self.tr("%1 alerts").replace("%1", warning_name(colour)),
                                         WARNING_COLOURS[colour], self)
        if not compact:
            self.tiles["unacked"] = KpiTile(self.tr("Unacknowledged"), "#e8e8e8", self)
            self.tiles["incidents"] = KpiTile(self.tr("Open incidents"), "#9fd3ff", self)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(8)
        per_row = columns or (2 if compact else len(self.tiles))
        for n, tile in enumerate(self.tiles.values()):
            grid.addWidget(tile, n // per_row, n % per_row)
        self.throttle = FrameThrottle(self.refresh, parent=self)
        self._signals = [store.alert_changed, store.alert_removed, store.incident_changed, store.reset]
        for signal in self._signals:
            signal.connect(self.throttle.request)
        self.refresh()

    def refresh(self) -> None:
        for key, value in alert_counts(self.store).items():
            tile = self.tiles.get(key)
            if tile is not None:
                tile.set_value(value)

    def values(self) -> dict[str, int]:
        return {key: int(tile.value.text()) for key, tile in self.tiles.items()}

    def shutdown(self) -> None:
        for signal in self._signals:
            try:
                signal.disconnect(self.throttle.request)
            except (RuntimeError, TypeError):
                pass
        self._signals = []
