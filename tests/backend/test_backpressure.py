"""A client that stops reading gets a fresh snapshot instead of its backlog; the others are not held up."""

from backend import auth, store
from backend.core import Change, Core
from backend.hub import Hub, _Client, _EVENT, _FRAME, _SNAPSHOT
from tests.backend.wsclient import RawClient

BIG = "数据" * 20_000  # ~120 KB per event once encoded: socket buffers fill after a few dozen


def test_overflow_drops_queued_events_but_keeps_results_in_order():
    client = _Client(ws=None, user=auth.User("u", "leader"), bound=3)
    client.push(_FRAME, "result-1")
    for seq in (1, 2, 3):
        client.push_event(seq, f"e{seq}")
    client.push(_FRAME, "result-2")
    client.push_event(4, "e4")  # bound reached: backlog -> snapshot marker
    assert [(k, a) for k, a, _ in client.queue] == [
        (_FRAME, "result-1"), (_FRAME, "result-2"), (_SNAPSHOT, None), (_EVENT, 4)]
    assert client.events == 1 and client.overflows == 1


async def test_a_stalled_client_is_resynchronised_by_snapshot_and_never_blocks_the_others(tmp_path):
    db = tmp_path / "cc.db"
    store.create_schema(db)
    conn = store.connect(db)
    token = auth.add_user(conn, "slow", "leader")
    conn.close()
    async with Core(db) as core:
        hub = Hub(core, "127.0.0.1", 0, queue_bound=20)
        await hub.start()
        url = f"ws://127.0.0.1:{hub.port}"
        try:
            fast = await RawClient.connect(url, token)
            slow = await RawClient.connect(url, token)
            await fast.recv()
            await slow.recv()
            total = 300
            for i in range(total):
                await core.publish([Change("sensors", "upsert", f"S-{i % 7}", {"i": i, "blob": BIG})])
                if i % 10 == 0:  # the fast one keeps up while the slow one reads nothing
                    await fast.wait_seq(core.head_seq)
            await fast.wait_seq(total)
            assert fast.seqs == list(range(1, total + 1))
            slow_client = next(c for c in hub.clients if c.ws.remote_address == slow.ws.local_address)
            assert slow_client.overflows >= 1
            # now the slow one reads: whatever it gets is consistent and ends at the head
            await slow.wait_seq(total, timeout=60)
            snaps = [m for m in slow.received if m["type"] == "snapshot"]
            assert len(snaps) >= 2  # the initial one and at least one resync
            last = snaps[-1]
            after = [m["seq"] for m in slow.received[slow.received.index(last) + 1:] if m["type"] == "event"]
            assert after == list(range(last["seq"] + 1, total + 1))
            state = {s["id"]: s["i"] for s in last["state"]["sensors"]}
            assert len(state) == 7 and max(state.values()) == last["seq"] - 1
            await fast.close()
            await slow.close()
        finally:
            await hub.stop()
