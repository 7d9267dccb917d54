"""Optional backend capabilities, each a module plugged into ``cc-backend`` by name.

A feature module may define
- ``add_arguments(parser: argparse.ArgumentParser) -> None`` — its command-line options;
- ``async start(core, args) -> stop | None`` — called once the Core and the built-in commands are up and
  before the hub listens; it registers its actions (``core.register_action``) and starts its tasks, and
  returns an async callable that stops them (called on shutdown, in reverse order).
A feature that fails to import or start is logged and skipped: alerts and commands keep working.
"""
from __future__ import annotations

import argparse
import importlib
import logging
from typing import Any, Awaitable, Callable

log = logging.getLogger(__name__)

# Order matters only for start-up; add a feature by appending its module path.
FEATURES: list[str] = [
    "backend.dispatch.feature",
    "backend.ptz",
    "backend.wall_linkage",
    "backend.incidents.feature",
    "backend.units_gnss",
    "backend.cap_http",
    "backend.room",
    "backend.consultation",
    "backend.federation.feature",
    "backend.conference.feature",
]

Stop = Callable[[], Awaitable[None]]


def _modules() -> list[Any]:
    mods = []
    for name in FEATURES:
        try:
            mods.append(importlib.import_module(name))
        except Exception:
            log.exception("feature %s cannot be imported; skipped", name)
    return mods


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for mod in _modules():
        if hasattr(mod, "add_arguments"):
            mod.add_arguments(parser)


async def start_all(core: Any, args: argparse.Namespace) -> list[Stop]:
    stops: list[Stop] = []
    for mod in _modules():
        if not hasattr(mod, "start"):
            continue
        try:
            stop = await mod.start(core, args)
        except Exception:
            log.exception("feature %s did not start; continuing without it", mod.__name__)
            continue
        if stop is not None:
            stops.append(stop)
    return stops


async def stop_all(stops: list[Stop]) -> None:
    for stop in reversed(stops):
        try:
            await stop()
        except Exception:
            log.exception("feature stop failed")
