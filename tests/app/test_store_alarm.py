"""The store-fault banner on the console: shown on a status frame, gone when the store recovers."""
from pathlib import Path

import pytest

from app.console_window import ConsoleWindow
from app.store_alarm import install_console
from backend_client import protocol
from tests.app.conftest import demo_state
from tests.helpers.shots import shot_path

LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"


@pytest.fixture
def console(qtbot, store, feed):
    feed.auth()
    feed.snapshot(**demo_state(alerts=12, seed=3))
    window = ConsoleWindow(store, LAYOUTS)
    qtbot.addWidget(window)
    window.resize(1600, 900)
    window.show()
    yield window
    window.close()


def test_banner_follows_the_hubs_status_frames(qtbot, console, store, feed):
    bar = console.store_alarm if hasattr(console, "store_alarm") else install_console(console, store)
    assert not bar.isVisible()
    store.apply_message(protocol.status_frame({"state": "fault", "reason": "disk_full", "detail": "x",
                                               "since": 1_764_000_000.0}))
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    assert "disk is full" in bar.label.text() and "refused" in bar.label.text()
    qtbot.wait(200)
    console.grab().save(str(shot_path("store-alarm.png")))
    store.apply_message(protocol.status_frame({"state": "ok", "since": 1_764_000_060.0}))
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=2000)
    # a fault, then a new session (auth_ok) without one: the banner goes (the hub re-sends a lasting fault)
    store.apply_message(protocol.status_frame({"state": "fault", "reason": "read_only"}))
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    assert "read-only" in bar.label.text()
    feed.auth()
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=2000)
