"""The leader's consultation screen: alert counts by colour in big type, open incidents, alerts per minute, clock."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDateTime, QLocale, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from widgets.alert_list_view import FrameThrottle
from widgets.alerts_chart import AlertsChart
from widgets.connections import disconnect_all
from widgets.incident_list_view import CLOSED_STAGES, IncidentListView
from widgets.kpi_panel import KpiPanel


class ConsultationWindow(QMainWindow):
    """Read-only overview for leaders; follows the store live.

    Attributes:
        kpi: KpiPanel (active alerts per colour, unacknowledged, open incidents).
        incident_list: IncidentListView.  chart: AlertsChart.  clock: the clock label.
        fullscreen_action (F11), quit_action (Ctrl+Q).
    """

    def __init__(self, store: Any, parent: QWidget | None = None, centre_name: str = ""):
        super().__init__(parent)
        self.store = store
        self.setWindowTitle(self.tr("Command centre — consultation"))
        self.title = QLabel(centre_name or self.tr("Yongkang City Command Centre"))
        self.title.setObjectName("bigTitle")
        self.clock = QLabel()
        self.clock.setObjectName("clock")
        self.clock.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.connection = QLabel()
        self.connection.setObjectName("connection")
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.connection)
        header.addSpacing(24)
        header.addWidget(self.clock)

        self.kpi = KpiPanel(store)
        self.kpi.setMinimumHeight(200)
        self.chart = AlertsChart(store)
        self.incident_list = IncidentListView(store, compact=True)
        incidents = QWidget()
        box = QVBoxLayout(incidents)
        box.setContentsMargins(0, 0, 0, 0)
        self.incidents_title = QLabel(self.tr("Open incidents"))
        self.incidents_title.setObjectName("panelTitle")
        box.addWidget(self.incidents_title)
        box.addWidget(self.incident_list, 1)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.chart)
        lower.addWidget(incidents)
        lower.setSizes([1100, 780])

        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(16, 10, 16, 16)
        lay.setSpacing(12)
        lay.addLayout(header)
        lay.addWidget(self.kpi, 2)
        lay.addWidget(lower, 5)
        self.setCentralWidget(central)
        self._scale_fonts()

        self.fullscreen_action = QAction(self.tr("Full screen"), self)
        self.fullscreen_action.setShortcut(QKeySequence("F11"))
        self.fullscreen_action.setToolTip(self.tr("Switch full screen on or off (F11)"))
        self.fullscreen_action.triggered.connect(self.toggle_fullscreen)
        self.quit_action = QAction(self.tr("Quit"), self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setToolTip(self.tr("Close the consultation screen (Ctrl+Q)"))
        self.quit_action.triggered.connect(self.close)
        self.addActions([self.fullscreen_action, self.quit_action])

        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._update_clock)
        self._tick.start()
        self._update_clock()
        self._title_throttle = FrameThrottle(self._update_title, frame_ms=250, parent=self)
        self._store_signals = [(store.connection_changed, self._on_connection_changed),
                               (store.incident_changed, self._title_throttle.request),
                               (store.reset, self._title_throttle.request)]
        for signal, slot in self._store_signals:
            signal.connect(slot)
        self._on_connection_changed(getattr(store, "connection", "offline"))
        self._update_title()
        self.resize(1920, 1080)

    def _scale_fonts(self) -> None:
        base = self.font().pixelSize() if self.font().pixelSize() > 0 else 16
        for label, factor, bold in ((self.title, 2.0, True), (self.clock, 2.0, True), (self.connection, 1.2, False),
                                    (self.incidents_title, 1.3, True)):
            font = QFont(label.font())
            font.setPixelSize(int(base * factor))
            font.setBold(bold)
            label.setFont(font)
        font = QFont(self.incident_list.font())
        font.setPixelSize(int(base * 1.3))
        self.incident_list.setFont(font)
        font = QFont(self.kpi.font())
        font.setPixelSize(int(base * 1.4))
        self.kpi.setFont(font)

    @Slot()
    def _update_clock(self) -> None:
        now = QDateTime.currentDateTime()
        self.clock.setText(QLocale().toString(now, "yyyy-MM-dd ddd HH:mm:ss"))

    @Slot()
    def _update_title(self, *_args: Any) -> None:
        count = sum(1 for i in self.store.incidents() if i.stage not in CLOSED_STAGES)
        self.incidents_title.setText(self.tr("Open incidents (%1)").replace("%1", str(count)))

    @Slot(str)
    def _on_connection_changed(self, state: str) -> None:
        texts = {"connecting": self.tr("Connecting…"), "online": self.tr("Live"),
                 "offline": self.tr("Offline — figures may be old"), "auth_failed": self.tr("Login refused")}
        self.connection.setText(texts.get(state, state))
        self.connection.setProperty("state", state)
        self.connection.style().unpolish(self.connection)
        self.connection.style().polish(self.connection)

    @Slot()
    def toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def closeEvent(self, event):  # noqa: N802 - Qt API
        self._tick.stop()
        disconnect_all(self._store_signals)
        self._store_signals = []
        for part in (self.kpi, self.chart, self.incident_list):
            part.shutdown()
        super().closeEvent(event)
