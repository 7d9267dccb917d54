"""The wall scene files in layouts/, and the layout loader's errors, safe save and robustness."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.demo.cameras import CAMERA_IDS
from backend_client.layouts import (
    CELL_KINDS, Cell, Layout, LayoutError, load_layout, load_layouts, parse_layout, save_layout,
)

LAYOUTS_DIR = Path(__file__).resolve().parent.parent / "layouts"
SCENES = {  # name: (title, order)
    "daily-duty": ("日常值班", 1),
    "city-safety": ("城市安全", 2),
    "emergency-command": ("应急指挥", 3),
    "city-management": ("城市管理", 4),
    "environment": ("环境治理", 5),
    "traffic": ("交通治堵", 6),
    "cameras-16": ("16 路监控", 7),
    "cameras-4": ("4 路监控", 8),
    "consultation": ("坐席会商", 9),
}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("path", sorted(LAYOUTS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_every_scene_file_loads(path: Path):
    layout = load_layout(path)
    assert layout.name == path.stem
    assert layout.title_en, f"{path.name}: needs a title_en"
    assert CJK.search(layout.title), f"{path.name}: the title is for Chinese-speaking operators"
    for i, cell in enumerate(layout.cells):
        for cam in (cell.camera, *cell.cameras):
            assert not cam or cam in CAMERA_IDS, f"{path.name}: cells[{i}] names unknown camera {cam}"
        if cell.kind == "banner":
            assert CJK.search(cell.text), f"{path.name}: cells[{i}] banner text should be Chinese"


def test_the_scene_set():
    layouts, errors = load_layouts(LAYOUTS_DIR)
    assert errors == []
    assert {lay.name: (lay.title, lay.order) for lay in layouts} == SCENES
    assert [lay.name for lay in layouts] == list(SCENES)  # sorted by order, as the wall's number keys expect
    by_name = {lay.name: lay for lay in layouts}
    duty = by_name["daily-duty"]
    assert (duty.cols, duty.rows) == (4, 3)
    assert any(c.kind == "map" and (c.colspan, c.rowspan) == (2, 2) for c in duty.cells)
    assert {"alerts", "clock", "kpi", "camera"} <= {c.kind for c in duty.cells}
    for name, side in (("cameras-16", 4), ("cameras-4", 2)):
        lay = by_name[name]
        assert (lay.cols, lay.rows) == (side, side)
        assert [c.kind for c in lay.cells] == ["camera"] * side * side
        assert len({c.camera for c in lay.cells}) == side * side
        assert {(c.col, c.row) for c in lay.cells} == {(x, y) for x in range(side) for y in range(side)}


def _doc(cells, grid=(2, 2), **top) -> dict:
    return {"schema": 1, "title": "测试", "grid": list(grid), "cells": cells, **top}


BAD_DOCUMENTS = {
    "overflow": (_doc([{"pos": [1, 0], "span": [2, 1], "kind": "map"}]),
                 "{f}: cells[0].span: 2x1 at (1,0) overflows a 2-column grid"),
    "overflow-rows": (_doc([{"pos": [0, 0], "kind": "clock"}, {"pos": [0, 1], "span": [1, 2], "kind": "map"}]),
                      "{f}: cells[1].span: 1x2 at (0,1) overflows a 2-row grid"),
    "overlap": (_doc([{"pos": [0, 0], "span": [2, 2], "kind": "map"}, {"pos": [1, 1], "kind": "clock"}]),
                "{f}: cells[1].pos: (1,1) is already taken by cells[0]"),
    "bad-kind": (_doc([{"pos": [0, 0], "kind": "video"}]),
                 "{f}: cells[0].kind: expected one of " + ", ".join(CELL_KINDS) + ", got 'video'"),
    "missing-camera": (_doc([{"pos": [0, 0], "kind": "clock"}, {"pos": [1, 0], "kind": "camera"}]),
                       "{f}: cells[1].camera: a camera cell needs a camera id"),
    "empty-tour": (_doc([{"pos": [0, 0], "kind": "tour", "cameras": []}]),
                   "{f}: cells[0].cameras: a tour needs a non-empty list of camera ids"),
    "wrong-schema": ({**_doc([]), "schema": 2}, "{f}: schema: expected 1, got 2"),
    "no-schema": ({"grid": [1, 1], "cells": []}, "{f}: schema: expected 1, got None"),
    "bad-grid": (_doc([], grid=(4,)), "{f}: grid: expected [int, int], got [4]"),
    "top-level-list": ([1, 2], "{f}: expected a JSON object at the top level"),
}


@pytest.mark.parametrize("case", sorted(BAD_DOCUMENTS))
def test_bad_document_error_names_file_and_field(tmp_path: Path, case: str):
    doc, expected = BAD_DOCUMENTS[case]
    path = tmp_path / f"{case}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    assert str(info.value) == expected.format(f=path)


def test_not_json_names_the_file(tmp_path: Path):
    path = tmp_path / "broken.json"
    path.write_text('{"schema": 1, "grid": [2, 2],', encoding="utf-8")
    with pytest.raises(LayoutError, match=r"^" + re.escape(f"{path}: not valid JSON: ")):
        load_layout(path)


def test_not_utf8_names_the_file(tmp_path: Path):
    path = tmp_path / "gbk.json"
    path.write_bytes(json.dumps(_doc([]), ensure_ascii=False).replace("测试", "日常值班").encode("gbk"))
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    assert str(info.value) == f"{path}: not UTF-8 text"


def test_a_bad_file_does_not_hide_the_good_ones(tmp_path: Path):
    (tmp_path / "good.json").write_text(json.dumps(_doc([{"pos": [0, 0], "kind": "map"}])), encoding="utf-8")
    (tmp_path / "bad.json").write_text(json.dumps(_doc([{"pos": [5, 0], "kind": "map"}])), encoding="utf-8")
    layouts, errors = load_layouts(tmp_path)
    assert [lay.name for lay in layouts] == ["good"]
    assert [str(e) for e in errors] == [f"{tmp_path / 'bad.json'}: cells[0].span: 1x1 at (5,0) overflows a 2-column grid"]


def test_save_round_trip_keeps_a_backup(tmp_path: Path):
    original_text = (LAYOUTS_DIR / "daily-duty.json").read_text(encoding="utf-8")
    (tmp_path / "daily-duty.json").write_text(original_text, encoding="utf-8")
    layout = load_layout(tmp_path / "daily-duty.json")
    changed = Layout(layout.name, "日常值班（夜间）", layout.cols, layout.rows,
                     layout.cells[:-1] + (Cell(3, 2, "camera", camera="cam-20", title="芝英"),),
                     layout.title_en, layout.order)
    target = save_layout(changed, tmp_path)
    assert target == tmp_path / "daily-duty.json"
    assert (tmp_path / "daily-duty.json.bak").read_text(encoding="utf-8") == original_text
    again = load_layout(target)
    assert (again.title, again.cols, again.rows, again.cells, again.title_en, again.order) == \
        (changed.title, changed.cols, changed.rows, changed.cells, changed.title_en, changed.order)
    assert "日常值班（夜间）" in target.read_text(encoding="utf-8")  # readable Chinese, not \u escapes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["daily-duty.json", "daily-duty.json.bak"]  # no temp left


def test_save_refuses_an_invalid_layout_and_keeps_the_file(tmp_path: Path):
    original_text = (LAYOUTS_DIR / "cameras-4.json").read_text(encoding="utf-8")
    (tmp_path / "cameras-4.json").write_text(original_text, encoding="utf-8")
    layout = load_layout(tmp_path / "cameras-4.json")
    broken = Layout(layout.name, layout.title, 2, 2, layout.cells + (Cell(1, 1, "clock"),))
    with pytest.raises(LayoutError, match=r"cells\[4\]\.pos: \(1,1\) is already taken by cells\[3\]"):
        save_layout(broken, tmp_path)
    assert (tmp_path / "cameras-4.json").read_text(encoding="utf-8") == original_text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cameras-4.json"]


# -- robustness: whatever JSON arrives, the only exception is LayoutError ---------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
small_ints = st.integers(min_value=-1, max_value=5) | st.integers()
pairs = st.lists(small_ints, min_size=2, max_size=2) | st.lists(small_ints, max_size=3) | json_values
maybe = lambda good: good | good | json_values  # mostly well-typed, sometimes anything
cells = st.fixed_dictionaries(
    {"pos": st.lists(st.integers(0, 5), min_size=2, max_size=2) | pairs,
     "kind": st.sampled_from(CELL_KINDS + ("video",)) | json_values},
    optional={"span": st.lists(st.integers(1, 3), min_size=2, max_size=2) | pairs,
              "camera": maybe(st.sampled_from(["cam-01", "", "cam-02"])),
              "cameras": maybe(st.lists(st.sampled_from(["cam-01", "", "cam-02"]), max_size=3)),
              "dwell": maybe(st.floats() | st.integers(-5, 5000)),
              "text": maybe(st.text(max_size=8)), "title": maybe(st.text(max_size=8))},
)
top_valid = {"schema": st.just(1), "grid": st.lists(st.integers(1, 6), min_size=2, max_size=2),
             "cells": st.lists(cells, max_size=8)}
top_noisy = {"schema": maybe(st.just(1)), "grid": maybe(pairs), "cells": maybe(st.lists(cells | json_values, max_size=6))}
optional_top = {"title": maybe(st.text(max_size=8)), "title_en": maybe(st.text(max_size=8)),
                "order": maybe(st.integers())}
documents = st.one_of(
    st.fixed_dictionaries(top_valid, optional=optional_top),
    st.fixed_dictionaries(top_valid, optional=optional_top),
    st.fixed_dictionaries(top_noisy, optional=optional_top),
    json_values,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_parse_layout_only_ever_raises_layout_error(doc):
    try:
        layout = parse_layout(doc, "layouts/fuzz.json", "fuzz")
    except LayoutError as exc:
        assert str(exc).startswith("layouts/fuzz.json")
    else:  # what it accepts it can also write back and read again unchanged
        assert parse_layout(json.loads(json.dumps(layout.to_json())), "x", "fuzz").cells == layout.cells
