"""The camera list: every camera the hub knows, with its health from the relay; activating one asks to play it."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QHeaderView, QWidget

from backend_client.models import Camera
from widgets.alert_list_view import RecordTableModel, StoreTableView
from widgets.colours import camera_state_colour, camera_state_name


CAMERA_MIME = "application/x-cc-camera"  # a camera id, UTF-8: what a camera drag carries


class CameraTableModel(RecordTableModel):
    """Columns: name (with a dot in the health colour), state, frame rate."""

    COL_NAME, COL_STATE, COL_FPS = range(3)
    COLUMNS = 3

    def __init__(self, store: Any, parent: QObject | None = None):
        super().__init__(store.cameras, _signals(store, store.camera_changed), parent)

    def flags(self, index):  # cameras can be dragged onto a wall cell (widgets.wall_miniature)
        return super().flags(index) | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt API
        return [CAMERA_MIME, "text/plain"]

    def mimeData(self, indexes):  # noqa: N802 - Qt API
        ids = [r.id for r in (self.record(i.row()) for i in indexes if i.isValid()) if r is not None]
        data = QMimeData()
        if ids:
            data.setData(CAMERA_MIME, ids[0].encode("utf-8"))
            data.setText(ids[0])
        return data

    def header_texts(self) -> list[str]:
        return [self.tr("Camera"), self.tr("State"), self.tr("fps")]

    def cell(self, camera: Camera, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.COL_NAME:
                return camera.name or camera.id
            if column == self.COL_STATE:
                return camera_state_name(camera.state)
            if column == self.COL_FPS:
                if camera.state != "live":
                    return ""
                # a pull just live: the relay gives its rates after its first scan (about a second)
                return f"{camera.fps:.0f}" if camera.fps > 0 else "…"
        elif role == Qt.ItemDataRole.DecorationRole and column == self.COL_NAME:
            return camera_state_colour(camera.state)
        elif role == Qt.ItemDataRole.ForegroundRole and column == self.COL_STATE:
            return camera_state_colour(camera.state)
        elif role == Qt.ItemDataRole.TextAlignmentRole and column == self.COL_FPS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif role == Qt.ItemDataRole.ToolTipRole:
            tip = self.tr("%1 (%2): %3, %4 kbit/s, %5 viewers, %6 reconnects")
            for n, value in enumerate((camera.name, camera.id, camera_state_name(camera.state),
                                       f"{camera.bitrate_kbps:.0f}", str(camera.viewers), str(camera.reconnects)), 1):
                tip = tip.replace(f"%{n}", value)
            return tip
        elif role == Qt.ItemDataRole.UserRole:
            return camera.id
        return None


class CameraListView(StoreTableView):
    """The cameras of a ClientStore. Double-click or Enter on a camera emits ``camera_activated``.

    Signals:
        camera_activated(str): the operator wants to see this camera (its id).
    """

    camera_activated = Signal(str)

    def __init__(self, store: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.camera_model = CameraTableModel(store, self)
        self.setModel(self.camera_model)
        self.setSelectionMode(StoreTableView.SelectionMode.SingleSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(CameraTableModel.COL_NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CameraTableModel.COL_STATE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CameraTableModel.COL_FPS, QHeaderView.ResizeMode.ResizeToContents)
        # a narrow panel: the state in words gives way to a name's 9 characters ("江南街道 丽州路口"; its colour
        # square, beside the name, and its tooltip still say the state)
        self.keep_legible(CameraTableModel.COL_NAME, 9, (CameraTableModel.COL_STATE,),
                          extra=self.iconSize().width() + 8)
        self.fit_rows()
        # QAbstractItemView.activated is double-click or Enter/Return, as the platform defines it
        self.activated.connect(self._on_activated)
        self.setDragEnabled(True)
        self.setDragDropMode(StoreTableView.DragDropMode.DragOnly)

    @Slot(QModelIndex)
    def _on_activated(self, index: QModelIndex) -> None:
        camera = self.camera_model.record(index.row())
        if camera is not None:
            self.camera_activated.emit(camera.id)

    def current_camera(self) -> Camera | None:
        index = self.currentIndex()
        return self.camera_model.record(index.row()) if index.isValid() else None

    def changeEvent(self, event):  # noqa: N802
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self.fit_rows()

    def shutdown(self) -> None:
        self.camera_model.disconnect_store()


def _signals(store: Any, changed: Any) -> list:
    """The record's own change signal, reset, and deletions (entity_removed, when the store has it)."""
    removed = getattr(store, "entity_removed", None)
    return [changed, store.reset] + ([removed] if removed is not None else [])
