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
]


def _modules() -> list[Any]:
    mods = []
    for name in FEATURES:
        try:
            mods.append(importlib.import_module(name))
        except Exception:
            log.exception("feature %s cannot be imported; skipped", name)
    return mods


def install(window: Any, store: Any, hook: str) -> None:
    """Call ``hook`` ("install_console" or "install_consultation") of every feature on ``window``."""
    for mod in _modules():
        fn = getattr(mod, hook, None)
        if fn is None:
            continue
        try:
            fn(window, store)
        except Exception:
            log.exception("feature %s: %s failed; skipped", mod.__name__, hook)


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
