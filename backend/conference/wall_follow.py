"""The wall follows a consultation's conference: its camera cells show the forwarded participants in the order of
the conference's pushed layout (1/4/9/16), and go back to the incident's cameras when the conference ends.

The plan is a pure function of the conference record (layout tiles, ``media.out`` = {participant: camera id}),
the consultation's own cells (the cameras nearest the incident) and the layouts; ``WallFollower`` applies it to
the wall the consultation took, and only while that wall still shows a scene it follows (an operator who takes
another scene stops the following).
"""
from __future__ import annotations

import asyncio
import logging
import time

from backend_client.layouts import Layout, LayoutError, load_layout

log = logging.getLogger(__name__)

WALL = "main"
BASE_LAYOUT = "consultation"
# 1 and 4 sites fit the consultation scene's four video cells (next to the map and the incident board);
# 9 and 16 take the 16-camera scene
SPLIT_LAYOUT = {1: BASE_LAYOUT, 4: BASE_LAYOUT, 9: "cameras-16", 16: "cameras-16"}
FOLLOWED = frozenset(SPLIT_LAYOUT.values())


def camera_slots(layout: Layout) -> list[int]:
    return [i for i, c in enumerate(layout.cells) if c.kind == "camera"]


def plan(conference: dict, base_cells: dict[str, str], layouts: dict[str, Layout]) -> tuple[str, dict]:
    """(layout name, wall cells) showing the conference: tile i → the i-th camera cell. A tile with nobody, or
    a site not forwarded yet, leaves the cell as the consultation set it (an incident camera)."""
    lay = conference.get("layout") or {}
    split = int(lay.get("split") or 4)
    name = SPLIT_LAYOUT.get(split, BASE_LAYOUT)
    if name not in layouts:
        name = BASE_LAYOUT
    cells = {k: {"kind": "camera", "camera": v} for k, v in base_cells.items()} if name == BASE_LAYOUT else {}
    if conference.get("state") != "open":
        return BASE_LAYOUT, {k: {"kind": "camera", "camera": v} for k, v in base_cells.items()}
    forwarded = (conference.get("media") or {}).get("out") or {}
    slots = camera_slots(layouts[name]) if name in layouts else []
    for slot, pid in zip(slots, lay.get("tiles") or []):
        if pid and pid in forwarded:
            cells[str(slot)] = {"kind": "camera", "camera": forwarded[pid]}
    return name, cells


class WallFollower:
    """Keeps the consultation wall on the conference. Attributes: core, updates (wall changes made)."""

    def __init__(self, core):
        self.core = core
        self.updates = 0
        self._layouts: dict[str, Layout] = {}
        self._pending: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def _layout(self, name: str) -> Layout | None:
        if name not in self._layouts:
            try:
                self._layouts[name] = load_layout(self.core.layouts_dir / f"{name}.json")
            except (LayoutError, OSError) as exc:
                log.warning("wall following: layout %s not loaded: %s", name, exc)
                return None
        return self._layouts[name]

    async def start(self) -> None:
        self.core.subscribe(self._on_event)
        self._task = asyncio.create_task(self._run(), name="conference-wall-follow")

    async def close(self) -> None:
        self.core.unsubscribe(self._on_event)
        if self._task is not None:
            self._task.cancel()

    def _on_event(self, event: dict) -> None:
        data = event.get("data") or {}
        if event.get("entity") == "conferences" and data.get("consultation"):
            self._pending.add(event["key"])
            self._wake.set()
        elif event.get("entity") == "consultations" and (data.get("conference") or {}).get("room"):
            self._pending.add(data["conference"]["room"])  # the wall the consultation took is known now
            self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            pending, self._pending = self._pending, set()
            for room in sorted(pending):
                try:
                    await self.follow(room)
                except Exception:
                    log.exception("wall following %s failed", room)

    async def follow(self, room: str) -> bool:
        """Apply the plan for conference ``room`` to the wall; True when the wall changed."""
        conf = self.core.get("conferences", room)
        if conf is None or not conf.get("consultation"):
            return False
        consultation = self.core.get("consultations", conf["consultation"]) or {}
        took = consultation.get("wall") or {}
        wall = self.core.get("walls", WALL)
        if wall is None or not took.get("ok") or wall.get("layout") not in FOLLOWED:
            return False
        layouts = {n: lay for n in FOLLOWED if (lay := self._layout(n)) is not None}
        if BASE_LAYOUT not in layouts:
            return False
        name, cells = plan(conf, took.get("cells") or {}, layouts)
        if wall.get("layout") == name and (wall.get("cells") or {}) == cells:
            return False
        await self.core.update("walls", WALL, {"layout": name, "cells": cells, "updated_by": "conference",
                                              "updated": time.time(), "conference": room}, actor="conference")
        self.updates += 1
        return True
