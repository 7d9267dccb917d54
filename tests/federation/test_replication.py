"""Replication through real nats-servers (hub + two leaf nodes) and real Cores: cut links, a leaf offline,
a hub restart — every event delivered once, in order per source, nothing lost."""
from __future__ import annotations

import asyncio
import time

import pytest

from backend.federation.nats_transport import NatsTransport
from backend.federation.ownership import CURSORS
from tests.federation.cluster import HUB, Cluster, produce, wait_for

N = 10_000
RATE = 2_500.0  # events/s per producer: 10,000 take ~4 s, so a cut at 1 s lands in the middle


@pytest.fixture
async def cluster(tmp_path):
    c = await Cluster(tmp_path).start()
    try:
        yield c
    finally:
        await c.stop()


def expected(prefix: str, n: int) -> list[str]:
    return [f"{prefix}-{i:05d}" for i in range(1, n + 1)]


async def assert_all_once_in_order(cluster: Cluster, n: int, timeout: float = 90) -> None:
    hub = cluster.hub
    try:
        await wait_for(lambda: all(hub.count("alerts", c) == n for c in cluster.leaves) and
                       all(leaf.count("tasks", HUB) == n for leaf in cluster.leaves.values()), timeout,
                       f"{n} alerts from each leaf at the hub and {n} city tasks at each leaf")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; {_missing(cluster, n)}") from None
    for c, leaf in cluster.leaves.items():
        # once and in order: the events the hub committed for this source are exactly its sequence
        assert hub.applied_keys("alerts", c) == expected(f"{c}-A", n)
        assert leaf.applied_keys("tasks", HUB) == expected(f"{HUB}-T", n)
        assert hub.core.get(CURSORS, c)["seq"] == max(e for e in _own_alert_seqs(leaf))
        assert hub.replicator.stats[c].refused == 0


def _missing(cluster: Cluster, n: int) -> str:
    """What did not arrive, per direction: how many, and the first keys (a gap in the middle is not slowness)."""
    def gap(have: set[str], prefix: str) -> str:
        lost = [k for k in expected(prefix, n) if k not in have]
        return f"{len(lost)} missing" + (f" ({', '.join(lost[:5])}{'…' if len(lost) > 5 else ''})" if lost else "")

    parts = []
    for c, leaf in cluster.leaves.items():
        parts.append(f"{c}→hub alerts: {gap({r['id'] for r in cluster.hub.core.all('alerts')}, f'{c}-A')}")
        parts.append(f"hub→{c} tasks: {gap({r['id'] for r in leaf.core.all('tasks')}, f'{HUB}-T')}")
    return "; ".join(parts)


def _own_alert_seqs(centre) -> list[int]:
    import sqlite3
    conn = sqlite3.connect(f"file:{centre.core.db_path}?mode=ro", uri=True, timeout=30)
    try:
        return [s for (s,) in conn.execute("SELECT seq FROM events WHERE entity = 'alerts' AND actor = 'test'")]
    finally:
        conn.close()


async def test_cut_link_5s_delivers_10000_each_way_once_in_order(cluster):
    async def cutter():
        await asyncio.sleep(1.0)
        await cluster.cut()
        await asyncio.sleep(5.0)
        await cluster.restore()

    producers = [produce(leaf.core, "alerts", f"{c}-A", N, RATE) for c, leaf in cluster.leaves.items()]
    producers.append(produce(cluster.hub.core, "tasks", f"{HUB}-T", N, RATE, {"share": list(cluster.leaves)}))
    await asyncio.gather(cutter(), *producers)
    assert all(p.cuts == 1 for p in cluster.proxies.values())
    await assert_all_once_in_order(cluster, N)


async def _offline_catch_up(cluster: Cluster, offline_s: float, n: int) -> float:
    await cluster.cut("a")
    await wait_for(lambda: _link_down(cluster, "a"), 30, "hub sees leaf a down")
    t0 = time.monotonic()
    await asyncio.gather(produce(cluster.leaves["a"].core, "alerts", "a-A", n, n / (offline_s * 0.8)),
                         produce(cluster.hub.core, "tasks", f"{HUB}-T", n, n / (offline_s * 0.8),
                                 {"share": ["a"]}))
    await asyncio.sleep(max(0.0, offline_s - (time.monotonic() - t0)))
    assert cluster.hub.count("alerts", "a") == 0  # really offline
    await cluster.restore("a")
    back = time.monotonic()
    await wait_for(lambda: cluster.hub.count("alerts", "a") == n and cluster.leaves["a"].count("tasks", HUB) == n,
                   90, "leaf a caught up both ways")
    caught_up = time.monotonic() - back
    assert cluster.hub.applied_keys("alerts", "a") == expected("a-A", n)
    assert cluster.leaves["a"].applied_keys("tasks", HUB) == expected(f"{HUB}-T", n)
    return caught_up


async def _link_down(cluster: Cluster, centre: str) -> bool:
    return not (await cluster.hub.transport.links())[centre].up


async def test_leaf_offline_10s_catches_up(cluster):
    await _offline_catch_up(cluster, 10.0, 3_000)


@pytest.mark.slow
async def test_leaf_offline_60s_catches_up(cluster):
    # delivery is asserted; the time (goal <= 10 s) is measured by bench/bench_federation.py
    await _offline_catch_up(cluster, 60.0, 20_000)


async def test_hub_restart_loses_nothing(cluster):
    n = 4_000

    async def restart_hub():
        await asyncio.sleep(0.8)
        await cluster.hub.server.stop()
        await asyncio.sleep(2.0)
        await cluster.hub.server.start()

    await asyncio.gather(restart_hub(), *[produce(leaf.core, "alerts", f"{c}-A", n, 2_000)
                                          for c, leaf in cluster.leaves.items()],
                         produce(cluster.hub.core, "tasks", f"{HUB}-T", n, 2_000, {"share": list(cluster.leaves)}))
    await assert_all_once_in_order(cluster, n)


async def test_engine_restart_resends_unpublished_and_skips_duplicates(cluster):
    """The leaf's engine is down while its Core commits: on start it sends the backlog from its store (the
    broker is the outbox cursor), nothing twice, nothing missing."""
    a = cluster.leaves["a"]
    await produce(a.core, "alerts", "a-A", 500, 10_000)
    await wait_for(lambda: cluster.hub.count("alerts", "a") == 500, 60, "first 500")
    await a.stop_engine()
    await produce(a.core, "alerts", "a-A", 1_000, 10_000)  # 1..500 again (updates) and 501..1000
    await a.start_engine()
    await wait_for(lambda: cluster.hub.core.get("alerts", "a-A-01000") is not None, 60, "the backlog")
    keys = cluster.hub.applied_keys("alerts", "a")
    assert keys == expected("a-A", 500) + expected("a-A", 1_000)


async def test_subcentre_cannot_change_a_city_owned_record(cluster):
    """Locally the guard refuses the command path; on the wire, the hub refuses a leaf's message about a
    record the city owns (a leaf that bypassed its guard, or a forged one) and keeps its own version."""
    from backend.core import Change, CommandError
    from backend.federation.ownership import federation_write

    hub, a = cluster.hub, cluster.leaves["a"]
    await hub.core.publish([Change("tasks", "upsert", "city-T-1", {"title": "市级任务", "share": ["a"]})], "test")
    await wait_for(lambda: a.core.get("tasks", "city-T-1") is not None, 60, "the city task at leaf a")
    assert a.core.get("tasks", "city-T-1")["owner"] == HUB
    with pytest.raises(CommandError) as refused:
        await a.core.update("tasks", "city-T-1", {"title": "改掉"}, actor="test")
    assert refused.value.code == "forbidden" and "city" in refused.value.message
    with federation_write():  # a leaf that goes around its guard: its message carries owner a
        await a.core.publish([Change("tasks", "upsert", "city-T-1", {"title": "改掉", "owner": "a"}),
                              Change("alerts", "upsert", "a-A-marker", {"title": "after"})], "test")
    await wait_for(lambda: hub.core.get("alerts", "a-A-marker") is not None, 60, "the marker after the forgery")
    assert hub.core.get("tasks", "city-T-1")["title"] == "市级任务"
    assert hub.replicator.stats["a"].refused == 1


async def test_redelivered_messages_are_skipped_by_the_cursor(cluster):
    """Everything delivered again (as after acks lost in a crash: here the hub's consumer is re-created
    from the start of the stream) is skipped: nothing is applied twice."""
    hub = cluster.hub
    await produce(cluster.leaves["a"].core, "alerts", "a-A", 300, 10_000)
    await wait_for(lambda: hub.count("alerts", "a") == 300, 60, "300 alerts at the hub")
    await hub.stop_engine()
    await hub.transport.start()  # a fresh connection, only to delete the durable consumer
    await hub.transport._js.delete_consumer("UP", "apply")
    await hub.transport.close()
    await hub.start_engine()
    await produce(cluster.leaves["a"].core, "alerts", "a-B", 1, 10_000)  # a marker after the replay
    await wait_for(lambda: hub.core.get("alerts", "a-B-00001") is not None, 60, "the marker")
    assert hub.replicator.stats["a"].duplicates == 300
    assert hub.applied_keys("alerts", "a") == expected("a-A", 300) + ["a-B-00001"]


async def test_a_pack_published_twice_is_stored_once(cluster):
    """A publish retried after a failure part-way sends the same packs again: the broker keeps one copy
    (Nats-Msg-Id of the pack), so the hub applies each event once."""
    from backend.federation.transport import FedMessage

    a = cluster.leaves["a"]
    info = await a.transport._js.stream_info("UP_a")
    before = info.state.messages
    base = info.state.last_seq + 10_000  # seqs above anything the leaf's own engine sends in this test
    msgs = [FedMessage("a", base + i, "alerts", "upsert", f"a-P-{i:05d}", {"title": f"p {i}"}, "a", time.time())
            for i in range(1, 451)]  # 3 packs (200 + 200 + 50)
    await a.transport.publish(msgs)
    await a.transport.publish(msgs)
    await a.transport.publish(msgs[:200])
    assert (await a.transport._js.stream_info("UP_a")).state.messages == before + 3
    await wait_for(lambda: cluster.hub.core.get("alerts", "a-P-00450") is not None, 60, "the packs at the hub")
    assert cluster.hub.applied_keys("alerts", "a") == expected("a-P", 450)


@pytest.mark.parametrize("way", ["up", "down"])
async def test_messages_fetched_but_never_applied_still_arrive(cluster, way):
    """A centre's engine fetched a batch and died before committing it (the batch was in its inbox, or the
    fetch's answer was lost when its broker went down): those messages are delivered but not acked. Whatever
    comes after them must not pass them by: they are applied, in order, before anything newer. Up: the hub
    takes leaf a's alerts; down: leaf a takes the city's tasks."""
    hub, a = cluster.hub, cluster.leaves["a"]
    if way == "up":
        sender, receiver, entity, src, prefix, extra = a, hub, "alerts", "a", "a-", None
    else:
        sender, receiver, entity, src, prefix, extra = hub, a, "tasks", HUB, f"{HUB}-", {"share": ["a"]}
    await produce(sender.core, entity, f"{prefix}A", 100, 10_000, extra)
    await wait_for(lambda: receiver.count(entity, src) == 100, 60, f"100 {entity} at {receiver.id}")
    await receiver.stop_engine()
    await produce(sender.core, entity, f"{prefix}B", 300, 10_000, extra)
    lost = NatsTransport(receiver.id, receiver.server.url, is_hub=receiver.is_hub, hub_centre=HUB,
                         leaves=list(cluster.leaves) if receiver.is_hub else None)
    await lost.start()  # the dead engine's connection: it takes the batch and goes away without a word
    try:
        seen: list[str] = []
        await wait_for(lambda: _take(lost, seen, f"{prefix}B-00300"), 60, "the batch the dying engine takes")
    finally:
        await lost.close()
    await produce(sender.core, entity, f"{prefix}C", 1, 10_000, extra)  # something newer, after the lost batch
    await receiver.start_engine()
    await wait_for(lambda: receiver.core.get(entity, f"{prefix}C-00001") is not None, 60, "the newer one")
    assert receiver.applied_keys(entity, src) == \
        expected(f"{prefix}A", 100) + expected(f"{prefix}B", 300) + [f"{prefix}C-00001"]
    assert receiver.transport.rewinds == 1  # found by the gap in the stream's seqs, not by waiting out ack_wait


async def _take(transport, seen: list[str], last: str) -> bool:
    seen += [d.message.key for d in await transport.fetch(64, timeout=1.0) if d.message is not None]
    return last in seen


async def test_a_rewind_the_broker_breaks_part_way_is_done_again(cluster, monkeypatch):
    """The re-creation of the consumer after a gap (the rewind, above) is cut by the broker going down after
    the old consumer was deleted and before the new one exists. The engine's next fetches do it again until the
    broker is back: the lost batch still arrives, in order, before what came after it."""
    hub, a = cluster.hub, cluster.leaves["a"]
    await produce(a.core, "alerts", "a-A", 100, 10_000)
    await wait_for(lambda: hub.count("alerts", "a") == 100, 60, "100 alerts at the hub")
    await hub.stop_engine()
    await produce(a.core, "alerts", "a-B", 300, 10_000)
    lost = NatsTransport(hub.id, hub.server.url, is_hub=True, hub_centre=HUB, leaves=list(cluster.leaves))
    await lost.start()
    try:
        seen: list[str] = []
        await wait_for(lambda: _take(lost, seen, "a-B-00300"), 60, "the batch the dying engine takes")
    finally:
        await lost.close()
    await produce(a.core, "alerts", "a-C", 1, 10_000)

    real_rewind, tries = NatsTransport._rewind, []
    broker_down = asyncio.Event()

    async def rewind_cut_once(self):
        tries.append(self._rewind_from)
        if len(tries) > 1:
            return await real_rewind(self)
        real_add = self._js.add_consumer

        async def add_after_the_broker_died(*args, **kwargs):
            await hub.server.stop()  # the old consumer is gone; the new one cannot be made
            broker_down.set()
            return await real_add(*args, **kwargs)

        self._js.add_consumer = add_after_the_broker_died
        try:
            return await real_rewind(self)
        finally:
            del self._js.add_consumer  # the client's own method again

    monkeypatch.setattr(NatsTransport, "_rewind", rewind_cut_once)
    await hub.start_engine()
    await asyncio.wait_for(broker_down.wait(), 60)
    cut_at = hub.transport._rewind_from  # the first in-stream seq not acked: the lost batch's first pack
    try:  # the client holds the request while it reconnects, then gives up (its 10 s API timeout); the engine's
        # next fetch tries the rewind again (the broker is still down)
        await wait_for(lambda: len(tries) >= 2, 60, "the rewind tried again")
        assert hub.transport.rewinds == 0 and cut_at is not None and cut_at > 1
    finally:
        await hub.server.start()
    await wait_for(lambda: hub.core.get("alerts", "a-C-00001") is not None, 90, "the newer one")
    assert hub.applied_keys("alerts", "a") == expected("a-A", 100) + expected("a-B", 300) + ["a-C-00001"]
    assert hub.transport.rewinds == 1 and len(tries) >= 2 and set(tries) == {cut_at}
