"""Backend restarts (clients come back, the relay is kept and adopted) and clock jumps (seq decides order)."""
import asyncio
import os
import time

from backend import store
from backend.core import Change, Core
from backend.relay.control import read_state
from backend_client.client import ONLINE, HubClient
from tests.helpers.backend_proc import start_backend


async def test_clients_come_back_after_a_restart_and_the_reconnect_time_is_reported(backend):
    token = backend.token("duty_officer")
    online_at: list[float] = []
    client = HubClient(backend.url, token, "restart-test",
                       on_state=lambda s: online_at.append(time.monotonic()) if s == ONLINE else None)
    client.start()
    try:
        await client.wait_online(30)
        times = []
        for _ in range(3):
            before = len(online_at)
            killed = time.monotonic()
            await asyncio.to_thread(backend.kill)
            await asyncio.to_thread(backend.restart)
            ready = time.monotonic()
            async with asyncio.timeout(30):
                while len(online_at) == before:
                    await asyncio.sleep(0.01)
            times.append((online_at[-1] - killed, online_at[-1] - ready))
        print("\nSIGKILL -> console online again: " + ", ".join(f"{a:.2f} s (hub ready +{b:.2f} s)" for a, b in times))
        assert client.connects == 4
    finally:
        await client.close()


async def test_keep_relay_survives_a_backend_restart_and_is_adopted(tmp_path):
    proc = start_backend(tmp_path, relay=True, extra_args=("--keep-relay",))
    pid = None
    try:
        state = read_state(tmp_path)
        assert state is not None
        pid = state["pid"]
        proc.stop()  # SIGTERM: a clean stop, but the relay is kept
        os.kill(pid, 0)  # still running
        proc.restart()
        async with asyncio.timeout(30):
            while "adopted" not in proc.log_tail(200):
                await asyncio.sleep(0.1)
        assert read_state(tmp_path)["pid"] == pid
    finally:
        proc.stop()
        if pid is not None:
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                pass


async def test_a_clock_jump_back_does_not_reorder_events(tmp_path):
    now = [1_764_000_000.0]
    core = Core(tmp_path / "cc.db", clock=lambda: now[0])
    await core.start()
    seen = []
    core.subscribe(lambda ev: seen.append((ev["seq"], ev["key"], ev["ts"])))
    try:
        for i in range(10):
            await core.publish([Change("alerts", "upsert", f"A-{i}", {"n": i})])
            now[0] += 1.0
            if i == 4:
                now[0] -= 86_400.0  # the wall clock jumps a day back (NTP step, wrong RTC)
    finally:
        await core.close()
    assert [k for _s, k, _t in seen] == [f"A-{i}" for i in range(10)]
    assert [s for s, _k, _t in seen] == sorted(s for s, _k, _t in seen)
    assert seen[5][2] < seen[4][2]  # the timestamps did go back ...
    replay = store.read_events(tmp_path / "cc.db", 0, 100)  # ... yet the stored order is by seq
    assert [e["key"] for e in replay if e["entity"] == "alerts"] == [f"A-{i}" for i in range(10)]
    async with Core(tmp_path / "cc.db") as again:  # and the next start continues after the highest seq
        events = await again.publish([Change("alerts", "upsert", "A-10", {"n": 10})])
        assert events[0]["seq"] == max(s for s, _k, _t in seen) + 1
