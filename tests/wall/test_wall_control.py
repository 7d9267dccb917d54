"""Console wall control against a real backend: preview then take, undo/redo, drops, save as a new scene."""
from __future__ import annotations

from app.console_window import scene_title
from backend_client.layouts import load_layout
from tests.backend_client.qt_async import run

T = 60_000


def _console(qtbot, store, layouts_dir):
    from app.console_window import ConsoleWindow
    from app.wall_control import install_console

    window = ConsoleWindow(store, layouts_dir)
    qtbot.addWidget(window)
    control = install_console(window, store)
    return window, control


def test_preview_then_take_with_undo_redo(qtbot, online_store, wall_backend, layouts_dir):
    store = online_store("wall_operator")
    window, control = _console(qtbot, store, layouts_dir)
    assert store.wall("main").layout == "daily-duty"
    # the preview starts as a copy of the wall, the live miniature shows the wall
    assert control.draft.layout == "daily-duty" and control.live.layout_.name == "daily-duty"

    control.prepare_scene("cameras-4")
    # the undo button names the scene by its title, as the scene list does (it said "cameras-4")
    assert control.undo_action.text().endswith(scene_title(control.layout_named("cameras-4")))
    assert "cameras-4" not in control.undo_action.text()
    control.preview.camera_dropped.emit(2, "cam-09")  # what a drop from the camera list emits
    control.set_preview_cell(3, "cam-10")
    assert control.draft.cells == {2: "cam-09", 3: "cam-10"}
    assert control.preview.cells[2].camera == "cam-09" and control.preview.changed == {2, 3}
    # undo / redo through the window's actions (Ctrl+Z / Ctrl+Shift+Z)
    control.undo_action.trigger()
    assert control.draft.cells == {2: "cam-09"}
    control.undo_action.trigger()
    control.undo_action.trigger()
    assert control.draft.layout == "daily-duty"
    control.redo_action.trigger()
    control.redo_action.trigger()
    assert control.draft == type(control.draft)("cameras-4", {2: "cam-09"})
    # nothing reached the wall yet
    assert store.wall("main").layout == "daily-duty"

    with qtbot.waitSignal(store.wall_changed, timeout=T,
                          check_params_cb=lambda w: w.layout == "cameras-4"):
        control.take_action.trigger()  # F2 / Ctrl+Enter
    wall = store.wall("main")
    assert wall.cells == {"2": {"kind": "camera", "camera": "cam-09"}}
    assert control.live.cells[2].camera == "cam-09"
    takes = [r for r in wall_backend.audit_rows() if r["action"] == "wall.take"]
    assert takes[-1]["ok"] and takes[-1]["args"]["cells"] == {"2": "cam-09"}

    # a drop on the live miniature changes the wall at once
    with qtbot.waitSignal(store.wall_changed, timeout=T, check_params_cb=lambda w: "0" in w.cells):
        control.live.camera_dropped.emit(0, "cam-15")
    assert store.wall("main").cells["0"]["camera"] == "cam-15"

    # tours pause / resume through the hub
    with qtbot.waitSignal(store.wall_changed, timeout=T, check_params_cb=lambda w: w.tours_paused):
        control.pause_action.trigger()
    assert control.pause_action.isChecked()
    window.close()


def test_save_preview_as_a_new_scene_file(qtbot, online_store, layouts_dir):
    store = online_store("duty_officer")
    window, control = _console(qtbot, store, layouts_dir)
    control.prepare_scene("cameras-4")
    control.set_preview_cell(1, "cam-17")
    layout = control.save_preview_as("night-watch", "夜间值守")
    saved = load_layout(layouts_dir / "night-watch.json")
    assert saved.title == "夜间值守" and saved.cells[1].camera == "cam-17" and saved.cols == 2
    assert layout.name in [lay.name for lay in window.layouts]
    assert control.scene_box.findData("night-watch") >= 0
    # the name is taken now, and a bad name is refused with a clear message; nothing is overwritten
    import pytest

    from backend_client.layouts import LayoutError
    with pytest.raises(LayoutError, match="exists already"):
        control.save_preview_as("night-watch", "x")
    with pytest.raises(LayoutError, match="letters, digits"):
        control.save_preview_as("../evil", "x")
    # the hub can take the new scene
    result = run(qtbot, store.command("wall.take", {"layout": "night-watch"}))
    assert result["layout"] == "night-watch"
    window.close()


def test_ptz_without_a_selected_camera_sends_nothing(qtbot, online_store, layouts_dir):
    store = online_store("wall_operator")
    window, control = _console(qtbot, store, layouts_dir)
    sent = []
    store.command_requested.connect(lambda action, args: sent.append(action))
    assert control.ptz_move(1, 0) is None and sent == []
    # a camera cell clicked in the miniature selects the PTZ camera; the hub answers (no PTZ on demo cameras)
    control.live.cell_clicked.emit(4)
    assert control.ptz_camera == "cam-01"
    failures = []
    store.command_failed.connect(lambda action, message: failures.append((action, message)))
    task = control.ptz_move(1, 0, hold=False)
    qtbot.waitUntil(task.done, timeout=T)
    assert sent == ["ptz.move"] and failures and "no PTZ" in failures[0][1]
    window.close()


def test_the_miniatures_take_the_walls_shape_from_the_wall_window(qtbot, online_store, layouts_dir):
    """The wall window tells the hub its size (wall.screen) when it connects and when it is resized; the
    console's live and preview miniatures draw the wall in that shape. They drew every wall 16:9, so a
    3840 × 1080 wall's cells looked twice as tall as they are."""
    from app.wall_window import WallWindow

    wall_store, console_store = online_store("wall_operator"), online_store("duty_officer")
    window, control = _console(qtbot, console_store, layouts_dir)
    control.live.resize(640, 400)
    assert control.live.aspect == 16 / 9
    wall = WallWindow(wall_store, layouts_dir)
    qtbot.addWidget(wall)
    wall.resize(1600, 450)
    wall.show()
    qtbot.waitUntil(lambda: list(console_store.wall("main").screen) == [1600, 450], timeout=T)
    qtbot.waitUntil(lambda: control.live.aspect == 1600 / 450, timeout=T)
    assert control.preview.aspect == 1600 / 450
    area = control.live._area()
    assert abs(area.width() / area.height() - 1600 / 450) < 0.01
    assert area.top() == 20  # right under its caption: the space a wide wall leaves is below, not in two bands
    wall.resize(1200, 900)  # another output
    qtbot.waitUntil(lambda: list(console_store.wall("main").screen) == [1200, 900], timeout=T)
    qtbot.waitUntil(lambda: control.live.aspect == 1200 / 900, timeout=T)
    wall.close()
