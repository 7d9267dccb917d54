"""Run asyncio code (the HubClient inside a ClientStore) under pytest-qt: a qasync loop that counts as running.

Import the fixture into your own conftest to reuse it: ``from tests.backend_client.qt_async import qloop``.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable

import pytest
import qasync


@pytest.fixture
def qloop(qapp):
    """A qasync.QEventLoop on pytest-qt's QApplication, marked as the running asyncio loop for the test.

    ``already_running=True`` tells asyncio the loop runs while Qt spins its event loop, so every wait
    pytest-qt does (qtbot.waitSignal / waitUntil / wait) also runs asyncio callbacks and socket I/O.
    At teardown every task still pending on it is cancelled and allowed to finish, then it is closed.
    """
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        _drain(qapp, loop)
        asyncio.events._set_running_loop(None)
        # Not loop.stop(): it calls QApplication.exit(), which sets Qt's quitNow flag for good, and then
        # every later QEventLoop.exec() (all of pytest-qt's waits) returns at once without processing.
        loop._QEventLoop__is_running = False
        try:
            qapp.aboutToQuit.disconnect(loop._after_run_forever)
        except (RuntimeError, TypeError):
            pass
        loop.close()
        asyncio.set_event_loop(None)


def _drain(qapp, loop, timeout: float = 10.0) -> None:
    import time

    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    deadline = time.monotonic() + timeout
    while any(not t.done() for t in tasks) and time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.005)
    stuck = [t for t in tasks if not t.done()]
    if stuck:
        import warnings

        warnings.warn(f"qloop teardown: {len(stuck)} task(s) did not finish after cancel: {stuck!r:.300}")


def run(qtbot, aw: Awaitable[Any], timeout: float = 30.0) -> Any:
    """Run a coroutine on the qloop from a (sync) test and return its result or raise its exception."""
    fut = asyncio.ensure_future(aw)
    qtbot.waitUntil(fut.done, timeout=int(timeout * 1000))
    return fut.result()
