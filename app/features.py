"""Optional app capabilities (map, dispatch pad, alert handling, wall control …) plugged into the windows.

A feature module may define any of
- ``install_console(window, store) -> None`` — add docks (``window.addDockWidget``), menus
  (``window.menuBar()``), toolbar actions (``window.toolbar``) and shortcuts to the duty officer's console;
- ``install_consultation(window, store) -> None`` — the same for the leader's window;
- ``make_wall_cell(cell, store) -> QWidget | None`` — a widget for a wall cell kind it knows (e.g. "map"),
  None for kinds it does not handle.
A feature that fails is logged and skipped; the window still opens.
"""
from __future__ import annotations

import importlib
import logging
from typing import Any

log = logging.getLogger(__name__)

# Add a feature by appending its module path.
FEATURES: list[str] = [
    "app.alert_handling",
    "app.incident_desk",
    "app.review_player",
    "app.evaluation_view",
    "app.wall_control",
    "app.map_feature",
    "app.dispatch_feature",
    "app.leader_view",
    "app.store_alarm",
    "app.federation_view",
    "app.conference_panel",
]


def _modules() -> list[Any]:
    mods = []
    for name in FEATURES:
        try:
            mods.append(importlib.import_module(name))
        except Exception:
            log.exception("feature %s cannot be imported; skipped", name)
    return mods


# Which dock a side shows first when several share it (by objectName); the others are tabs behind it.
FRONT_DOCKS = ("mapDock", "leaderView", "incidentDesk")
MAX_DOCK_MIN_WIDTH = 560
MAX_DOCK_MIN_HEIGHT = 320  # a bottom dock must leave the console's alert list ~12 rows at 1080 lines
WIDE_DOCKS = ("leaderView",)  # these take half the window's width rather than a third


def install(window: Any, store: Any, hook: str) -> None:
    """Call ``hook`` ("install_console" or "install_consultation") of every feature on ``window``,
    then put the docks of each side into one tab group so the window still fits its screen."""
    for mod in _modules():
        fn = getattr(mod, hook, None)
        if fn is None:
            continue
        try:
            fn(window, store)
        except Exception:
            log.exception("feature %s: %s failed; skipped", mod.__name__, hook)
    arrange_docks(window)


def arrange_docks(window: Any) -> None:
    """Tabify the docks that share a side of ``window`` and raise the front one (FRONT_DOCKS).

    A side dock wider than MAX_DOCK_MIN_WIDTH at its minimum scrolls instead, and so does a bottom (or top)
    dock taller than MAX_DOCK_MIN_HEIGHT, so the console keeps fitting a 1920×1080 screen, its own lists
    legible, whatever the features put into their docks."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea

    if not hasattr(window, "dockWidgetArea"):
        return
    size = window.size()
    by_area: dict[Any, list] = {}
    for dock in window.findChildren(QDockWidget):
        if dock.parent() is window and not dock.isFloating():
            by_area.setdefault(window.dockWidgetArea(dock), []).append(dock)
    sides = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
    for area, docks in by_area.items():
        for dock in docks:
            inner = dock.widget()
            if inner is None or isinstance(inner, QScrollArea):
                continue
            least = inner.minimumSizeHint()
            if (least.width() > MAX_DOCK_MIN_WIDTH) if area in sides else (least.height() > MAX_DOCK_MIN_HEIGHT):
                scroll = QScrollArea(dock)
                scroll.setFrameShape(QFrame.Shape.NoFrame)
                scroll.setWidgetResizable(True)
                scroll.setWidget(inner)  # takes ownership; the feature keeps its references to inner
                dock.setWidget(scroll)
        for other in docks[1:]:
            window.tabifyDockWidget(docks[0], other)
        front = next((d for name in FRONT_DOCKS for d in docks if d.objectName() == name), docks[0])
        front.raise_()
        # Sizes take effect once the window is laid out: a side dock gets a third of the width, a bottom
        # (or top) one a quarter of the height; the central lists keep the rest.
        if area in sides:
            share = 2 if front.objectName() in WIDE_DOCKS else 3
            resize = (lambda f=front, n=share: window.resizeDocks([f], [max(420, window.width() // n)],
                                                                  Qt.Orientation.Horizontal))
        else:
            resize = (lambda f=front: window.resizeDocks([f], [max(220, window.height() // 4)],
                                                         Qt.Orientation.Vertical))
        resize()
        QTimer.singleShot(0, window, resize)
    # While a side's docks were still stacked, before the tabs, the window's layout asked for their summed
    # heights and the window grew to that: the console to 1301 px, its status bar below the edge of a
    # 1080-line screen. In tabs they need much less, so the window goes back to the size it had.
    layout = window.layout()
    if layout is not None:
        layout.activate()
    window.resize(size.expandedTo(window.minimumSizeHint()))


def make_wall_cell(cell: Any, store: Any) -> Any:
    """The first feature widget for this wall cell, or None."""
    for mod in _modules():
        fn = getattr(mod, "make_wall_cell", None)
        if fn is None:
            continue
        try:
            widget = fn(cell, store)
        except Exception:
            log.exception("feature %s: wall cell %s failed", mod.__name__, getattr(cell, "kind", "?"))
            continue
        if widget is not None:
            return widget
    return None
