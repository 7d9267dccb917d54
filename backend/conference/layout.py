"""The one layout every screen of a conference shows: pure functions over the conference record, no I/O.

A layout: {"split": 1|4|9|16, "mode": "fixed"|"rotating"|"speaker", "fixed": [participant ids],
"every": seconds between pages (rotating), "page": n, "tiles": [participant id or ""] * split}.
Roll-call (轮巡), while active, puts the site being called in the first tile whatever the mode.
"""
from __future__ import annotations

from typing import Any

SPLITS = (1, 4, 9, 16)
MODES = ("fixed", "rotating", "speaker")
MIN_EVERY, MAX_EVERY = 2.0, 3600.0
MIN_DWELL, MAX_DWELL = 1.0, 3600.0


class LayoutError(ValueError):
    """A layout request that cannot be shown; the message names the field."""


def default_layout() -> dict:
    return {"split": 4, "mode": "speaker", "fixed": [], "every": 10.0, "page": 0, "tiles": [""] * 4}


def validate(args: dict, current: dict) -> dict:
    """A new layout from a ``conference.layout`` request over ``current``; LayoutError names the bad field."""
    out = {**default_layout(), **current}
    split = args.get("split", out["split"])
    if split not in SPLITS or isinstance(split, bool):
        raise LayoutError(f"split: expected one of {', '.join(map(str, SPLITS))}, got {split!r}")
    mode = args.get("mode", out["mode"])
    if mode not in MODES:
        raise LayoutError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
    fixed = args.get("fixed", out["fixed"] if mode == "fixed" else [])
    if not isinstance(fixed, list) or not all(isinstance(p, str) for p in fixed):
        raise LayoutError("fixed: expected a list of participant ids")
    if len(fixed) > split:
        raise LayoutError(f"fixed: {len(fixed)} sites do not fit a {split}-split layout")
    every = args.get("every", out["every"])
    if not isinstance(every, (int, float)) or isinstance(every, bool) or not MIN_EVERY <= every <= MAX_EVERY:
        raise LayoutError(f"every: expected {MIN_EVERY:g}–{MAX_EVERY:g} seconds, got {every!r}")
    return {"split": split, "mode": mode, "fixed": list(fixed), "every": float(every), "page": 0, "tiles": []}


def pages(order: list[str], split: int) -> int:
    return max(1, -(-len(order) // split))


def tiles(record: dict[str, Any]) -> list[str]:
    """What each tile of the conference's layout shows now ("" for an empty tile)."""
    layout = record.get("layout") or default_layout()
    split = int(layout["split"])
    present = [p for p in record.get("order", []) if p in (record.get("participants") or {})]
    mode = layout["mode"]
    if mode == "fixed":
        shown = [p if p in present else "" for p in layout.get("fixed", [])]
    elif mode == "rotating":
        page = int(layout.get("page", 0)) % pages(present, split)
        shown = present[page * split:(page + 1) * split]
    else:
        speaker = record.get("speaker") or ""
        shown = ([speaker] if speaker in present else []) + [p for p in present if p != speaker]
    call = record.get("rollcall") or {}
    current = call.get("current") or ""
    if call.get("active") and current in present:
        shown = [current] + [p for p in shown if p != current]
    shown = shown[:split]
    return shown + [""] * (split - len(shown))


def next_rollcall(call: dict, present: list[str]) -> dict:
    """The roll-call moved on to the next site still present (wrapping round)."""
    order = [p for p in call.get("order", []) if p in present] or list(present)
    if not order:
        return {**call, "current": "", "index": 0}
    index = (int(call.get("index", -1)) + 1) % len(order)
    return {**call, "order": order, "index": index, "current": order[index], "steps": int(call.get("steps", 0)) + 1}
