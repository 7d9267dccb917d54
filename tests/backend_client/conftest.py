"""Fixtures for the hub client and client store tests — and the recipe for testing Qt code on the hub.

How to drive a ClientStore (or any asyncio code) in a pytest-qt test, reliably:

* Write the test as a plain ``def`` (not ``async def``) and request ``qloop``: a ``qasync.QEventLoop``
  on pytest-qt's QApplication, created with ``already_running=True`` and set as the current loop.
  asyncio then counts it as running, so ``store.start(url, token)`` schedules the HubClient on it, and
  every Qt wait pytest-qt does — ``qtbot.waitSignal``, ``qtbot.waitUntil``, ``qtbot.wait`` — also runs
  asyncio callbacks and socket I/O. Wait on signals and conditions, never on fixed sleeps.
* Run a coroutine to its end with ``run(qtbot, coro, timeout)`` (ensure_future + waitUntil(done)),
  e.g. ``run(qtbot, store.command("alert.ack", {"id": a}))`` or ``run(qtbot, store.stop())``.
* Do NOT call ``loop.run_until_complete`` (the loop already counts as running), do not mix ``qloop``
  with ``async def`` tests (pytest-asyncio would run a second loop), and do not start a nested Qt loop
  from inside a coroutine (``qtbot.waitSignal`` inside a task: asyncio refuses to re-enter a task).
* Without a network, feed state directly: ``store.apply_message({"type": "snapshot", ...})`` — no loop
  needed (see data/frames.jsonl for real frames recorded from the hub).
* Pure asyncio code (HubClient alone) is tested with ``async def`` tests on pytest-asyncio's own loop.

Fixtures: ``qloop`` (above), ``backend`` (real backend process, no demo, no relay), ``demo_backend``
(same with the demo city producing a steady stream of events), ``frames`` (recorded hub frames).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.backend_client.qt_async import qloop  # noqa: F401  (fixture)
from tests.helpers.backend_proc import start_backend

FRAMES = Path(__file__).parent / "data" / "frames.jsonl"


@pytest.fixture
def backend(tmp_path):
    proc = start_backend(tmp_path)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def demo_backend(tmp_path):
    proc = start_backend(tmp_path, demo=True)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def recorded_frames() -> list[dict]:
    return [json.loads(line) for line in FRAMES.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture
def frames(recorded_frames) -> list[dict]:
    """A fresh deep copy of the recorded frames (auth_ok, snapshot, events, results) per test."""
    return json.loads(json.dumps(recorded_frames))
