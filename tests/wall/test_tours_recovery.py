"""Tour timing on a fake clock (TourClock and the wall grid's tours), pause/resume, and wall scene recovery."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from backend_client.layouts import parse_layout
from backend_client.tour_clock import TourClock


def test_tour_clock_dwell_pause_resume():
    clock = TourClock(items=3, dwell=10.0, start=100.0)
    assert [clock.index(t) for t in (100, 109.9, 110, 125, 130, 131)] == [0, 0, 1, 2, 0, 0]
    assert clock.until_next(104.0) == pytest.approx(6.0)
    clock.pause(112.0)  # on item 1, 2 s into it
    assert clock.index(500.0) == 1 and clock.until_next(500.0) is None
    clock.resume(500.0)  # 388 s of pause do not count
    assert clock.index(507.9) == 1 and clock.index(508.0) == 2
    assert clock.until_next(500.0) == pytest.approx(8.0)
    with pytest.raises(ValueError):
        TourClock(items=0, dwell=5, start=0)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_wall_grid_tour_follows_the_fake_clock_and_pauses(qtbot):
    from widgets.wall_grid import WallGrid

    grid = WallGrid(lambda cid, sub: "", lambda cid: cid)
    qtbot.addWidget(grid)
    clock = FakeClock()
    grid.clock = clock
    layout = parse_layout({"schema": 1, "grid": [1, 1], "cells": [
        {"pos": [0, 0], "kind": "tour", "cameras": ["cam-03", "cam-04", "cam-05"], "dwell": 15}]}, "t.json", "t")
    grid.set_layout(layout)
    tile = next(iter(grid.tiles().values()))
    tour = next(iter(grid._tours.values()))
    assert tile.camera_id == "cam-03"
    assert 14_000 <= tour.timer.remainingTime() <= 15_001  # woken at the next change, not polled
    clock.now += 15
    tour.advance()  # what the timer does when it fires
    assert tile.camera_id == "cam-04"
    clock.now += 5
    grid.set_tours_paused(True)
    assert not tour.timer.isActive()
    clock.now += 600
    tour.advance()
    assert tile.camera_id == "cam-04"  # held while paused
    grid.set_tours_paused(False)
    assert tile.camera_id == "cam-04" and 9_000 <= tour.timer.remainingTime() <= 10_001
    clock.now += 10
    tour.advance()
    assert tile.camera_id == "cam-05"
    grid.shutdown()


def test_wall_comes_back_in_its_last_scene_before_the_hub_answers(qtbot, tmp_path):
    from app.wall_window import WallWindow
    from backend_client.store import ClientStore
    from tests.app.conftest import Feed, demo_state

    settings = QSettings(str(tmp_path / "wall.ini"), QSettings.Format.IniFormat)
    store = ClientStore()
    feed = Feed(store)
    feed.auth(role="wall_operator")
    state = demo_state()
    state["walls"] = [{"id": "main", "layout": "emergency-command", "cells": {"5": {"kind": "camera", "camera": "cam-07"}}}]
    feed.snapshot(**state)
    wall = WallWindow(store, "layouts", settings=settings)
    qtbot.addWidget(wall)
    assert wall.grid.layout_name == "emergency-command"
    wall.close()
    settings.sync()

    # restart: a new process, the hub not reachable yet (no snapshot in the store)
    again = WallWindow(ClientStore(), "layouts", settings=QSettings(str(tmp_path / "wall.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    assert again.grid.layout_name == "emergency-command"
    assert again.grid.cells()[5][0].camera == "cam-07"
    again.close()
    # without anything remembered the first scene is shown
    fresh = WallWindow(ClientStore(), "layouts", settings=QSettings(str(tmp_path / "none.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(fresh)
    assert fresh.grid.layout_name == "daily-duty"
    fresh.close()


def test_alarm_cells_are_framed_in_the_alert_colour(qtbot):
    from app.wall_window import WallWindow
    from backend_client.store import ClientStore
    from tests.app.conftest import Feed, demo_state

    store = ClientStore()
    feed = Feed(store)
    feed.auth(role="wall_operator")
    state = demo_state()
    state["walls"] = [{"id": "main", "layout": "daily-duty",
                       "cells": {"4": {"kind": "camera", "camera": "cam-14", "alarm": "red", "alert": "A"}}}]
    feed.snapshot(**state)
    wall = WallWindow(store, "layouts")
    qtbot.addWidget(wall)
    assert wall.grid.alarm_frames() == {"cam-14": "red"}
    feed.event("walls", {"id": "main", "layout": "daily-duty", "cells": {}})
    assert wall.grid.alarm_frames() == {}
    wall.close()
