"""A live pyqtgraph chart of alerts raised per minute over the last hour, stacked by warning colour."""
from __future__ import annotations

import time
from typing import Any, Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QVBoxLayout, QWidget

from widgets.alert_list_view import FrameThrottle
from widgets.colours import WARNING_COLOURS, WARNING_ORDER, warning_name

MINUTES = 60
REDRAW_MS = 500  # the chart need not follow every frame


def per_minute(alerts: Iterable[Any], now: float, minutes: int = MINUTES) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Minute starts (epoch seconds, oldest first; the last is the current minute) and, per colour,
    how many alerts were raised in each minute. Alerts outside the window or of unknown colour are left out."""
    current = int(now // 60) * 60
    starts = np.arange(current - 60 * (minutes - 1), current + 1, 60, dtype=float)
    counts = {c: np.zeros(minutes) for c in WARNING_ORDER}
    first = starts[0]
    for alert in alerts:
        created = alert.created or 0.0
        if created < first or created >= current + 60 or alert.colour not in counts:
            continue
        counts[alert.colour][int((created - first) // 60)] += 1
    return starts, counts


class AlertsChart(QWidget):
    """Stacked bars per minute (red at the bottom), redrawn at most twice a second and every 10 s
    to slide the window. ``clock`` gives "now" (tests pass a fixed one).

    Attributes:
        plot: the pyqtgraph PlotWidget.  totals: alerts per minute of the last drawing (numpy array).
    """

    def __init__(self, store: Any, parent: QWidget | None = None, clock=time.time):
        super().__init__(parent)
        self.store = store
        self._clock = clock
        self.plot = pg.PlotWidget(self, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setBackground("#0b0f14")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        self.plot.setTitle(self.tr("Alerts per minute, last 60 minutes"), color="#d8dee6", size="16pt")
        font = QFont(self.font())
        font.setPixelSize(16)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setTickFont(font)
            axis.setTextPen(pg.mkPen("#c8d0d8"))
            axis.setPen(pg.mkPen("#5a6570"))
        self.plot.getAxis("left").setLabel(self.tr("alerts"), color="#c8d0d8", **{"font-size": "14pt"})
        self.legend = self.plot.addLegend(offset=(-10, 6), labelTextColor="#e8e8e8", labelTextSize="13pt",
                                          colCount=4, brush=pg.mkBrush(11, 15, 20, 200))
        self._bars: dict[str, pg.BarGraphItem] = {}
        for colour in WARNING_ORDER:
            bar = pg.BarGraphItem(x=[0], height=[0], width=50, brush=QColor(WARNING_COLOURS[colour]),
                                  pen=pg.mkPen(None), name=warning_name(colour))
            self.plot.addItem(bar)  # named items join the legend by themselves
            self._bars[colour] = bar
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.plot)
        self.totals = np.zeros(MINUTES)
        self.throttle = FrameThrottle(self.redraw, frame_ms=REDRAW_MS, parent=self)
        self._signals = [store.alert_changed, store.reset]
        for signal in self._signals:
            signal.connect(self.throttle.request)
        self._slide = QTimer(self)
        self._slide.setInterval(10_000)
        self._slide.timeout.connect(self.throttle.request)
        self._slide.start()
        self.redraw()

    def redraw(self) -> None:
        starts, counts = per_minute(self.store.alerts(), self._clock())
        centres = starts + 30
        base = np.zeros(len(starts))
        for colour in WARNING_ORDER:
            self._bars[colour].setOpts(x=centres, y0=base.copy(), height=counts[colour], width=50)
            base += counts[colour]
        self.totals = base
        self.plot.setXRange(starts[0], starts[-1] + 60, padding=0.01)
        top = max(5.0, float(base.max()) * 1.25)  # headroom for the legend
        self.plot.setYRange(0, top, padding=0)
        step = max(1, int(np.ceil(top / 6)))  # whole alerts only
        self.plot.getAxis("left").setTickSpacing(step, step)

    def shutdown(self) -> None:
        self._slide.stop()
        for signal in self._signals:
            try:
                signal.disconnect(self.throttle.request)
            except (RuntimeError, TypeError):
                pass
        self._signals = []
