"""Evaluation (考核评价) per department: handled, time to dispatch, time to close, overdue tasks —
a pyqtgraph bar chart, a table and a CSV export, from ``evaluation.report``."""
from __future__ import annotations

import asyncio
import csv
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMainWindow, QSplitter,
                               QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout, QWidget)

log = logging.getLogger(__name__)

CSV_COLUMNS = ("department", "handled", "dispatch_s_avg", "close_s_avg", "overdue")
SERIES = (("handled", "#2f7fe0"), ("dispatch_min", "#f5d21f"), ("close_min", "#f28c1b"), ("overdue", "#e5322d"))


def _num(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _opt(value: Any) -> float | None:
    """A mean that may be missing (no task, nothing closed yet) stays None."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


def clean_rows(rows: Any) -> list[dict]:
    """The report's rows with numbers made numbers (missing → 0); rows without a department are dropped."""
    out = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and isinstance(row.get("department"), str) and row["department"]:
            out.append({"department": row["department"], "handled": int(_num(row.get("handled"))),
                        "dispatch_s_avg": _opt(row.get("dispatch_s_avg")), "close_s_avg": _opt(row.get("close_s_avg")),
                        "overdue": int(_num(row.get("overdue")))})
    return sorted(out, key=lambda r: (-r["handled"], r["department"]))


def write_csv(rows: list[dict], path: str | Path) -> Path:
    """UTF-8 with BOM (so Excel on a Chinese Windows opens it right), one row per department."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow([row["department"], row["handled"],
                             *("" if row[k] is None else f"{row[k]:.1f}" for k in ("dispatch_s_avg", "close_s_avg")),
                             row["overdue"]])
    tmp.replace(path)
    return path


class EvaluationView(QWidget):
    """Grouped bars per department (handled, minutes to dispatch, minutes to close, overdue) and a table.

    Attributes:
        rows: the cleaned report rows.  plot: pyqtgraph PlotWidget.  bars: {series: BarGraphItem}.
        table: QTableWidget.  refresh_action (F5 in the view), export_action (Ctrl+Shift+X).
    Signals:
        loaded(int): a report arrived (number of departments).
    """

    loaded = Signal(int)

    def __init__(self, store: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.rows: list[dict] = []
        self.bars: dict[str, pg.BarGraphItem] = {}
        self.plot = pg.PlotWidget()
        self.plot.setBackground("#0b0f14")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        self.plot.setTitle(self.tr("Evaluation by department"), color="#d8dee6", size="14pt")
        legend = self.plot.addLegend(offset=(-10, 10), labelTextColor="#d8dee6")
        self.legend = legend
        for name in ("left", "bottom"):
            self.plot.getAxis(name).setTextPen(pg.mkPen("#c8d0d8"))
            self.plot.getAxis(name).setPen(pg.mkPen("#5a6570"))
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(self.headers())
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.status = QLabel()
        self.refresh_action = QAction(self.tr("Refresh"), self)
        self.refresh_action.setShortcut(QKeySequence("F5"))
        self.refresh_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.refresh_action.setToolTip(self.tr("Ask the hub for the evaluation report again (F5)"))
        self.refresh_action.triggered.connect(lambda _c=False: self.request())
        self.export_action = QAction(self.tr("Export CSV…"), self)
        self.export_action.setShortcut(QKeySequence("Ctrl+Shift+X"))
        self.export_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.export_action.setToolTip(self.tr("Save the evaluation table as a CSV file (Ctrl+Shift+X)"))
        self.export_action.triggered.connect(lambda _c=False: self.export())
        self.addActions([self.refresh_action, self.export_action])
        bar = QHBoxLayout()
        for action in (self.refresh_action, self.export_action):
            button = QToolButton()
            button.setDefaultAction(action)
            bar.addWidget(button)
        bar.addWidget(self.status, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plot)
        split.addWidget(self.table)
        split.setSizes([500, 250])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addWidget(split, 1)
        self.set_rows([])

    def headers(self) -> list[str]:
        return [self.tr("Department"), self.tr("Handled"), self.tr("Avg. time to dispatch (min)"),
                self.tr("Avg. time to close (min)"), self.tr("Overdue tasks")]

    def series_name(self, key: str) -> str:
        return {"handled": self.tr("Handled"), "dispatch_min": self.tr("Dispatch (min)"),
                "close_min": self.tr("Close (min)"), "overdue": self.tr("Overdue")}[key]

    def set_rows(self, rows: Any) -> None:
        self.rows = clean_rows(rows)
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            values = [row["department"], str(row["handled"]), _minutes(row["dispatch_s_avg"]),
                      _minutes(row["close_s_avg"]), str(row["overdue"])]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self._draw()
        self.export_action.setEnabled(bool(self.rows))

    def series(self) -> dict[str, np.ndarray]:
        return {"handled": np.array([r["handled"] for r in self.rows], dtype=float),
                "dispatch_min": np.array([(r["dispatch_s_avg"] or 0) / 60 for r in self.rows]),
                "close_min": np.array([(r["close_s_avg"] or 0) / 60 for r in self.rows]),
                "overdue": np.array([r["overdue"] for r in self.rows], dtype=float)}

    def _draw(self) -> None:
        for item in self.bars.values():
            self.plot.removeItem(item)
        self.bars = {}
        self.legend.clear()
        x = np.arange(len(self.rows), dtype=float)
        width = 0.8 / len(SERIES)
        for i, ((key, colour), values) in enumerate(zip(SERIES, self.series().values())):
            item = pg.BarGraphItem(x=x - 0.4 + width * (i + 0.5), height=values, width=width * 0.9,
                                   brush=colour, pen=pg.mkPen(colour), name=self.series_name(key))
            self.plot.addItem(item)
            self.bars[key] = item
        self.plot.getAxis("bottom").setTicks([[(i, r["department"]) for i, r in enumerate(self.rows)]])
        self.plot.setXRange(-0.6, max(0.6, len(self.rows) - 0.4), padding=0)
        self.status.setText(self.tr("%1 departments").replace("%1", str(len(self.rows))) if self.rows
                            else self.tr("No evaluation data yet"))

    async def load(self, since: float | None = None, until: float | None = None) -> int:
        args = {k: v for k, v in (("since", since), ("until", until)) if v is not None}
        result = await self.store.command("evaluation.report", args, timeout=30.0)
        self.set_rows(result.get("rows") if isinstance(result, dict) else [])
        self.loaded.emit(len(self.rows))
        return len(self.rows)

    def request(self) -> None:
        """Load the report in the background (failures are shown by the store's command_failed)."""
        if not self.store.can("evaluation.report"):
            self.status.setText(self.tr("Your role may not see the evaluation report"))
            return
        self.status.setText(self.tr("Loading…"))

        async def run() -> None:
            try:
                await self.load()
            except Exception as exc:
                self.status.setText(self.tr("Report failed: %1").replace("%1", str(exc)))
        try:
            asyncio.get_running_loop().create_task(run())
        except RuntimeError:
            self.status.setText(self.tr("Not connected to the hub"))

    def export(self, path: str | None = None) -> Path | None:
        if path is None:
            path, _filter = QFileDialog.getSaveFileName(self, self.tr("Export evaluation"), "evaluation.csv",
                                                        self.tr("CSV files (*.csv)"))
            if not path:
                return None
        try:
            written = write_csv(self.rows, path)
        except OSError as exc:
            self.status.setText(self.tr("Cannot write %1: %2").replace("%1", str(path)).replace("%2", exc.strerror or str(exc)))
            return None
        self.status.setText(self.tr("Saved %1").replace("%1", str(written)))
        return written


def _install(window: QMainWindow, store: Any, area: Qt.DockWidgetArea) -> EvaluationView:
    view = EvaluationView(store)
    dock = QDockWidget(QCoreApplication.translate("EvaluationView", "Evaluation"), window)
    dock.setObjectName("evaluation")
    dock.setWidget(view)
    window.addDockWidget(area, dock)
    dock.hide()
    show = dock.toggleViewAction()
    show.setShortcut(QKeySequence("Ctrl+Shift+G"))
    show.setToolTip(QCoreApplication.translate("EvaluationView", "Show the evaluation by department (Ctrl+Shift+G)"))
    show.toggled.connect(lambda on: on and view.request())
    window.addAction(show)
    window.menuBar().addMenu(QCoreApplication.translate("EvaluationView", "E&valuation")).addActions(
        [show, view.refresh_action, view.export_action])
    window.evaluation_view, window.evaluation_dock = view, dock
    return view


def install_console(window: QMainWindow, store: Any) -> None:
    _install(window, store, Qt.DockWidgetArea.RightDockWidgetArea)


def install_consultation(window: QMainWindow, store: Any) -> None:
    """The leader sees the evaluation too (read-only report)."""
    _install(window, store, Qt.DockWidgetArea.BottomDockWidgetArea)
