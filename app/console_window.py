"""The duty officer's console: alerts, incidents, cameras with a 2×2 preview, wall scenes, and status."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, Qt, Slot
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGridLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QMainWindow, QSplitter, QVBoxLayout, QWidget)

from backend_client.layouts import Layout, load_layouts
from widgets.alert_list_view import AlertListView, FrameThrottle
from widgets.camera_list_view import CameraListView
from widgets.connections import disconnect_all
from widgets.incident_list_view import IncidentListView
from widgets.video_tile import VideoTile

log = logging.getLogger(__name__)

PREVIEW_CELLS = 4
STATUS_MESSAGE_MS = 15_000


def scene_title(layout: Layout) -> str:
    """The scene's Chinese title under a Chinese UI, its English one (if any) otherwise."""
    chinese = QLocale().language() == QLocale.Language.Chinese
    return layout.title if chinese or not layout.title_en else layout.title_en


# the backend's incident categories are these Chinese values (PROTOCOL.md); only their labels are translated
CATEGORIES = ("自然灾害", "事故灾难", "公共卫生事件", "社会安全事件")
_GRADE_FOR_COLOUR = {"red": 2, "orange": 3, "yellow": 4, "blue": 4}


class IncidentDialog(QDialog):
    """Title, category and grade of a new incident, prefilled from an alert."""

    def __init__(self, alert: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("New incident"))
        self.title = QLineEdit(alert.title)
        self.category = QComboBox()
        labels = (self.tr("Natural disaster"), self.tr("Accident"), self.tr("Public health"), self.tr("Social security"))
        for value, label in zip(CATEGORIES, labels):
            self.category.addItem(label, value)
        self.grade = QComboBox()
        for grade, label in ((1, self.tr("Grade Ⅰ (especially serious)")), (2, self.tr("Grade Ⅱ (serious)")),
                             (3, self.tr("Grade Ⅲ (major)")), (4, self.tr("Grade Ⅳ (general)"))):
            self.grade.addItem(label, grade)
        self.grade.setCurrentIndex(_GRADE_FOR_COLOUR.get(alert.colour, 4) - 1)
        form = QFormLayout(self)
        form.addRow(self.tr("Title"), self.title)
        form.addRow(self.tr("Category"), self.category)
        form.addRow(self.tr("Grade"), self.grade)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, str, int]:
        return self.title.text().strip(), self.category.currentData(), int(self.grade.currentData())


def _panel(title: str, body: QWidget, extra: QWidget | None = None) -> QWidget:
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(4, 4, 4, 4)
    lay.setSpacing(2)
    label = QLabel(title)
    label.setObjectName("panelTitle")
    lay.addWidget(label)
    if extra is not None:
        lay.addWidget(extra)
    lay.addWidget(body, 1)
    return box


class ConsoleWindow(QMainWindow):
    """Everything a duty officer works with. Widgets render the store; every operator action is a
    QAction (shortcut + tooltip) that calls a store.request_*() intent, and the view changes only when
    the hub's change event comes back.

    Attributes:
        alert_list, incident_list, camera_list: the three lists.  tiles: the 2×2 preview VideoTiles.
        scene_list: the wall scenes.  layouts: their Layouts.  selected_tile: index of the selected preview.
        ack_action, new_incident_action, play_action, stop_preview_action, take_action, take_actions
        (Ctrl+1…9), preview_actions (Alt+1…4), quit_action.  toolbar: the actions tool bar.
        connection_label, user_label, seq_label: the status bar.
    """

    def __init__(self, store: Any, layouts_dir: str | os.PathLike, parent: QWidget | None = None,
                 wall_id: str = "main"):
        super().__init__(parent)
        self.store = store
        self.wall_id = wall_id
        self.layouts_dir = Path(layouts_dir)
        self.layouts: list[Layout] = []
        self.selected_tile = 0
        self.setWindowTitle(self.tr("Command centre — duty console"))

        self.alert_list = AlertListView(store)
        self.incident_list = IncidentListView(store)
        self.camera_list = CameraListView(store)
        self.scene_list = QListWidget()
        self.wall_now = QLabel()
        self.wall_now.setObjectName("wallNow")
        self.tiles = [VideoTile() for _ in range(PREVIEW_CELLS)]
        preview = QWidget()
        grid = QGridLayout(preview)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        for n, tile in enumerate(self.tiles):
            grid.addWidget(tile, n // 2, n % 2)
            tile.clicked.connect(lambda _id, n=n: self.select_tile(n))
        self.tiles[0].set_selected(True)

        middle = QSplitter(Qt.Orientation.Vertical)
        middle.addWidget(_panel(self.tr("Preview"), preview))
        middle.addWidget(_panel(self.tr("Incidents"), self.incident_list))
        middle.setSizes([470, 470])
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(_panel(self.tr("Cameras"), self.camera_list))
        right.addWidget(_panel(self.tr("Wall scenes"), self.scene_list, self.wall_now))
        right.setSizes([520, 420])
        centre = QSplitter(Qt.Orientation.Horizontal)
        centre.addWidget(_panel(self.tr("Alerts"), self.alert_list))
        centre.addWidget(middle)
        centre.addWidget(right)
        centre.setSizes([900, 600, 420])
        for index, stretch in enumerate((5, 3, 2)):  # when docks take room, the alert list keeps the most
            centre.setStretchFactor(index, stretch)
        centre.setChildrenCollapsible(False)
        self.setCentralWidget(centre)

        self._make_actions()
        self._make_status_bar()
        self.reload_scenes()

        self.alert_list.selection_changed.connect(self._update_actions)
        self.alert_list.alert_model.modelReset.connect(self._update_actions)
        self.alert_list.alert_model.dataChanged.connect(self._update_actions)
        self.alert_list.alert_model.layoutChanged.connect(self._update_actions)
        self.camera_list.camera_activated.connect(self.play_camera)
        self.scene_list.itemActivated.connect(lambda item: self.take_scene(item.data(Qt.ItemDataRole.UserRole)))
        self._status_throttle = FrameThrottle(self._update_status, frame_ms=250, parent=self)
        self._store_signals = [
            (store.connection_changed, self._on_connection_changed),
            (store.wall_changed, self._on_wall_changed),
            (store.reset, self._on_reset),
            (store.command_failed, self._on_command_failed),
            (store.entity_changed, self._status_throttle.request),
        ]
        if hasattr(store, "session_changed"):
            self._store_signals.append((store.session_changed, self._on_session))
        for signal, slot in self._store_signals:
            signal.connect(slot)
        self._on_connection_changed(getattr(store, "connection", "offline"))
        self._on_session()
        self.resize(1880, 1000)

    # ---- construction ----------------------------------------------------------------------------
    def _action(self, text: str, shortcuts: list[str], tip: str, slot, parent: QWidget | None = None) -> QAction:
        action = QAction(text, parent or self)
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        keys = ", ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        (parent or self).addAction(action)
        return action

    def _make_actions(self) -> None:
        self.ack_action = self._action(self.tr("Acknowledge"), ["Ctrl+K"],
                                       self.tr("Acknowledge the selected alerts"), self.acknowledge_selected)
        # Space acknowledges too, but only while the alert list has the focus (elsewhere it presses buttons).
        self.ack_space_action = self._action(self.tr("Acknowledge"), ["Space"],
                                             self.tr("Acknowledge the selected alerts"), self.acknowledge_selected,
                                             self.alert_list)
        self.ack_space_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.new_incident_action = self._action(self.tr("New incident from alert…"), ["Ctrl+N"],
                                                self.tr("Open an incident for the selected alert"),
                                                self.new_incident_from_selected)
        self.play_action = self._action(self.tr("Play in preview"), ["Ctrl+Return"],
                                        self.tr("Play the selected camera in the selected preview cell"),
                                        lambda: self.play_camera(getattr(self.camera_list.current_camera(), "id", "")))
        self.stop_preview_action = self._action(self.tr("Stop preview"), ["Ctrl+Backspace"],
                                                self.tr("Stop the video in the selected preview cell"),
                                                self.stop_selected_tile)
        self.take_action = self._action(self.tr("Take to wall"), ["Ctrl+T"],
                                        self.tr("Show the selected scene on the video wall"), self.take_selected_scene)
        self.take_actions = [
            self._action(self.tr("Take scene %1 to the wall").replace("%1", str(n)), [f"Ctrl+{n}"],
                         self.tr("Show scene number %1 on the video wall").replace("%1", str(n)),
                         lambda n=n: self.take_number(n))
            for n in range(1, 10)]
        self.preview_actions = [
            self._action(self.tr("Select preview cell %1").replace("%1", str(n)), [f"Alt+{n}"],
                         self.tr("The next camera plays in preview cell %1").replace("%1", str(n)),
                         lambda n=n: self.select_tile(n - 1))
            for n in range(1, PREVIEW_CELLS + 1)]
        self.quit_action = self._action(self.tr("Quit"), ["Ctrl+Q"], self.tr("Close the console"), self.close)

        bar = self.toolbar = self.addToolBar(self.tr("Actions"))  # features add their actions here too
        bar.setObjectName("actions")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.ack_action, self.new_incident_action, self.play_action, self.stop_preview_action,
                       self.take_action):
            bar.addAction(action)
        menu = self.menuBar()
        alerts = menu.addMenu(self.tr("&Alerts"))
        alerts.addActions([self.ack_action, self.new_incident_action])
        video = menu.addMenu(self.tr("&Video"))
        video.addActions([self.play_action, self.stop_preview_action, *self.preview_actions])
        wall = menu.addMenu(self.tr("&Wall"))
        wall.addActions([self.take_action, *self.take_actions])
        menu.addMenu(self.tr("&Console")).addAction(self.quit_action)

    def _make_status_bar(self) -> None:
        bar = self.statusBar()
        self.connection_label = QLabel()
        self.connection_label.setObjectName("connection")
        self.user_label = QLabel()
        self.seq_label = QLabel()
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.seq_label)
        bar.addPermanentWidget(self.connection_label)

    # ---- operator actions ------------------------------------------------------------------------
    @Slot()
    def acknowledge_selected(self) -> list[str]:
        """Ask the hub to acknowledge the selected unacknowledged alerts; returns their ids."""
        if not self.store.can("alert.ack"):
            return []
        ids = [a.id for a in self.alert_list.selected_alerts() if not a.acked]
        for alert_id in ids:
            self.store.request_ack(alert_id)
        if ids:
            self.statusBar().showMessage(self.tr("Acknowledging %1 alert(s)…").replace("%1", str(len(ids))), 3000)
        return ids

    @Slot()
    def new_incident_from_selected(self) -> None:
        alert = self.alert_list.current_alert()
        if alert is None or not self.store.can("incident.create"):
            return
        dialog = IncidentDialog(alert, self)
        if dialog.exec():
            self.create_incident(alert, *dialog.values())

    def create_incident(self, alert: Any, title: str, category: str, grade: int) -> None:
        extra = {k: v for k, v in (("township", alert.township), ("lat", alert.lat), ("lon", alert.lon))
                 if v not in (None, "")}
        self.store.request_incident(title, category, grade, alert_id=alert.id, **extra)

    @Slot(int)
    def select_tile(self, index: int) -> None:
        if 0 <= index < len(self.tiles):
            self.selected_tile = index
            for n, tile in enumerate(self.tiles):
                tile.set_selected(n == index)

    @Slot(str)
    def play_camera(self, camera_id: str) -> None:
        """Play ``camera_id`` (its sub stream, if it has one) in the selected preview cell."""
        camera = self.store.get("cameras", camera_id) if camera_id else None
        if camera is None:
            return
        tile = self.tiles[self.selected_tile]
        tile.set_camera(camera.id, camera.name)
        tile.set_watermark(self.store.user)
        tile.play(self.store.play_url(camera.id, sub=bool(camera.has_sub)))

    @Slot()
    def stop_selected_tile(self) -> None:
        tile = self.tiles[self.selected_tile]
        tile.stop()
        tile.set_camera("", "")

    def reload_scenes(self) -> None:
        self.layouts, errors = load_layouts(self.layouts_dir)
        for err in errors:
            log.error("console: %s", err)
        if errors:
            self.statusBar().showMessage(str(errors[0]), STATUS_MESSAGE_MS)
        self._fill_scenes()

    def take_number(self, n: int) -> None:
        if 1 <= n <= len(self.layouts):
            self.take_scene(self.layouts[n - 1].name)

    @Slot()
    def take_selected_scene(self) -> None:
        item = self.scene_list.currentItem()
        if item is not None:
            self.take_scene(item.data(Qt.ItemDataRole.UserRole))

    def take_scene(self, name: str) -> None:
        if name and self.store.can("wall.take"):
            self.store.request_take(name, wall=self.wall_id)
            self.statusBar().showMessage(self.tr("Asking the wall to show %1…").replace("%1", name), 3000)

    # ---- store → view ----------------------------------------------------------------------------
    def _fill_scenes(self) -> None:
        wall = self.store.wall(self.wall_id)
        current = wall.layout if wall is not None else ""
        keep = self.scene_list.currentRow()
        self.scene_list.clear()
        bold = QFont(self.scene_list.font())
        bold.setBold(True)
        for n, layout in enumerate(self.layouts, 1):
            prefix = f"Ctrl+{n}  " if n <= 9 else "        "
            item = QListWidgetItem(("▶ " if layout.name == current else "    ") + prefix + scene_title(layout))
            item.setData(Qt.ItemDataRole.UserRole, layout.name)
            item.setToolTip(f"{layout.title} / {layout.title_en or layout.name} — {layout.cols}×{layout.rows}")
            if layout.name == current:
                item.setFont(bold)
            self.scene_list.addItem(item)
        if 0 <= keep < self.scene_list.count():
            self.scene_list.setCurrentRow(keep)
        shown = next((scene_title(lay) for lay in self.layouts if lay.name == current), current)
        self.wall_now.setText(self.tr("On the wall now: %1").replace("%1", shown) if current
                              else self.tr("On the wall now: (unknown)"))

    @Slot(object)
    def _on_wall_changed(self, wall: Any) -> None:
        if getattr(wall, "id", None) == self.wall_id:
            self._fill_scenes()

    @Slot()
    def _on_reset(self) -> None:
        self._fill_scenes()
        self._update_status()

    @Slot()
    def _on_session(self) -> None:
        for tile in self.tiles:
            tile.set_watermark(self.store.user)
        self._update_status()
        self._update_actions()

    @Slot(str)
    def _on_connection_changed(self, state: str) -> None:
        texts = {"connecting": self.tr("Connecting…"), "online": self.tr("Online"),
                 "offline": self.tr("Offline — reconnecting"), "auth_failed": self.tr("Login refused: check the token")}
        self.connection_label.setText(texts.get(state, state))
        self.connection_label.setProperty("state", state)
        self.connection_label.style().unpolish(self.connection_label)
        self.connection_label.style().polish(self.connection_label)

    @Slot(str, str)
    def _on_command_failed(self, action: str, message: str) -> None:
        log.warning("console: %s failed: %s", action, message)
        self.statusBar().showMessage(self.tr("%1 failed: %2").replace("%1", action).replace("%2", message),
                                     STATUS_MESSAGE_MS)

    def role_name(self, role: str) -> str:
        names = {"duty_officer": self.tr("Duty officer"), "wall_operator": self.tr("Wall operator"),
                 "leader": self.tr("Leader"), "admin": self.tr("Administrator"), "auditor": self.tr("Auditor")}
        return names.get(role, role)

    def _update_status(self) -> None:
        who = self.store.user or self.tr("(not signed in)")
        self.user_label.setText(f"{who} · {self.role_name(self.store.role)}" if self.store.role else who)
        self.seq_label.setText(self.tr("seq %1").replace("%1", str(self.store.seq)))

    @Slot()
    def _update_actions(self, *_args: Any) -> None:
        selected = self.alert_list.selected_alerts()
        may_ack = self.store.can("alert.ack")
        for action in (self.ack_action, self.ack_space_action):
            action.setEnabled(may_ack and any(not a.acked for a in selected))
        self.new_incident_action.setEnabled(self.store.can("incident.create") and bool(selected))
        may_take = self.store.can("wall.take")
        for action in (self.take_action, *self.take_actions):
            action.setEnabled(may_take)

    def closeEvent(self, event):  # noqa: N802 - Qt API
        if not self._store_signals:  # already closed once
            super().closeEvent(event)
            return
        disconnect_all(self._store_signals)
        self._store_signals = []
        for view in (self.alert_list, self.incident_list, self.camera_list):
            view.shutdown()
        for tile in self.tiles:
            tile.stop()
            tile.close_player()
        super().closeEvent(event)
