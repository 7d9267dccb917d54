"""The pushed layout and the roll-call as plain functions over the conference record (no Janus needed)."""
from __future__ import annotations

import pytest

from backend.conference import layout
from widgets.conference_view import rows, tile_names


def _rec(**kw):
    parts = {p: {"name": p.upper(), "audio_muted": p == "b"} for p in "abcde"}
    return {"participants": parts, "order": list("abcde"), "speaker": "", "hands": [],
            "rollcall": {"active": False}, "layout": layout.default_layout(), **kw}


def test_speaker_following_puts_the_speaker_first():
    rec = _rec(speaker="d")
    assert layout.tiles(rec) == ["d", "a", "b", "c"]
    rec["layout"] = {**rec["layout"], "split": 9}
    assert layout.tiles(rec) == ["d", "a", "b", "c", "e", "", "", "", ""]


def test_fixed_keeps_its_places_and_blanks_a_site_that_left():
    rec = _rec(layout=layout.validate({"split": 4, "mode": "fixed", "fixed": ["c", "zz", "a"]}, {}))
    assert layout.tiles(rec) == ["c", "", "a", ""]


def test_rotating_pages_through_the_sites():
    rec = _rec(layout={**layout.validate({"split": 4, "mode": "rotating", "every": 5}, {}), "page": 1})
    assert layout.tiles(rec) == ["e", "", "", ""]
    rec["layout"]["page"] = 2  # wraps round
    assert layout.tiles(rec) == ["a", "b", "c", "d"]
    assert layout.pages(list("abcde"), 4) == 2


def test_rollcall_takes_the_first_tile_and_wraps_round_over_present_sites():
    call = layout.next_rollcall({"active": True, "dwell": 5, "order": [], "index": -1}, list("abc"))
    seen = []
    for _ in range(4):
        seen.append(call["current"])
        call = layout.next_rollcall(call, list("abc"))
    assert seen == ["a", "b", "c", "a"]
    rec = _rec(rollcall={"active": True, "current": "c"}, speaker="d")
    assert layout.tiles(rec)[:2] == ["c", "d"]
    assert layout.next_rollcall({"order": ["x"], "index": 0}, [])["current"] == ""


@pytest.mark.parametrize("args, field", [({"split": 5}, "split"), ({"split": True}, "split"),
                                         ({"mode": "mosaic"}, "mode"), ({"every": 0.1}, "every"),
                                         ({"split": 1, "mode": "fixed", "fixed": ["a", "b"]}, "fixed"),
                                         ({"fixed": "a"}, "fixed")])
def test_bad_layouts_name_the_field(args, field):
    with pytest.raises(layout.LayoutError, match=f"^{field}:"):
        layout.validate(args, {})


def test_view_rows_and_tile_names():
    rec = _rec(hands=["e", "c"], speaker="a", layout={**layout.default_layout(), "tiles": ["a", "b", "", ""]})
    by_id = {r.id: r for r in rows(rec)}
    assert by_id["e"].hand == 1 and by_id["c"].hand == 2 and by_id["a"].speaker and by_id["b"].audio_muted
    assert by_id["b"].tile == 2 and by_id["d"].tile == 0
    assert tile_names(rec) == ["A", "B", "", ""]
    assert rows(None) == [] and tile_names(None) == []


def test_the_conference_title_is_larger_under_the_apps_pixel_sized_font(qtbot):
    """The app's font is set in pixels (app/theme.py), so its point size is -1: the title was given a point
    size of -1.25 (a Qt warning, and the title no larger than the rest)."""
    from PySide6.QtWidgets import QApplication

    from app.theme import ui_font
    from widgets.conference_view import ConferenceView

    before = QApplication.font()
    QApplication.setFont(ui_font(16))  # as app/main.py does
    try:
        view = ConferenceView()
        qtbot.addWidget(view)
        assert view.title.font().pixelSize() == 20 and view.title.font().bold()
    finally:
        QApplication.setFont(before)
