"""Alarm linkage: a red or orange alert with a location puts the nearest cameras into the scene's alarm cells.

A scene marks its alarm region with ``"alarm": true`` cells and may say which colours trigger it and how
many cameras to show (``"linkage": {"colours": ["red", "orange"], "cameras": 2}``; the defaults are red
and orange, one camera per alarm cell). While an unacknowledged, active alert of such a colour with a
location exists, the most severe (then newest) one owns the region: its nearest cameras replace the alarm
cells as wall cell overrides marked ``{"alarm": colour, "alert": id}``, which the windows frame in that
colour. When it is acknowledged (or closed) the next one takes over, or the scene's own cells come back.
Every change to the wall is audited as ``wall.linkage``.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import math
import time
from pathlib import Path
from typing import Any

from backend.core import Change, Core
from backend_client.layouts import Layout, LayoutError, load_layout

log = logging.getLogger(__name__)

DEFAULT_COLOURS = ("red", "orange")
COLOUR_RANK = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}
ACTOR = "linkage"


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(a)))


def _located(record: dict) -> bool:
    lat, lon = record.get("lat"), record.get("lon")
    return isinstance(lat, (int, float)) and isinstance(lon, (int, float))


def nearest_cameras(cameras: list[dict], lat: float, lon: float, n: int) -> list[str]:
    """Ids of the ``n`` cameras nearest to (lat, lon); cameras without a position are left out."""
    placed = [c for c in cameras if _located(c)]
    placed.sort(key=lambda c: (distance_m(lat, lon, c["lat"], c["lon"]), c["id"]))
    return [c["id"] for c in placed[:n]]


def trigger_alert(alerts: list[dict], colours: tuple[str, ...] | list[str]) -> dict | None:
    """The alert that owns the alarm region: active, unacknowledged, located, of a linked colour;
    the most severe first, then the newest."""
    live = [a for a in alerts if a.get("colour") in colours and not a.get("acked")
            and a.get("status", "active") == "active" and _located(a)]
    if not live:
        return None
    return min(live, key=lambda a: (COLOUR_RANK.get(a.get("colour"), 9), -(a.get("created") or 0.0), a["id"]))


def plan_cells(layout: Layout, cells: dict, alerts: list[dict], cameras: list[dict]) -> dict:
    """The wall's cell overrides with the alarm region filled (or cleared): operator overrides outside the
    region are kept, earlier linkage overrides are replaced."""
    out = {k: v for k, v in (cells or {}).items() if not (isinstance(v, dict) and v.get("alarm"))}
    region = layout.alarm_cells()
    if not region:
        return out
    linkage = layout.linkage or {}
    colours = tuple(linkage.get("colours", DEFAULT_COLOURS))
    want = min(len(region), linkage.get("cameras", len(region)))
    alert = trigger_alert(alerts, colours)
    if alert is None or want <= 0:
        return out
    chosen = nearest_cameras(cameras, float(alert["lat"]), float(alert["lon"]), want)
    for index, camera in zip(region, chosen):
        out[str(index)] = {"kind": "camera", "camera": camera, "alarm": alert["colour"], "alert": alert["id"]}
    return out


class WallLinkage:
    """Follows alerts, cameras and walls in the Core and keeps every wall's alarm region up to date."""

    def __init__(self, core: Core):
        self.core = core
        self._dirty = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._layouts: dict[str, tuple[float, Layout | None]] = {}
        self._positions: dict[Any, Any] = {c["id"]: (c.get("lat"), c.get("lon")) for c in core.all("cameras")}

    def start(self) -> None:
        self.core.subscribe(self._on_event)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="wall-linkage")
        self._dirty.set()

    async def stop(self) -> None:
        self.core.unsubscribe(self._on_event)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping
                pass

    def _on_event(self, event: dict) -> None:
        entity = event.get("entity")
        if entity == "cameras":
            # health updates from the relay arrive often; only a camera that appears, moves or goes counts
            data = event.get("data") or {}
            where = (data.get("lat"), data.get("lon")) if event.get("op") == "upsert" else None
            if self._positions.get(event.get("key")) == where:
                return
            self._positions[event.get("key")] = where
            self._dirty.set()
        elif entity in ("alerts", "walls"):
            self._dirty.set()

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            try:
                await self.update_walls()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - linkage must never stop the backend
                log.exception("wall linkage: update failed")

    def _layout(self, name: str) -> Layout | None:
        path = Path(self.core.layouts_dir) / f"{name}.json"
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        cached = self._layouts.get(name)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            layout: Layout | None = load_layout(path)
        except LayoutError as exc:
            log.warning("wall linkage: %s", exc)
            layout = None
        self._layouts[name] = (mtime, layout)
        return layout

    async def update_walls(self) -> int:
        """Recompute every wall; returns how many walls changed."""
        changed = 0
        alerts, cameras = self.core.all("alerts"), self.core.all("cameras")
        for wall in self.core.all("walls"):
            layout = self._layout(str(wall.get("layout", "")))
            if layout is None:
                continue
            cells = wall.get("cells") or {}
            new = plan_cells(layout, cells, alerts, cameras)
            if new == cells:
                continue
            record = {**wall, "cells": new, "updated_by": ACTOR, "updated": time.time()}
            linked = sorted({v["alert"] for v in new.values() if isinstance(v, dict) and v.get("alarm")})
            audit = {"user": ACTOR, "role": "system", "action": "wall.linkage",
                     "args": {"wall": wall["id"], "layout": layout.name, "alerts": linked,
                              "cells": {k: v["camera"] for k, v in new.items() if v.get("alarm")}},
                     "ok": True, "detail": "alarm region filled" if linked else "alarm region cleared"}
            await self.core.publish([Change("walls", "upsert", wall["id"], record)], actor=ACTOR, audit=audit)
            log.info("wall linkage: wall %s: %s", wall["id"], audit["detail"])
            changed += 1
        return changed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-wall-linkage", action="store_true",
                        help="do not put the cameras nearest to a red/orange alert on the wall")


async def start(core: Core, args: argparse.Namespace) -> Any:
    if getattr(args, "no_wall_linkage", False):
        return None
    linkage = WallLinkage(core)
    linkage.start()
    return linkage.stop
