"""Wall scenes (layouts) as versioned JSON files: load, validate with errors naming file and field, save safely.

A scene file (``layouts/<name>.json``)::

    {"schema": 1, "title": "日常值班", "title_en": "Daily duty", "order": 1,
     "grid": [4, 3],
     "cells": [{"pos": [0, 0], "span": [2, 2], "kind": "camera", "camera": "cam-01"},
               {"pos": [2, 0], "kind": "map"}, …]}

``kind`` is one of CELL_KINDS. A cell's camera points to a camera by its stable id; a camera that
is not known is shown as "no signal", never a crash. Empty grid positions stay empty (black).
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend_client.jsonfile import read_json

SCHEMA_VERSION = 1
CELL_KINDS = ("camera", "tour", "map", "alerts", "incidents", "kpi", "clock", "banner", "empty")
MAX_GRID = 16  # per side


class LayoutError(ValueError):
    """``LayoutError: layouts/x.json: cells[4].span: 3x1 at (5,0) overflows a 6-column grid``."""


@dataclass(frozen=True)
class Cell:
    col: int
    row: int
    kind: str
    colspan: int = 1
    rowspan: int = 1
    camera: str = ""  # kind == camera
    cameras: tuple[str, ...] = ()  # kind == tour
    dwell: float = 10.0  # kind == tour, seconds per item
    text: str = ""  # kind == banner
    title: str = ""  # optional caption
    alarm: bool = False  # part of the scene's alarm region (alarm linkage puts cameras here)


@dataclass(frozen=True)
class Layout:
    name: str  # the file stem, the stable id
    title: str
    cols: int
    rows: int
    cells: tuple[Cell, ...] = field(default_factory=tuple)
    title_en: str = ""
    order: int = 100
    path: str = ""
    linkage: dict | None = None  # {"colours": ["red", "orange"], "cameras": 2}; None: the defaults

    def alarm_cells(self) -> list[int]:
        """Indexes of the cells marked ``"alarm": true``, in file order."""
        return [i for i, c in enumerate(self.cells) if c.alarm]

    def to_json(self) -> dict[str, Any]:
        cells = []
        for c in self.cells:
            d: dict[str, Any] = {"pos": [c.col, c.row], "kind": c.kind}
            if (c.colspan, c.rowspan) != (1, 1):
                d["span"] = [c.colspan, c.rowspan]
            if c.kind == "camera":
                d["camera"] = c.camera
            if c.kind == "tour":
                d["cameras"] = list(c.cameras)
                d["dwell"] = c.dwell
            if c.text:
                d["text"] = c.text
            if c.title:
                d["title"] = c.title
            if c.alarm:
                d["alarm"] = True
            cells.append(d)
        out: dict[str, Any] = {"schema": SCHEMA_VERSION, "title": self.title}
        if self.title_en:
            out["title_en"] = self.title_en
        out["order"] = self.order
        out["grid"] = [self.cols, self.rows]
        out["cells"] = cells
        if self.linkage is not None:
            out["linkage"] = dict(self.linkage)
        return out


def _int_pair(value: Any, where: str, minimum: int) -> tuple[int, int]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise LayoutError(f"{where}: expected [int, int], got {json.dumps(value, ensure_ascii=False)[:60]}")
    if value[0] < minimum or value[1] < minimum:
        raise LayoutError(f"{where}: values must be >= {minimum}, got {value}")
    return value[0], value[1]


def parse_layout(data: Any, source: str, name: str) -> Layout:
    """Validate a decoded layout document; ``source`` names the file in every error."""
    if not isinstance(data, dict):
        raise LayoutError(f"{source}: expected a JSON object at the top level")
    schema = data.get("schema")
    if schema != SCHEMA_VERSION:
        raise LayoutError(f"{source}: schema: expected {SCHEMA_VERSION}, got {schema!r}")
    title = data.get("title", name)
    if not isinstance(title, str):
        raise LayoutError(f"{source}: title: expected a string")
    title_en = data.get("title_en", "")
    if not isinstance(title_en, str):
        raise LayoutError(f"{source}: title_en: expected a string")
    order = data.get("order", 100)
    if not isinstance(order, int) or isinstance(order, bool):
        raise LayoutError(f"{source}: order: expected an integer")
    cols, rows = _int_pair(data.get("grid"), f"{source}: grid", 1)
    if cols > MAX_GRID or rows > MAX_GRID:
        raise LayoutError(f"{source}: grid: {cols}x{rows} exceeds {MAX_GRID}x{MAX_GRID}")
    raw_cells = data.get("cells")
    if not isinstance(raw_cells, list):
        raise LayoutError(f"{source}: cells: expected a list")
    taken: dict[tuple[int, int], int] = {}
    cells = []
    for i, raw in enumerate(raw_cells):
        where = f"{source}: cells[{i}]"
        if not isinstance(raw, dict):
            raise LayoutError(f"{where}: expected an object")
        col, row = _int_pair(raw.get("pos"), f"{where}.pos", 0)
        w, h = _int_pair(raw.get("span", [1, 1]), f"{where}.span", 1)
        if col + w > cols:
            raise LayoutError(f"{where}.span: {w}x{h} at ({col},{row}) overflows a {cols}-column grid")
        if row + h > rows:
            raise LayoutError(f"{where}.span: {w}x{h} at ({col},{row}) overflows a {rows}-row grid")
        for dc in range(w):
            for dr in range(h):
                other = taken.get((col + dc, row + dr))
                if other is not None:
                    raise LayoutError(f"{where}.pos: ({col + dc},{row + dr}) is already taken by cells[{other}]")
                taken[(col + dc, row + dr)] = i
        kind = raw.get("kind")
        if kind not in CELL_KINDS:
            raise LayoutError(f"{where}.kind: expected one of {', '.join(CELL_KINDS)}, got {kind!r}")
        camera = raw.get("camera", "")
        if kind == "camera" and (not isinstance(camera, str) or not camera):
            raise LayoutError(f"{where}.camera: a camera cell needs a camera id")
        cameras = raw.get("cameras", [])
        if kind == "tour":
            if not isinstance(cameras, list) or not cameras or not all(isinstance(c, str) and c for c in cameras):
                raise LayoutError(f"{where}.cameras: a tour needs a non-empty list of camera ids")
        dwell = raw.get("dwell", 10.0)
        if not isinstance(dwell, (int, float)) or isinstance(dwell, bool) or not 1 <= dwell <= 3600:
            raise LayoutError(f"{where}.dwell: expected seconds between 1 and 3600, got {dwell!r}")
        text = raw.get("text", "")
        cell_title = raw.get("title", "")
        if not isinstance(text, str) or not isinstance(cell_title, str):
            raise LayoutError(f"{where}: text and title must be strings")
        alarm = raw.get("alarm", False)
        if not isinstance(alarm, bool):
            raise LayoutError(f"{where}.alarm: expected true or false, got {alarm!r}")
        if alarm and kind not in ("camera", "tour", "empty"):
            raise LayoutError(f"{where}.alarm: only camera, tour or empty cells can be alarm cells, not {kind!r}")
        cells.append(
            Cell(col, row, kind, w, h, camera if kind == "camera" else "",
                 tuple(cameras) if kind == "tour" else (), float(dwell), text, cell_title, alarm)
        )
    linkage = _linkage(data.get("linkage"), f"{source}: linkage")
    return Layout(name, title, cols, rows, tuple(cells), title_en, order, source, linkage)


LINKAGE_COLOURS = ("red", "orange", "yellow", "blue")


def _linkage(value: Any, where: str) -> dict | None:
    """``{"colours": [...], "cameras": n}`` (both optional) or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise LayoutError(f"{where}: expected an object like {{\"colours\": [\"red\", \"orange\"], \"cameras\": 2}}")
    unknown = sorted(set(value) - {"colours", "cameras"})
    if unknown:
        raise LayoutError(f"{where}.{unknown[0]}: unknown field (use colours, cameras)")
    out: dict[str, Any] = {}
    if "colours" in value:
        colours = value["colours"]
        if not isinstance(colours, list) or not all(c in LINKAGE_COLOURS for c in colours):
            raise LayoutError(f"{where}.colours: expected a list of {', '.join(LINKAGE_COLOURS)}, got "
                              f"{json.dumps(colours, ensure_ascii=False)[:60]}")
        out["colours"] = list(colours)
    if "cameras" in value:
        n = value["cameras"]
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_GRID * MAX_GRID:
            raise LayoutError(f"{where}.cameras: expected an integer between 0 and {MAX_GRID * MAX_GRID}, got {n!r}")
        out["cameras"] = n
    return out


def load_layout(path: str | os.PathLike) -> Layout:
    path = Path(path)
    source = str(path)
    data = read_json(path, LayoutError)
    return parse_layout(data, source, path.stem)


def load_layouts(directory: str | os.PathLike) -> tuple[list[Layout], list[LayoutError]]:
    """All valid layouts of a folder, sorted by (order, name), and the errors of the others."""
    layouts, errors = [], []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            layouts.append(load_layout(path))
        except LayoutError as exc:
            errors.append(exc)
    layouts.sort(key=lambda lay: (lay.order, lay.name))
    return layouts, errors


def save_layout(layout: Layout, directory: str | os.PathLike) -> Path:
    """Write atomically: temp file, keep the old one as .bak, then rename."""
    directory = Path(directory)
    target = directory / f"{layout.name}.json"
    text = json.dumps(layout.to_json(), ensure_ascii=False, indent=2) + "\n"
    parse_layout(json.loads(text), str(target), layout.name)  # never write what we could not read back
    fd, tmp = tempfile.mkstemp(prefix=f".{layout.name}.", suffix=".tmp", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    if target.exists():
        os.replace(target, target.with_suffix(".json.bak"))
    os.replace(tmp, target)
    return target
