"""Console wall control: a live miniature of the wall, a preview scene edited with undo/redo, take in one action, PTZ.

install_console(window, store) adds the dock "Wall" to the duty console. The operator prepares the next
scene in the preview (pick a scene, drag cameras from the camera list onto cells; Ctrl+Z / Ctrl+Shift+Z),
then takes it to the wall in one command (F2 or Ctrl+Enter: wall.take with the cells). Dropping a camera
on the live miniature changes the wall at once (wall.set_cell). Ctrl+1…9 (the console's) take the first
nine scenes directly. PTZ: Alt+arrows move the selected camera while held, Alt++ / Alt+- zoom, preset buttons.
"""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDockWidget, QGridLayout, QInputDialog,
                               QPushButton, QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from app.console_window import scene_title
from backend_client.layouts import Layout, LayoutError, save_layout
from widgets.connections import disconnect_all
from widgets.wall_miniature import WallMiniature

log = logging.getLogger(__name__)

SCENE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
PTZ_SPEED = 0x20
PTZ_HOLD_MS = 450  # a key held down auto-repeats faster than this; silence means "released": stop
PRESETS = 6


@dataclass(frozen=True)
class Draft:
    """A scene being prepared: the scene file's name and camera overrides {cell index: camera id}."""

    layout: str = ""
    cells: dict[int, str] = field(default_factory=dict)

    def with_cell(self, index: int, camera: str) -> "Draft":
        cells = dict(self.cells)
        if camera:
            cells[index] = camera
        else:
            cells.pop(index, None)
        return Draft(self.layout, cells)

    def overrides(self) -> dict:
        return {str(i): {"kind": "camera", "camera": c} for i, c in self.cells.items()}


class _SetDraft(QUndoCommand):
    def __init__(self, control: "WallControl", before: Draft, after: Draft, text: str):
        super().__init__(text)
        self.control, self.before, self.after = control, before, after

    def redo(self) -> None:
        self.control.set_draft(self.after)

    def undo(self) -> None:
        self.control.set_draft(self.before)


class WallControl(QWidget):
    """The dock's content. State: ``draft`` (the preview); the live wall is the store's WallState.

    Attributes:
        live, preview: the two WallMiniatures.  undo_stack: edits of the preview.
        take_action, undo_action, redo_action, save_action, pause_action: QActions (on the window too).
    """

    def __init__(self, window: Any, store: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.window, self.store = window, store
        self.wall_id = getattr(window, "wall_id", "main")
        self.draft = Draft()
        self.ptz_camera = ""
        self.undo_stack = QUndoStack(self)
        self.live = WallMiniature(self._camera_name, self, self.tr("On the wall"))
        self.preview = WallMiniature(self._camera_name, self, self.tr("Preview (next scene)"))
        self.scene_box = QComboBox(self)
        self.scene_box.setToolTip(self.tr("Scene to prepare in the preview"))
        self._ptz_timer = QTimer(self)
        self._ptz_timer.setSingleShot(True)
        self._ptz_timer.timeout.connect(self.ptz_stop)
        self._tasks: set[asyncio.Task] = set()

        self.take_action = self._action(self.tr("Take preview to wall"), ["F2", "Ctrl+Enter"],
                                        self.tr("Show the prepared scene on the wall in one step"), self.take_preview)
        self.undo_action = self.undo_stack.createUndoAction(self, self.tr("Undo scene edit"))
        self.undo_action.setShortcuts([QKeySequence("Ctrl+Z")])
        self.redo_action = self.undo_stack.createRedoAction(self, self.tr("Redo scene edit"))
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            window.addAction(action)
        self.copy_action = self._action(self.tr("Copy wall to preview"), ["Ctrl+Shift+C"],
                                        self.tr("Start the preview from what the wall shows now"), self.copy_live)
        self.save_action = self._action(self.tr("Save preview as scene…"), ["Ctrl+Shift+S"],
                                        self.tr("Save the prepared scene as a new scene file"), self.ask_save)
        self.pause_action = self._action(self.tr("Pause tours"), ["Ctrl+Shift+P"],
                                         self.tr("Hold the wall's tours on their current camera, or let them go on"),
                                         self.toggle_tours)
        self.pause_action.setCheckable(True)
        self.ptz_actions = [
            self._action(text, [key], self.tr("Move the selected camera (hold the keys)"),
                         lambda p=p, t=t: self.ptz_move(p, t))
            for text, key, p, t in ((self.tr("Pan left"), "Alt+Left", -1, 0), (self.tr("Pan right"), "Alt+Right", 1, 0),
                                    (self.tr("Tilt up"), "Alt+Up", 0, 1), (self.tr("Tilt down"), "Alt+Down", 0, -1))]
        self.zoom_actions = [
            self._action(self.tr("Zoom in"), ["Alt++", "Alt+="], self.tr("Zoom the selected camera in"),
                         lambda: self.ptz_zoom(1)),
            self._action(self.tr("Zoom out"), ["Alt+-"], self.tr("Zoom the selected camera out"),
                         lambda: self.ptz_zoom(-1))]

        buttons = QGridLayout()  # three a row: the panel fits a console's side dock without scrolling
        for n, action in enumerate((self.take_action, self.undo_action, self.redo_action, self.copy_action,
                                    self.save_action, self.pause_action)):
            button = QToolButton(self)
            button.setDefaultAction(action)  # follows the action's text, enabled and checked state
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            buttons.addWidget(button, n // 3, n % 3)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.live, 1)
        box.addWidget(self.scene_box)
        box.addWidget(self.preview, 1)
        box.addLayout(buttons)
        box.addWidget(self._ptz_panel())

        self.scene_box.activated.connect(lambda i: self.prepare_scene(self.scene_box.itemData(i)))
        self.preview.camera_dropped.connect(self.set_preview_cell)
        self.preview.cell_clicked.connect(lambda i: self._select_cell(self.preview, i))
        self.live.cell_clicked.connect(lambda i: self._select_cell(self.live, i))
        self.live.camera_dropped.connect(self.set_live_cell)
        for n, tile in enumerate(getattr(window, "tiles", [])):
            tile.clicked.connect(self._on_console_tile)
        self._signals = [(store.wall_changed, self._on_wall), (store.reset, self._on_reset),
                         (store.camera_changed, self._on_camera)]
        for signal, slot in self._signals:
            signal.connect(slot)
        self.fill_scenes()
        self._on_reset()

    # ---- construction ----------------------------------------------------------------------------
    def _action(self, text: str, keys: list[str], tip: str, slot) -> QAction:
        action = QAction(text, self.window)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        names = ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
        action.setToolTip(f"{tip} ({names})")
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)
        return action

    def _ptz_panel(self) -> QWidget:
        panel = QWidget(self)
        grid = QGridLayout(panel)
        grid.setContentsMargins(0, 0, 0, 0)
        arrows = (("◀", 1, 0, -1, 0), ("▶", 1, 2, 1, 0), ("▲", 0, 1, 0, 1), ("▼", 2, 1, 0, -1))
        for text, row, col, pan, tilt in arrows:
            button = QPushButton(text, panel)
            button.setToolTip(self.tr("PTZ: move the selected camera while pressed (Alt+arrow keys)"))
            button.pressed.connect(lambda p=pan, t=tilt: self.ptz_move(p, t, hold=False))
            button.released.connect(self.ptz_stop)
            button.setFixedWidth(44)
            grid.addWidget(button, row, col)
        for text, col, direction in (("+", 3, 1), ("−", 4, -1)):
            button = QPushButton(text, panel)
            button.setToolTip(self.tr("PTZ: zoom while pressed (Alt++ / Alt+-)"))
            button.pressed.connect(lambda d=direction: self.ptz_zoom(d, hold=False))
            button.released.connect(self.ptz_stop)
            button.setFixedWidth(44)
            grid.addWidget(button, 1, col)
        self.preset_set = QCheckBox(self.tr("Set"), panel)
        self.preset_set.setToolTip(self.tr("Checked: the preset buttons store the current position"))
        grid.addWidget(self.preset_set, 0, 3, 1, 2)
        for n in range(1, PRESETS + 1):
            button = QPushButton(str(n), panel)
            button.setToolTip(self.tr("PTZ preset %1").replace("%1", str(n)))
            button.clicked.connect(lambda _c=False, n=n: self.ptz_preset(n, "set" if self.preset_set.isChecked() else "goto"))
            button.setFixedWidth(44)
            grid.addWidget(button, 2, 2 + n)
        grid.setColumnStretch(3 + PRESETS, 1)
        return panel

    # ---- scenes and the preview ------------------------------------------------------------------
    def layouts(self) -> list[Layout]:
        return list(getattr(self.window, "layouts", []))

    def layout_named(self, name: str) -> Layout | None:
        return next((lay for lay in self.layouts() if lay.name == name), None)

    def fill_scenes(self) -> None:
        self.scene_box.clear()
        for n, layout in enumerate(self.layouts(), 1):
            prefix = f"Ctrl+{n}  " if n <= 9 else ""
            self.scene_box.addItem(f"{prefix}{layout.title} ({layout.cols}×{layout.rows})", layout.name)

    def set_draft(self, draft: Draft) -> None:
        """Show ``draft`` in the preview (the undo commands call this; use the edit methods otherwise)."""
        self.draft = draft
        layout = self.layout_named(draft.layout)
        self.preview.show_scene(layout, draft.overrides(), set(draft.cells))
        index = self.scene_box.findData(draft.layout)
        if index >= 0:
            self.scene_box.setCurrentIndex(index)

    def _edit(self, after: Draft, text: str) -> None:
        if after != self.draft:
            self.undo_stack.push(_SetDraft(self, self.draft, after, text))

    def prepare_scene(self, name: str) -> None:
        layout = self.layout_named(name)
        if layout is not None:  # the undo button names the scene as the scene list does, not by its file name
            self._edit(Draft(name), self.tr("Prepare scene %1").replace("%1", scene_title(layout)))

    def set_preview_cell(self, index: int, camera: str) -> None:
        layout = self.layout_named(self.draft.layout)
        if layout is None or not 0 <= index < len(layout.cells):
            return
        same = layout.cells[index].kind == "camera" and layout.cells[index].camera == camera
        self._edit(self.draft.with_cell(index, "" if same else camera),
                   self.tr("Put %1 in cell %2").replace("%1", camera).replace("%2", str(index + 1)))

    def copy_live(self) -> None:
        wall = self.store.wall(self.wall_id)
        if wall is None:
            return
        cells = {int(k): v["camera"] for k, v in (wall.cells or {}).items()
                 if str(k).isdigit() and isinstance(v, dict) and v.get("camera") and not v.get("alarm")}
        self._edit(Draft(wall.layout, cells), self.tr("Copy the wall"))

    def take_preview(self) -> asyncio.Task | None:
        """One command: the preview's scene with its cells (wall.take)."""
        if not self.draft.layout:
            return None
        return self._command("wall.take", {"layout": self.draft.layout, "wall": self.wall_id,
                                           "cells": {str(i): c for i, c in self.draft.cells.items()}})

    def set_live_cell(self, index: int, camera: str) -> asyncio.Task | None:
        return self._command("wall.set_cell", {"index": index, "camera": camera, "wall": self.wall_id})

    def toggle_tours(self) -> asyncio.Task | None:
        wall = self.store.wall(self.wall_id)
        paused = not bool(getattr(wall, "tours_paused", False))
        return self._command("wall.pause_tours", {"paused": paused, "wall": self.wall_id})

    def save_preview_as(self, name: str, title: str) -> Layout:
        """Write the preview as layouts/<name>.json (a new file); raises LayoutError naming the problem."""
        layout = self.layout_named(self.draft.layout)
        if layout is None:
            raise LayoutError(self.tr("Nothing to save: prepare a scene first"))
        if not SCENE_NAME.match(name):
            raise LayoutError(self.tr("%1: use letters, digits, '-', '_' or '.'").replace("%1", name))
        target = self.window.layouts_dir / f"{name}.json"
        if target.exists():
            raise LayoutError(self.tr("%1 exists already; choose a new name").replace("%1", str(target)))
        cells = tuple(replace(c, kind="camera", camera=self.draft.cells[i], cameras=(), title="")
                      if i in self.draft.cells else c for i, c in enumerate(layout.cells))
        order = max((lay.order for lay in self.layouts()), default=0) + 1
        new = replace(layout, name=name, title=title or name, title_en="", cells=cells, order=order, path="")
        save_layout(new, self.window.layouts_dir)
        if hasattr(self.window, "reload_scenes"):
            self.window.reload_scenes()
        self.fill_scenes()
        self.undo_stack.clear()
        self.set_draft(Draft(name))
        return new

    def ask_save(self) -> None:
        name, ok = QInputDialog.getText(self, self.tr("Save scene"), self.tr("File name (letters, digits, -):"))
        if not ok or not name.strip():
            return
        title, ok = QInputDialog.getText(self, self.tr("Save scene"), self.tr("Title shown to operators:"),
                                         text=name.strip())
        if not ok:
            return
        try:
            self.save_preview_as(name.strip(), title.strip())
        except (LayoutError, OSError) as exc:
            self.window.statusBar().showMessage(str(exc), 10000)

    # ---- PTZ -------------------------------------------------------------------------------------
    def _select_cell(self, miniature: WallMiniature, index: int) -> None:
        cell = miniature.cells[index] if 0 <= index < len(miniature.cells) else None
        if cell is not None and cell.kind == "camera":
            self.ptz_camera = cell.camera

    @Slot(str)
    def _on_console_tile(self, camera_id: str) -> None:
        if camera_id:
            self.ptz_camera = camera_id

    def ptz_move(self, pan: int, tilt: int, hold: bool = True) -> asyncio.Task | None:
        if hold:  # keyboard: auto-repeat keeps it going; the timer stops it after the key is let go
            self._ptz_timer.start(PTZ_HOLD_MS)
        return self._ptz("ptz.move", {"pan": pan, "tilt": tilt, "speed": PTZ_SPEED})

    def ptz_zoom(self, direction: int, hold: bool = True) -> asyncio.Task | None:
        if hold:
            self._ptz_timer.start(PTZ_HOLD_MS)
        return self._ptz("ptz.zoom", {"direction": direction})

    def ptz_stop(self) -> asyncio.Task | None:
        self._ptz_timer.stop()
        return self._ptz("ptz.stop", {})

    def ptz_preset(self, n: int, op: str = "goto") -> asyncio.Task | None:
        return self._ptz("ptz.preset", {"n": n, "op": op})

    def _ptz(self, action: str, args: dict) -> asyncio.Task | None:
        if not self.ptz_camera:
            self.window.statusBar().showMessage(self.tr("PTZ: select a camera tile first"), 3000)
            return None
        return self._command(action, {"camera": self.ptz_camera, **args})

    # ---- commands and store → view ---------------------------------------------------------------
    def _command(self, action: str, args: dict) -> asyncio.Task | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or getattr(self.store, "client", None) is None:
            self.store.command_failed.emit(action, self.tr("Not connected to the hub"))
            return None
        task = loop.create_task(self.store.command(action, args))
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.info("wall control: %s", task.exception())  # reported through store.command_failed

    def _camera_name(self, camera_id: str) -> str | None:
        camera = self.store.get("cameras", camera_id)
        return getattr(camera, "name", None) or camera_id

    @Slot()
    def _on_reset(self) -> None:
        self._on_wall(self.store.wall(self.wall_id))
        for action in (self.take_action, self.pause_action):
            action.setEnabled(self.store.can("wall.take") if self.store.actions else True)

    @Slot(object)
    def _on_wall(self, wall: Any) -> None:
        if wall is None or getattr(wall, "id", None) != self.wall_id:
            return
        for miniature in (self.live, self.preview):  # the preview is of the same wall
            miniature.set_screen(getattr(wall, "screen", None))
        self.live.show_scene(self.layout_named(wall.layout), wall.cells)
        self.pause_action.setChecked(bool(getattr(wall, "tours_paused", False)))
        if not self.draft.layout:  # first state: the preview starts from the wall
            self.set_draft(Draft(wall.layout, {int(k): v["camera"] for k, v in (wall.cells or {}).items()
                                               if str(k).isdigit() and isinstance(v, dict) and v.get("camera")
                                               and not v.get("alarm")}))

    @Slot(object)
    def _on_camera(self, camera: Any) -> None:
        shown = {c.camera for c in (*self.live.cells, *self.preview.cells) if c.kind == "camera"}
        if getattr(camera, "id", "") in shown:
            self.live.update()
            self.preview.update()

    def shutdown(self) -> None:
        disconnect_all(self._signals)
        self._signals = []


def install_console(window: Any, store: Any) -> WallControl:
    """Add the "Wall" dock to the duty console."""
    dock = QDockWidget(QCoreApplication.translate("WallControl", "Wall"), window)
    dock.setObjectName("wallControl")
    control = WallControl(window, store, dock)
    dock.setWidget(control)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.wall_control = control
    bar = getattr(window, "toolbar", None)
    if bar is not None:
        bar.addAction(control.take_action)
    return control
