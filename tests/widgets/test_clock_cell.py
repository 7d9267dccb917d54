"""The wall clock shows the system's current second while shown, and keeps no timer running while hidden."""
from __future__ import annotations

import time

from widgets.simple_cells import ClockCell


def test_clock_turns_with_the_system_second_while_shown_and_stops_when_hidden(qtbot):
    clock = ClockCell(title="永康")
    qtbot.addWidget(clock)
    assert not clock._timer.isActive()  # created, not shown: no timer
    clock.resize(400, 200)
    clock.show()
    qtbot.waitExposed(clock)
    assert clock._timer.isActive()
    first = clock.primary
    qtbot.waitUntil(lambda: clock.primary != first, timeout=3000)  # it turned
    for _ in range(3):  # after each turn it reads the second it is in (set just after the second began)
        shown = clock.primary
        qtbot.waitUntil(lambda: clock.primary != shown, timeout=3000)
        # time.time(), as the clock reads it: time.strftime() alone reads the kernel's coarse clock, which lags
        # by up to a tick, so just after a second began it can still give the one before (failed once, loaded)
        now = time.time()
        assert clock.primary in (time.strftime("%H:%M:%S", time.localtime(now)),
                                 time.strftime("%H:%M:%S", time.localtime(now - 1)))
    assert clock.secondary.startswith(time.strftime("%Y-%m-%d")) and clock.secondary.endswith("永康")
    clock.hide()
    assert not clock._timer.isActive()
    stopped = clock.primary
    qtbot.wait(1300)
    assert clock.primary == stopped  # nothing turns while hidden
    clock.show()
    assert clock._timer.isActive() and clock.primary == time.strftime("%H:%M:%S")  # current at once when shown
