"""Wall test fixtures: the qloop recipe, a real backend with the demo cameras (positions) in a temp layouts copy."""
from __future__ import annotations

import json
import shutil

import pytest

from backend.demo.cameras import demo_cameras
from tests.backend_client.qt_async import qloop, run  # noqa: F401  (fixture)
from tests.helpers.backend_proc import ROOT, start_backend


@pytest.fixture
def layouts_dir(tmp_path):
    target = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", target)
    return target


@pytest.fixture
def wall_backend(tmp_path, layouts_dir):
    (tmp_path / "cameras.json").write_text(json.dumps(demo_cameras("rtsp://127.0.0.1:9")), "utf-8")
    backend = start_backend(tmp_path, cameras=tmp_path / "cameras.json", extra_args=["--layouts", str(layouts_dir)])
    try:
        yield backend
    finally:
        backend.stop()


@pytest.fixture
def online_store(qtbot, qloop, wall_backend):  # noqa: F811
    """make(role) -> a ClientStore online on the wall backend (stopped at teardown)."""
    from backend_client.store import ClientStore

    made = []

    def make(role: str = "wall_operator") -> ClientStore:
        store = ClientStore()
        made.append(store)
        with qtbot.waitSignal(store.reset, timeout=60_000):
            store.start(wall_backend.url, wall_backend.token(role), "pytest")
        return store

    yield make
    for store in made:
        run(qtbot, store.stop())
