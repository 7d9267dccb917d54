"""The wall role: one frameless full-screen window per screen, showing the scene the hub says the wall shows."""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QScreen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from backend_client.layouts import Cell, Layout, LayoutError, load_layouts
from widgets.wall_grid import WallGrid

log = logging.getLogger(__name__)

CellFactory = Callable[[Cell], "QWidget | None"]


class _MemorySettings:
    """The part of QSettings the wall uses, kept in memory."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def value(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def setValue(self, key: str, value: Any) -> None:  # noqa: N802 - QSettings API
        self._values[key] = value




class WallWindow(QWidget):
    """Shows ``store.wall(wall_id).layout`` (the first scene until the hub says otherwise) and follows
    ``store.wall_changed``. Keys 1–9 ask the hub to take the n-th scene (by order); the window changes
    only when the hub's change event comes back.

    Attributes:
        layouts: the valid scenes of the layouts folder, in order.  errors: LayoutErrors of the others.
        grid: the WallGrid.
    Signals:
        take_requested(str): a scene was asked for (its name), just before store.request_take is called.
    """

    take_requested = Signal(str)

    def __init__(self, store: Any, layouts_dir: str | os.PathLike, screen: QScreen | None = None,
                 make_cell: CellFactory | None = None, wall_id: str = "main", parent: QWidget | None = None,
                 settings: QSettings | None = None):
        super().__init__(parent)
        self.store = store
        # the scene shown last, shown again at start until the hub answers (restart, backend outage)
        if settings is None:  # no organisation (a bare QApplication, tests): remember in this window only
            settings = QSettings() if QCoreApplication.organizationName() else _MemorySettings()
        self.settings = settings
        self.wall_id = wall_id
        self.layouts_dir = Path(layouts_dir)
        self.setWindowTitle(self.tr("Video wall"))
        self.setWindowFlags(Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self.setStyleSheet("WallWindow { background: #000; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setCursor(Qt.CursorShape.BlankCursor)

        self.message = QLabel(self)
        self.message.setObjectName("wallMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setStyleSheet("#wallMessage { background: #5a0000; color: #ffffff; padding: 4px 8px; }")
        self.message.hide()
        self.grid = WallGrid(self._play_url, self._camera_name, make_cell, self)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.message)
        box.addWidget(self.grid, 1)

        self.layouts: list[Layout] = []
        self.errors: list[LayoutError] = []
        self._status = ""
        self._connection = ""
        self._unknown_shown: set[str] = set()
        self._names_shown: dict[str, str] = {}
        self._sources: dict[str, tuple[str, str]] = {}  # play URL handed out -> (camera, stream): leases
        self._store_disconnected = False
        self._lease_sweep = QTimer(self)  # a tour moves on without a re-layout: drop leases of what left
        self._lease_sweep.setInterval(5000)
        self._lease_sweep.timeout.connect(self._release_unshown)
        self._actions: list[QAction] = []
        for n in range(1, 10):
            action = QAction(self.tr("Show scene %1").replace("%1", str(n)), self)
            action.setShortcuts([QKeySequence(str(n)), QKeySequence(Qt.KeyboardModifier.KeypadModifier | Qt.Key(Qt.Key.Key_0 + n))])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setToolTip(self.tr("Ask the hub to put the scene number %1 on the wall").replace("%1", str(n)))
            action.triggered.connect(lambda _checked=False, n=n: self.take_number(n))
            self.addAction(action)
            self._actions.append(action)

        self.reload_layouts()
        store.wall_changed.connect(self._on_wall_changed)
        store.reset.connect(self._on_reset)
        store.camera_changed.connect(self._on_camera_changed)
        store.connection_changed.connect(self._on_connection_changed)
        if hasattr(store, "command_failed"):
            store.command_failed.connect(self._on_command_failed)
        if hasattr(store, "session_changed"):
            store.session_changed.connect(self._on_session_changed)
        if hasattr(store, "play_source_changed"):
            store.play_source_changed.connect(self._on_play_source_changed)
        self._on_reset()
        if screen is not None:
            self.place_on(screen)

    # ---- API -------------------------------------------------------------------------------------
    def reload_layouts(self) -> None:
        """Read the layouts folder again; a bad file is reported (window and log), never fatal."""
        self.layouts, self.errors = load_layouts(self.layouts_dir)
        for err in self.errors:
            log.error("wall: %s", err)
        if not self.layouts:
            self.errors.append(LayoutError(f"{self.layouts_dir}: no valid layout (*.json) in this folder"))
            log.error("wall: %s", self.errors[-1])
        self._show_messages()

    def layout_named(self, name: str) -> Layout | None:
        return next((lay for lay in self.layouts if lay.name == name), None)

    def show_layout(self, name: str, overrides: dict | None = None) -> bool:
        """Show the named scene; an unknown or broken one keeps what is on screen (first scene if nothing)."""
        layout = self.layout_named(name)
        self._status = ""
        if layout is None:
            broken = [str(e) for e in self.errors if Path(str(e).split(":", 1)[0]).stem == name]
            self._status = (self.tr("Scene %1 cannot be shown: %2").replace("%1", name).replace("%2", broken[0])
                            if broken else
                            self.tr("Scene %1 is not in %2").replace("%1", name).replace("%2", str(self.layouts_dir)))
            log.error("wall: %s", self._status)
            if self.grid.current_layout() is None and self.layouts:
                self._apply(self.layouts[0], None)
            self._show_messages()
            return False
        self._apply(layout, overrides)
        self._show_messages()
        return True

    def take_number(self, n: int) -> None:
        """Keys 1–9: ask the hub for the n-th scene (the wall follows the hub's answer, not the key)."""
        if not 1 <= n <= len(self.layouts):
            log.info("wall: no scene number %d (%d scenes)", n, len(self.layouts))
            return
        self.request_take(self.layouts[n - 1].name)

    def request_take(self, layout_name: str) -> None:
        """Send wall.take; a refusal comes back as store.command_failed and is shown in the window."""
        self.take_requested.emit(layout_name)
        try:
            self.store.request_take(layout_name, wall=self.wall_id)
        except Exception:  # noqa: BLE001 - a refused command must not close the wall
            log.exception("wall: take %s failed", layout_name)

    def place_on(self, screen: QScreen) -> None:
        """Cover ``screen`` entirely."""
        self.setScreen(screen)
        self.setGeometry(screen.geometry())
        self.move(screen.geometry().topLeft())

    # ---- store → view ------------------------------------------------------------------------------
    @Slot()
    def _on_reset(self) -> None:
        self.grid.set_watermark(str(getattr(self.store, "user", "") or ""))
        wall = self._wall_state()
        if wall is not None and wall.layout:
            self.show_layout(wall.layout, wall.cells)
            self.grid.set_tours_paused(bool(getattr(wall, "tours_paused", False)))
        elif self.grid.current_layout() is None and self.layouts:
            name, cells = self.remembered_scene()
            self._apply(self.layout_named(name) or self.layouts[0], cells if self.layout_named(name) else None)
            self._show_messages()
        elif self.grid.current_layout() is not None:
            self._refresh()
        self.report_screen()

    def report_screen(self) -> None:
        """Tell the hub this window's size when the wall's record says another (or none), so that the
        consoles draw the wall's miniature in the wall's shape (``wall.screen``)."""
        wall = self._wall_state()
        size = [self.width(), self.height()]
        if (wall is None or not self.isVisible() or list(getattr(wall, "screen", []) or []) == size
                or getattr(self.store, "connection", "") != "online" or not hasattr(self.store, "request")
                or (getattr(self.store, "actions", None) and not self.store.can("wall.screen"))):
            return  # a role that may not say it (a view-only wall) leaves the miniatures at 16:9
        self.store.request("wall.screen", {"wall": self.wall_id, "width": size[0], "height": size[1]})

    def resizeEvent(self, event):  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.report_screen()

    def showEvent(self, event):  # noqa: N802 - Qt API
        super().showEvent(event)
        self.report_screen()

    @Slot()
    def _on_session_changed(self) -> None:
        self.grid.set_watermark(str(getattr(self.store, "user", "") or ""))

    @Slot(object)
    def _on_wall_changed(self, wall) -> None:
        if getattr(wall, "id", None) == self.wall_id:
            self.show_layout(wall.layout, wall.cells)
            self.grid.set_tours_paused(bool(getattr(wall, "tours_paused", False)))

    def remembered_scene(self) -> tuple[str, dict | None]:
        """(scene name, cell overrides) this wall showed last, from QSettings; ("", None) if none."""
        try:
            data = json.loads(str(self.settings.value(f"wall/{self.wall_id}/scene", "") or "{}"))
            return str(data.get("layout", "")), data.get("cells") if isinstance(data.get("cells"), dict) else None
        except (ValueError, AttributeError):
            return "", None

    @Slot(object)
    def _on_camera_changed(self, camera) -> None:
        # Health updates arrive often; re-lay out only when a camera appears or is renamed.
        cid = getattr(camera, "id", "")
        if cid in self._unknown_shown or (cid in self._names_shown and self._names_shown[cid] != camera.name):
            self._refresh()

    @Slot(str)
    def _on_connection_changed(self, state: str) -> None:
        self._connection = state
        self._show_messages()
        self.report_screen()

    # ---- internals -------------------------------------------------------------------------------
    def _wall_state(self):
        try:
            return self.store.wall(self.wall_id)
        except Exception:  # noqa: BLE001 - no state yet
            return None

    def _refresh(self) -> None:
        wall = self._wall_state()
        current = self.grid.current_layout()
        if current is not None:
            overrides = wall.cells if wall is not None and wall.layout == current.name else None
            self._apply(current, overrides)

    def _apply(self, layout: Layout, overrides: dict | None) -> None:
        self.grid.set_layout(layout, overrides)
        self._release_unshown()
        self.settings.setValue(f"wall/{self.wall_id}/scene",
                               json.dumps({"layout": layout.name, "cells": overrides or {}}, ensure_ascii=False))
        self._unknown_shown = {c.camera for c, _ in self.grid.cells() if c.kind == "camera"
                               and self._camera_name(c.camera) is None}
        self._names_shown = {c.camera: self._camera_name(c.camera) or "" for c, _ in self.grid.cells()
                             if c.kind == "camera"}

    def _play_url(self, camera_id: str, sub: bool) -> Any:  # a play URL or a play source (url + options)
        # Before the hub's auth_ok there is no relay (nor a token to show it): play nothing yet; the tile
        # shows no signal and the snapshot's re-layout starts it, since its URL is still empty.
        if not getattr(self.store, "relay_url", ""):
            return ""
        try:
            if sub:  # a small cell plays the sub stream, where the camera has one (a conference site has none)
                camera = self.store.get("cameras", camera_id)
                sub = camera is None or bool(getattr(camera, "has_sub", True))
            if not hasattr(self.store, "play_source"):
                return self.store.play_url(camera_id, sub=sub) or ""
            # multicast (cc-app --multicast) holds a lease for this window until the camera leaves the wall
            stream = "sub" if sub else "main"
            source = self.store.play_source(camera_id, stream, holder=self)
            if source.transport == "udp":
                self._sources[source.url] = (camera_id, stream)
                self._lease_sweep.start()
            return source
        except Exception:  # noqa: BLE001 - no relay known yet: the tile shows no signal
            log.warning("wall: no play URL for %s", camera_id, exc_info=True)
            return ""

    def _camera_name(self, camera_id: str) -> str | None:
        try:
            camera = self.store.get("cameras", camera_id)
        except Exception:  # noqa: BLE001
            camera = None
        return getattr(camera, "name", None) or (camera_id if camera is not None else None)

    @Slot(str, str)
    def _on_command_failed(self, action: str, message: str) -> None:
        if action == "wall.take":
            self._status = self.tr("The scene was not taken: %1").replace("%1", message)
            log.error("wall: %s", self._status)
            self._show_messages()

    def _show_messages(self) -> None:
        lines = [str(e) for e in self.errors]
        if self._status:
            lines.insert(0, self._status)
        if self._connection and self._connection not in ("online", "connected"):
            lines.insert(0, self.tr("Hub %1: the wall keeps showing the last scene").replace("%1", self._connection))
        self.message.setText("\n".join(lines))
        self.message.setVisible(bool(lines))

    def _release_unshown(self) -> None:
        """Multicast leases of cameras no tile shows any more are no longer renewed (the relay stops sending)."""
        if not self._sources:
            self._lease_sweep.stop()
            return
        shown = {t.player.url for t in self.grid.tiles().values()}
        for url in [u for u in self._sources if u not in shown]:
            camera_id, stream = self._sources.pop(url)
            self.store.release_play(camera_id, sub=stream == "sub", holder=self)

    def _on_play_source_changed(self, camera_id: str) -> None:
        """The relay refused a camera's group: its tiles play it over HTTP from now on."""
        for url, (cam, stream) in list(self._sources.items()):
            if cam != camera_id:
                continue
            del self._sources[url]
            for tile in self.grid.tiles().values():
                if tile.player.url == url:
                    tile.play(self._play_url(cam, stream == "sub"))

    def closeEvent(self, event):  # noqa: N802 - Qt API
        self._lease_sweep.stop()
        for camera_id, stream in self._sources.values():
            self.store.release_play(camera_id, sub=stream == "sub", holder=self)
        self._sources.clear()
        if not self._store_disconnected:  # a window may be closed twice: a second disconnect only warns
            self._store_disconnected = True
            self._disconnect_store()
        self.grid.shutdown()
        super().closeEvent(event)

    def _disconnect_store(self) -> None:
        for signal, slot in ((self.store.wall_changed, self._on_wall_changed), (self.store.reset, self._on_reset),
                             (self.store.camera_changed, self._on_camera_changed),
                             (self.store.connection_changed, self._on_connection_changed),
                             (getattr(self.store, "command_failed", None), self._on_command_failed),
                             (getattr(self.store, "session_changed", None), self._on_session_changed),
                             (getattr(self.store, "play_source_changed", None), self._on_play_source_changed)):
            if signal is None:
                continue
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass


def open_wall_windows(store: Any, layouts_dir: str | os.PathLike, screens: list[int] | None = None,
                      make_cell: CellFactory | None = None, fullscreen: bool = True) -> list[WallWindow]:
    """One WallWindow per chosen screen (all screens by default), shown full screen.

    Raises ValueError naming the index when a chosen screen does not exist.
    """
    available = QGuiApplication.screens()
    indexes = list(range(len(available))) if screens is None else list(screens)
    for i in indexes:
        if not 0 <= i < len(available):
            raise ValueError(f"--screens: there is no screen {i}; this machine has {len(available)} "
                             f"(0..{len(available) - 1})")
    windows = []
    for i in indexes:
        window = WallWindow(store, layouts_dir, available[i], make_cell)
        if fullscreen:
            window.showFullScreen()
        else:
            window.show()
        windows.append(window)
    return windows
