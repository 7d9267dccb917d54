"""Kiosk: on a display with two screens (Xvfb with two X screens, which Qt sees as two QScreens) the wall
opens one full-screen window per chosen screen."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def two_screen_display():
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    for n in range(140, 180):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x720x24", "-screen", "1", "1024x600x24",
                             "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not Path(f"/tmp/.X11-unix/X{n}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.skip("Xvfb did not start")
        time.sleep(0.05)
    try:
        yield f":{n}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.xvfb
def test_each_screen_gets_its_wall_window(two_screen_display):
    env = dict(os.environ, DISPLAY=two_screen_display, QT_QPA_PLATFORM="xcb")
    out = subprocess.run([sys.executable, str(HERE / "wall_screens_child.py"), "0,1"], env=env,
                         capture_output=True, text=True, timeout=120)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line, out.stderr[-3000:]
    result = json.loads(line[len("RESULT "):])
    assert result["screens"] == 2
    windows = result["windows"]
    assert [w["handle_screen"] for w in windows] == [0, 1]
    for w in windows:
        assert w["visible"] and w["fullscreen"] and w["scene"] == "daily-duty"
        assert w["window_rect"] == w["screen_rect"], w
    assert windows[0]["screen_rect"][2:] == [1280, 720] and windows[1]["screen_rect"][2:] == [1024, 600]


@pytest.mark.xvfb
def test_a_screen_that_does_not_exist_is_a_clear_error(two_screen_display):
    env = dict(os.environ, DISPLAY=two_screen_display, QT_QPA_PLATFORM="xcb")
    out = subprocess.run([sys.executable, str(HERE / "wall_screens_child.py"), "0,2"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "there is no screen 2" in out.stderr
