"""PostgreSQL going away under a running Core: writes are held (store fault), commands refused, and once
the server is back everything held is committed, in order, with no gap and nothing twice."""
import asyncio

import psycopg
import pytest

from backend import audit
from backend.auth import User
from backend.core import Change, CommandError, Core
from backend.store_pg import PgStore
from tests.helpers.pg import pg_cluster, running_cluster  # noqa: F401  (session fixture)

T = 60


@pytest.fixture
def own_cluster():
    """A cluster of this test's own (it is stopped and started again)."""
    yield from running_cluster()


async def _until(predicate, timeout: float = T) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_server_down_holds_writes_and_commits_them_on_return(tmp_path, own_cluster, mode):
    url = own_cluster.new_database()
    core = Core(url, state_dir=tmp_path, probe_interval=0.2)
    await core.start()
    statuses: list[dict] = []
    seen: list[int] = []
    core.subscribe_status(statuses.append)
    core.subscribe(lambda ev: seen.append(ev["seq"]))

    async def noop(core_, user, args):
        await core_.publish([Change("alerts", "upsert", "cmd", {})])

    core.register_action("x.noop", {"duty_officer"}, noop)
    try:
        for i in range(10):
            await core.publish([Change("units", "upsert", f"U-{i}", {"n": i})])
        own_cluster.stop_server(mode)  # "immediate": a crash of the server
        await _until(lambda: core.store_status["state"] == "fault")
        assert core.store_status["reason"] == "io_error"
        held = [asyncio.create_task(core.publish([Change("units", "upsert", f"H-{i}", {"n": i})])) for i in range(20)]
        await asyncio.sleep(0.5)
        assert not any(t.done() for t in held)  # held, not failed
        with pytest.raises(CommandError) as err:
            await core.run_command(User("wang", "duty_officer"), "x.noop", {})
        assert err.value.code == "unavailable"

        own_cluster.start_server()
        results = await asyncio.wait_for(asyncio.gather(*held), T)
        assert [r[0]["seq"] for r in results] == list(range(11, 31))
        await _until(lambda: core.store_status["state"] == "ok")
        assert [s["state"] for s in statuses][-1] == "ok" and "fault" in [s["state"] for s in statuses]
        assert seen == list(range(1, 31))
    finally:
        await core.close()

    async with Core(url, state_dir=tmp_path) as again:
        assert again.head_seq == 30
        assert len(again.all("units")) == 30
        assert [e["seq"] for e in again.store.read_events(0, 100)] == list(range(1, 31))


class _LosesCommitAck(PgStore):
    """The real PostgreSQL store, except that the first COMMIT's answer is lost: the transaction IS committed
    on the server, then the connection drops before the writer hears so (a network cut at the worst time)."""

    armed = False

    def connect(self):
        store = self
        conn = super().connect()
        real = conn.execute

        def execute(sql, params=()):
            cur = real(sql, params)
            if sql == "COMMIT" and store.armed:
                store.armed = False
                conn.close()
                raise psycopg.OperationalError("server closed the connection unexpectedly")
            return cur

        conn.execute = execute
        return conn


async def test_a_commit_whose_answer_is_lost_is_neither_failed_nor_written_twice(tmp_path, pg_cluster):
    url = pg_cluster.new_database()
    core = Core(tmp_path / "cc.db")
    core.store = _LosesCommitAck(url)
    async with core:
        core.store.armed = True
        events = await core.publish([Change("alerts", "upsert", "A-1", {"t": 1}), Change("alerts", "upsert", "A-2", {})],
                                    audit={"user": "wang", "role": "duty_officer", "action": "x", "args": {}, "ok": True})
        assert not core._writer.fault and [e["seq"] for e in events] == [1, 2]
        assert (await core.publish([Change("alerts", "upsert", "A-3", {})]))[0]["seq"] == 3
    assert core.store.armed is False  # the lost answer did happen
    with PgStore(url).connect() as conn:
        assert [s for (s,) in conn.execute("SELECT seq FROM events ORDER BY seq")] == [1, 2, 3]
        assert conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 1
        assert audit.verify(conn) == []
