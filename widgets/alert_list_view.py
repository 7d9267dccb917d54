"""The alert list: a table model over store.alerts() updated at most once per frame, and its view.

Also home of the two pieces the camera and incident lists share: ``FrameThrottle`` (run a refresh on
the next event-loop turn, then at most once per 16 ms frame) and ``RecordTableModel`` (a table over a
sorted list of store records that keeps the selection on the same records across updates).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from PySide6.QtCore import (QAbstractTableModel, QDateTime, QElapsedTimer, QModelIndex, QObject,
                            QPersistentModelIndex, Qt, QTimer, Signal, Slot)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QStyle, QStyledItemDelegate, QStyleOptionViewItem,
                               QTableView, QWidget)

from backend_client.models import Alert
from widgets.colours import text_on, warning_colour, warning_name

FRAME_MS = 16
ESCALATED_BACKGROUND = "#6b1d1d"  # status cell of an escalated, still unacknowledged alert


class FrameThrottle(QObject):
    """Coalesces many requests into one call: the first request after a quiet frame runs on the next
    event-loop turn, later ones wait for the end of the current 16 ms frame.

    Attributes:
        runs: how many times the callback ran (for tests and benchmarks).
    """

    def __init__(self, callback: Callable[[], None], frame_ms: int = FRAME_MS, parent: QObject | None = None):
        super().__init__(parent)
        self._callback = callback
        self._frame_ms = frame_ms
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run)
        self._since = QElapsedTimer()
        self.runs = 0

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def idle(self) -> bool:
        """Nothing pending and the last run is a frame old: the next request runs on the next turn."""
        return not self.pending and (not self._since.isValid() or self._since.elapsed() >= self._frame_ms)

    @Slot()
    def request(self, *_args: Any) -> None:
        if self._timer.isActive():
            return
        elapsed = self._since.elapsed() if self._since.isValid() else self._frame_ms
        self._timer.start(max(0, self._frame_ms - elapsed))

    def run_now(self) -> None:
        self._timer.stop()
        self._run()

    @Slot()
    def _run(self) -> None:
        self._since.start()
        self.runs += 1
        self._callback()


class RecordTableModel(QAbstractTableModel):
    """Rows are records (objects with an ``id``) from ``fetch()``, in its order; updated through a
    FrameThrottle when any of ``signals`` fires. Rows are removed, appended and then moved with
    layoutChanged, so persistent indexes (the selection, the current row) follow their records.
    Subclasses set ``COLUMNS`` and implement ``header_texts()`` (translated) and ``cell(record, column, role)``.
    """

    COLUMNS = 0

    def __init__(self, fetch: Callable[[], list], signals: Sequence[Any], parent: QObject | None = None):
        super().__init__(parent)
        self._fetch = fetch
        self._rows: list[Any] = []
        self._signals = list(signals)
        self.throttle = FrameThrottle(self.refresh, parent=self)
        for signal in self._signals:
            signal.connect(self.throttle.request)
        self.refresh()

    # ---- reading ------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self.COLUMNS

    def header_texts(self) -> list[str]:
        return []

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            texts = self.header_texts()
            return texts[section] if 0 <= section < len(texts) else None
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self.cell(self._rows[index.row()], index.column(), role)

    def cell(self, record: Any, column: int, role: int) -> Any:
        raise NotImplementedError

    def record(self, row: int) -> Any:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def records(self) -> list[Any]:
        return list(self._rows)

    def row_of(self, key: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == key), -1)

    # ---- updating -----------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        new = list(self._fetch())
        new_ids = [r.id for r in new]
        keep = set(new_ids)
        gone = [i for i, r in enumerate(self._rows) if r.id not in keep]
        for start, end in reversed(_blocks(gone)):
            self.beginRemoveRows(QModelIndex(), start, end)
            del self._rows[start:end + 1]
            self.endRemoveRows()
        have = {r.id for r in self._rows}
        added = [r for r in new if r.id not in have]
        if added:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            self._rows.extend(added)
            self.endInsertRows()
        current_ids = [r.id for r in self._rows]
        if current_ids != new_ids:
            self.layoutAboutToBeChanged.emit()
            where = {key: i for i, key in enumerate(new_ids)}
            old = self.persistentIndexList()
            self._rows = new
            self.changePersistentIndexList(
                old, [self.index(where[current_ids[p.row()]], p.column()) for p in old])
            self.layoutChanged.emit()
            if self._rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, self.columnCount() - 1))
            return
        changed = [i for i, (a, b) in enumerate(zip(self._rows, new)) if a is not b and a != b]
        self._rows = new
        if changed:
            self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], self.columnCount() - 1))

    def disconnect_store(self) -> None:
        for signal in self._signals:
            try:
                signal.disconnect(self.throttle.request)
            except (RuntimeError, TypeError):
                pass
        self._signals = []


def _blocks(rows: list[int]) -> list[tuple[int, int]]:
    """Ascending rows → contiguous (start, end) blocks."""
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and out[-1][1] == r - 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def format_time(ts: float | None) -> str:
    """HH:mm:ss today, MM-dd HH:mm on another day, "" when unknown."""
    if not ts:
        return ""
    when = QDateTime.fromSecsSinceEpoch(int(ts))
    if when.date() == QDateTime.currentDateTime().date():
        return when.toString("HH:mm:ss")
    return when.toString("MM-dd HH:mm")


class AlertTableModel(RecordTableModel):
    """The store's alerts, most severe colour first then newest; unacknowledged rows in bold.

    Columns: level (a swatch in the warning colour), time, title, event, source, status.
    """

    COL_LEVEL, COL_TIME, COL_TITLE, COL_EVENT, COL_SOURCE, COL_STATUS = range(6)
    COLUMNS = 6

    def __init__(self, store: Any, parent: QObject | None = None, active_only: bool = True):
        self._store = store
        self._active_only = active_only
        self._predicate: Callable[[Alert], bool] | None = None  # a filter bar's test, None shows all
        self._bold = QFont()
        self._bold.setBold(True)
        super().__init__(self._alerts, (store.alert_changed, store.alert_removed, store.reset), parent)

    def header_texts(self) -> list[str]:
        return [self.tr("Level"), self.tr("Time"), self.tr("Alert"), self.tr("Type"), self.tr("Source"),
                self.tr("Status")]

    def _alerts(self) -> list[Alert]:
        alerts = self._store.alerts()
        alerts = [a for a in alerts if a.status == "active"] if self._active_only else alerts
        return [a for a in alerts if self._predicate(a)] if self._predicate is not None else alerts

    def set_predicate(self, predicate: Callable[[Alert], bool] | None) -> None:
        """Show only the alerts for which ``predicate`` is true (None: all); applied at once."""
        self._predicate = predicate
        self.throttle.run_now()

    def source_name(self, source: str) -> str:
        names = {"cap": self.tr("CAP warning"), "sensor": self.tr("Sensor"), "demo": self.tr("Demo"),
                 "correlation": self.tr("Correlation"), "manual": self.tr("Manual"), "radio": self.tr("Radio")}
        return names.get(source, source)

    def status_text(self, alert: Alert) -> str:
        if alert.status == "cancelled":
            return self.tr("Cancelled")
        if alert.status == "closed":
            return self.tr("Closed")
        if alert.acked:
            return self.tr("Acknowledged by %1").replace("%1", alert.acked_by) if alert.acked_by else self.tr("Acknowledged")
        return self.tr("Unacknowledged")

    def handling_text(self, alert: Alert) -> str:
        """" · ⇧ Escalated (level 2) · → 应急管理局" for an escalated / assigned alert, "" otherwise."""
        text = ""
        if alert.escalated:
            text += " · ⇧ " + self.tr("Escalated (level %1)").replace("%1", str(max(1, alert.escalation_level)))
        if alert.assigned_to:
            text += " · → " + alert.assigned_to
        return text

    def cell(self, alert: Alert, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.COL_LEVEL:
                return warning_name(alert.colour)
            if column == self.COL_TIME:
                return format_time(alert.created)
            if column == self.COL_TITLE:
                return alert.title
            if column == self.COL_EVENT:
                return alert.event
            if column == self.COL_SOURCE:
                return self.source_name(alert.source)
            if column == self.COL_STATUS:
                return self.status_text(alert) + self.handling_text(alert)
        elif role == Qt.ItemDataRole.FontRole:
            return None if alert.acked else self._bold
        elif role == Qt.ItemDataRole.BackgroundRole and column == self.COL_LEVEL:
            return warning_colour(alert.colour)
        elif role == Qt.ItemDataRole.BackgroundRole and column == self.COL_STATUS and alert.escalated and not alert.acked:
            return QColor(ESCALATED_BACKGROUND)
        elif role == Qt.ItemDataRole.ForegroundRole and column == self.COL_LEVEL:
            return text_on(alert.colour)
        elif role == Qt.ItemDataRole.TextAlignmentRole and column in (self.COL_LEVEL, self.COL_TIME):
            return int(Qt.AlignmentFlag.AlignCenter)
        elif role == Qt.ItemDataRole.ToolTipRole:
            return f"{alert.title}\n{alert.id} · {format_time(alert.created)} · {self.status_text(alert)}"
        elif role == Qt.ItemDataRole.UserRole:
            return alert.id
        return None


class SwatchDelegate(QStyledItemDelegate):
    """Paints a cell as a swatch of its BackgroundRole colour, kept visible on selected rows too."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        colour = index.data(Qt.ItemDataRole.BackgroundRole)
        if colour is None:
            super().paint(painter, option, index)
            return
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(option.rect, option.palette.highlight())
        painter.fillRect(option.rect.adjusted(3, 3, -3, -3), QColor(colour))
        font = index.data(Qt.ItemDataRole.FontRole) or option.font
        painter.setFont(font)
        painter.setPen(QPen(QColor(index.data(Qt.ItemDataRole.ForegroundRole) or "#ffffff")))
        painter.drawText(option.rect, int(Qt.AlignmentFlag.AlignCenter), str(index.data(Qt.ItemDataRole.DisplayRole) or ""))
        painter.restore()


class StoreTableView(QTableView):
    """A read-only, row-selecting table with the control room's look; subclasses add the model."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setHighlightSections(False)
        self.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.swatch_delegate = SwatchDelegate(self)
        self._legible: tuple[int, int, tuple[int, ...], int] | None = None  # see keep_legible
        self._widths: dict[int, int] = {}  # the other columns' content widths, measured by fit_narrow

    def fit_rows(self) -> None:
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)

    def setModel(self, model) -> None:  # noqa: N802 - Qt API
        super().setModel(model)
        # A column sized to its contents is measured when the view is laid out, not when rows come later: the
        # consultation's incident list, shown before the backend's snapshot came, kept its time column the width
        # of its header ("1…"). Rows come in batches (a model update per frame), so this runs rarely.
        for signal in (model.rowsInserted, model.modelReset, model.layoutChanged):
            signal.connect(self._fit_sized_columns)

    def _fit_sized_columns(self, *_args) -> None:
        self.horizontalHeader().resizeSections()  # only the sections sized to contents or stretched
        self.fit_narrow()

    CELL_PADDING = 12  # a cell's padding left and right (dark.qss: QTableView::item)

    def keep_legible(self, column: int, chars: int, give_way: tuple[int, ...], extra: int = 0) -> None:
        """In a narrow view (a console dock) keep room for ``chars`` characters (and ``extra`` pixels, and the
        cell's padding) in ``column``: the columns ``give_way`` are hidden, the first one first, while it
        lacks it, and come back when there is room. The other columns are measured when rows come or change
        (or the font does), and the choice is made again on every resize from those widths."""
        self._legible = (column, chars, give_way, extra)
        self.model().dataChanged.connect(self.fit_narrow)  # rows that come: _fit_sized_columns
        self.fit_narrow()

    def fit_narrow(self, *_args) -> None:
        """Measure the other columns' contents (every row: 20 ms for 400 cameras), then choose."""
        if self._legible is None:
            return
        header = self.horizontalHeader()
        self._widths = {col: max(self.sizeHintForColumn(col), header.sectionSizeHint(col))
                        for col in range(self.model().columnCount()) if col != self._legible[0]}
        self._give_way()

    def _give_way(self) -> None:
        """Hide or show the columns that give way, from the widths measured last (a resize needs no new ones)."""
        _column, chars, give_way, extra = self._legible
        room = self.viewport().width() - extra - self.CELL_PADDING - self.fontMetrics().horizontalAdvance("事") * chars
        room -= sum(width for col, width in self._widths.items() if col not in give_way)
        shown = set()
        for col in reversed(give_way):  # the last to give way is the first to keep its place
            if room < self._widths[col]:
                break
            room -= self._widths[col]
            shown.add(col)
        for col in give_way:
            self.setColumnHidden(col, col not in shown)

    def resizeEvent(self, event):  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self._legible is not None:
            self._give_way()

    def changeEvent(self, event):  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self.fit_narrow()

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.selectionModel().selectedRows()}) if self.selectionModel() else []

    def select_key(self, key: str) -> bool:
        model = self.model()
        row = model.row_of(key) if hasattr(model, "row_of") else -1
        if row < 0:
            return False
        self.selectRow(row)
        return True


class AlertListView(StoreTableView):
    """The alerts of a ClientStore, coloured by warning level; several rows may be selected.

    Signals:
        selection_changed(): the selected alerts changed.
    """

    selection_changed = Signal()

    def __init__(self, store: Any, parent: QWidget | None = None, active_only: bool = True, compact: bool = False):
        super().__init__(parent)
        self.store = store
        self.compact = compact  # the wall's board: level, time, title only
        self.alert_model = AlertTableModel(store, self, active_only=active_only)
        self.setModel(self.alert_model)
        self.setItemDelegateForColumn(AlertTableModel.COL_LEVEL, self.swatch_delegate)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(AlertTableModel.COL_TITLE, QHeaderView.ResizeMode.Stretch)
        if compact:
            for column in (AlertTableModel.COL_EVENT, AlertTableModel.COL_SOURCE, AlertTableModel.COL_STATUS):
                self.setColumnHidden(column, True)
        self.fit_rows()
        self._fit_columns()
        self.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())

    def _fit_columns(self) -> None:
        bold = QFont(self.font())
        bold.setBold(True)  # unacknowledged rows are bold: size for them
        fm = QFontMetrics(bold)
        pad = fm.height()  # cell padding and margins grow with the type
        samples = {AlertTableModel.COL_LEVEL: "Orange",
                   AlertTableModel.COL_TIME: "00:00:00" if self.compact else "00-00 00:00:00",
                   AlertTableModel.COL_EVENT: "道路交通事故", AlertTableModel.COL_SOURCE: "Sensor",
                   AlertTableModel.COL_STATUS: "Unacknowledged"}
        widths = {column: fm.horizontalAdvance(text) + pad for column, text in samples.items()}
        for column, width in widths.items():
            self.setColumnWidth(column, width)

    def changeEvent(self, event):  # noqa: N802 - font set by the theme after construction
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self.fit_rows()
            self._fit_columns()

    def selected_alerts(self) -> list[Alert]:
        return [a for a in (self.alert_model.record(r) for r in self.selected_rows()) if a is not None]

    def current_alert(self) -> Alert | None:
        selected = self.selected_alerts()
        if selected:
            return selected[0]
        return self.alert_model.record(self.currentIndex().row()) if self.currentIndex().isValid() else None

    # Below these widths the list drops its source, then its type column: the title matters most.
    NARROW_HIDE = ((AlertTableModel.COL_SOURCE, 760), (AlertTableModel.COL_EVENT, 600))

    def resizeEvent(self, event):  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if not self.compact:
            for column, below in self.NARROW_HIDE:
                self.setColumnHidden(column, self.width() < below)

    def shutdown(self) -> None:
        self.alert_model.disconnect_store()
