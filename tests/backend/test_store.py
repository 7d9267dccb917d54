"""The store and Core in-process, on a temp SQLite file AND on a throwaway PostgreSQL database (the same
tests for both engines): group commit, order, durability, audit chain."""
import asyncio
import json

import pytest

from backend import audit, store
from backend.auth import User
from backend.core import Change, CommandError, Core
from tests.helpers.pg import pg_cluster  # noqa: F401  (session fixture)


class Engine:
    """One store engine under test: makes Cores, opens connections (sqlite3's surface), blocks writers."""

    def __init__(self, kind: str, tmp_path, url: str | None):
        self.kind, self.tmp_path, self.url = kind, tmp_path, url
        self.target = url if url else tmp_path / "cc.db"

    def core(self, **kw) -> Core:
        return Core(self.target, state_dir=self.tmp_path, **kw) if self.url else Core(self.target, **kw)

    def connect(self):
        return store.open_store(self.target).connect()

    def create_schema(self) -> None:
        store.open_store(self.target).create_schema()

    def block_writes(self):
        """Another connection holds the write lock until ``release(conn)``: the writer queues up behind it."""
        conn = self.connect()
        conn.execute("BEGIN IMMEDIATE")
        if self.url:
            conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
        return conn

    def poison(self, table: str, key: str, message: str) -> None:
        """Make every insert of ``key`` into ``table`` fail with ``message`` (an error of the data)."""
        conn = self.connect()
        if self.url:
            conn.executescript(
                f"CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.id = '{key}' THEN"
                f" RAISE EXCEPTION '{message}'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;"
                f" CREATE TRIGGER poison BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION poison();")
        else:
            conn.execute(f"CREATE TRIGGER poison BEFORE INSERT ON {table} WHEN NEW.id = '{key}'"
                         f" BEGIN SELECT RAISE(ABORT, '{message}'); END")
        conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = request.getfixturevalue("pg_cluster").new_database() if request.param == "postgresql" else None
    return Engine(request.param, tmp_path, url)


async def test_group_commit_batches_in_one_transaction_each_and_keeps_seq_order(engine):
    core = engine.core(centre="t1", max_batch_changes=500, max_batch_delay=0.5)
    await core.start()
    seen: list[int] = []
    order: list[int] = []
    core.subscribe(lambda ev: seen.append(ev["seq"]))

    async def one(i: int):
        events = await core.publish([Change("units", "upsert", f"U-{i}", {"name": f"u{i}", "lat": i})])
        order.append(events[0]["seq"])
        assert core.get("units", f"U-{i}")["lat"] == i  # state applied before the await returns
        return events[0]

    # Another connection holds the write lock while all 1200 submit, so they queue up behind it.
    blocker = engine.block_writes()
    tasks = [asyncio.create_task(one(i)) for i in range(1200)]
    await asyncio.sleep(0)  # every task has run up to its submit
    assert core.head_seq == 0 and not seen  # nothing is visible before its commit
    blocker.execute("COMMIT")
    events = await asyncio.gather(*tasks)
    assert core._writer.largest_batch == 500  # a full batch, one transaction
    assert core._writer.batches <= 4  # the first (1+ items), then 500, 500, the rest
    assert [e["seq"] for e in events] == list(range(1, 1201))  # submission order == seq order
    assert seen == list(range(1, 1201))
    assert order == list(range(1, 1201))
    assert all(e["eid"] == f"t1-{e['seq']}" for e in events)
    assert core.head_seq == 1200
    await core.close()

    conn = engine.connect()
    assert tuple(conn.execute("SELECT COUNT(*), MIN(seq), MAX(seq) FROM events").fetchone()) == (1200, 1, 1200)
    assert tuple(conn.execute("SELECT COUNT(*) FROM units").fetchone()) == (1200,)
    if engine.kind == "sqlite":
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


async def test_state_survives_restart_and_deletes_apply(engine):
    async with engine.core() as core:
        await core.publish([Change("alerts", "upsert", "A-1", {"colour": "red", "title": "暴雨"}),
                            Change("alerts", "upsert", "A-2", {"colour": "blue", "title": "大风"})], actor="t")
        await core.publish([Change("alerts", "delete", "A-2")])
        await core.publish([Change("quake_feeds", "upsert", "Q", {"m": 3.1})])  # a new entity gets a table
    async with engine.core() as core:
        assert core.head_seq == 4
        assert core.get("alerts", "A-1") == {"id": "A-1", "colour": "red", "title": "暴雨"}
        assert core.get("alerts", "A-2") is None
        assert core.get("quake_feeds", "Q")["m"] == 3.1
        seq, state = core.snapshot()
        assert seq == 4 and set(store.STANDARD_ENTITIES) <= set(state)
        events = core.store.read_events(0, 10)
        assert [(e["seq"], e["op"], e["key"]) for e in events] == [
            (1, "upsert", "A-1"), (2, "upsert", "A-2"), (3, "delete", "A-2"), (4, "upsert", "Q")]
        assert events[2]["data"] is None and events[0]["actor"] == "t"


async def test_concurrent_updates_of_one_record_lose_no_field(engine):
    async with engine.core() as core:
        await asyncio.gather(*(core.update("cameras", "cam-1", {f"f{i}": i}) for i in range(50)))
        record = core.get("cameras", "cam-1")
        assert all(record[f"f{i}"] == i for i in range(50))
        assert record["id"] == "cam-1"


async def test_an_update_without_create_does_not_bring_back_a_record_whose_delete_is_committing(engine):
    """The relay's health of a camera read a moment before its delete: the delete is still in the writer's
    queue (``get`` still shows the committed record), so a plain update would re-create the camera with
    health fields only. Seen in a conference test: a room's sources deleted at a backend start came back."""
    async with engine.core() as core:
        await core.publish([Change("cameras", "upsert", "conf-1", {"name": "site", "source": "conference"})])
        conn = engine.block_writes()  # the delete waits in the writer's queue
        try:
            deleting = asyncio.create_task(core.publish([Change("cameras", "delete", "conf-1")]))
            await asyncio.sleep(0)  # the delete has run up to its submit
            assert core.get("cameras", "conf-1") is not None  # committed state: still there
            assert await core.update("cameras", "conf-1", {"state": "live"}, create=False) is None
        finally:
            conn.execute("COMMIT")
        await deleting
        assert core.get("cameras", "conf-1") is None
        created = await core.update("cameras", "cam-2", {"state": "idle"})  # the default still creates
        assert created == {"id": "cam-2", "state": "idle"} and core.get("cameras", "cam-2") == created
        assert await core.update("cameras", "cam-3", {"state": "idle"}, create=False) is None
        assert core.get("cameras", "cam-3") is None


async def test_bad_changes_are_refused_in_the_caller_and_nothing_is_written(engine):
    async with engine.core() as core:
        for bad in (Change("users", "upsert", "x", {}), Change("Bad Name", "upsert", "x", {}),
                    Change("alerts", "upsert", "", {}), Change("alerts", "merge", "x", {}),
                    Change("alerts", "upsert", "x", {"id": "y"}),
                    Change("alerts", "upsert", "x", {"v": float("nan")}),
                    Change("alerts", "upsert", "x", {"v": object()})):
            with pytest.raises((ValueError, TypeError)):
                await core.publish([bad])
        assert core.head_seq == 0
        await core.publish([Change("alerts", "upsert", "ok", {"t": 1})])
        assert core.head_seq == 1


async def test_command_audit_row_rides_in_the_same_transaction_and_chain_verifies(engine):
    async def make(core, user, args):
        await core.publish([Change("incidents", "upsert", "I-1", {"title": args["title"]})], actor=user.name)
        return {"id": "I-1"}

    async def refuse(core, user, args):
        raise CommandError("bad_args", "title: missing")

    async with engine.core() as core:
        core.register_action("x.make", {"duty_officer"}, make)
        core.register_action("x.refuse", {"duty_officer"}, refuse)
        wang = User("wang", "duty_officer")
        assert await core.run_command(wang, "x.make", {"title": "火情"}) == {"id": "I-1"}
        with pytest.raises(CommandError) as err:
            await core.run_command(User("li", "leader"), "x.make", {"title": "t"})
        assert err.value.code == "forbidden"
        with pytest.raises(CommandError) as err:
            await core.run_command(wang, "x.refuse", {})
        assert err.value.code == "bad_args"
        with pytest.raises(CommandError) as err:
            await core.run_command(wang, "nope", {})
        assert err.value.code == "unknown_action"
        await core.audit("relay", "system", "camera.view", {"camera": "cam-1", "bytes": 10}, True)
        assert core.actions_for("duty_officer") == ["x.make", "x.refuse"]
        assert core.actions_for("leader") == []

    conn = engine.connect()
    rows = conn.execute('SELECT seq, "user", action, ok, detail, ts FROM audit ORDER BY seq').fetchall()
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("wang", "x.make", 1), ("li", "x.make", 0), ("wang", "x.refuse", 0), ("wang", "nope", 0),
        ("relay", "camera.view", 1)]
    assert rows[1][4] == "forbidden"
    event_ts = conn.execute("SELECT ts FROM events WHERE key = 'I-1'").fetchone()[0]
    assert rows[0][5] == event_ts  # written by the same item of the same transaction
    assert audit.verify(conn) == []


def _audit_db(engine, n=5):
    engine.create_schema()
    conn = engine.connect()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        audit.append(conn, 1000.0 + i, "wang", "duty_officer", "alert.ack", {"id": f"A-{i}", "说明": "中文"}, True)
        conn.execute("COMMIT")
    assert audit.verify(conn) == []
    return conn


@pytest.mark.parametrize("tamper, expect", [
    ("UPDATE audit SET args = '{\"id\":\"A-9\",\"说明\":\"中文\"}' WHERE seq = 3", "row edited"),
    ("UPDATE audit SET ok = 0 WHERE seq = 2", "row edited"),
    ("DELETE FROM audit WHERE seq = 3", "missing or reordered"),
    ("DELETE FROM audit WHERE seq = 5", "cut from the end"),
    ("UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 4;"
     " UPDATE audit SET seq = 4 WHERE seq = -2", "prev_hash"),
])
def test_audit_verify_detects_edit_delete_reorder_and_truncation(engine, tamper, expect):
    conn = _audit_db(engine)
    conn.executescript(tamper)
    problems = audit.verify(conn)
    assert problems and any(expect in p for p in problems), problems


def test_audit_args_round_trip_exactly(engine):
    conn = _audit_db(engine, 1)
    args = json.loads(conn.execute("SELECT args FROM audit").fetchone()[0])
    assert args == {"id": "A-0", "说明": "中文"}


def test_audit_prune_archives_old_rows_and_the_chain_still_verifies(engine, tmp_path):
    conn = _audit_db(engine, 5)  # rows of 1970: all older than the retention
    assert audit.prune(conn, tmp_path / "archive.jsonl", 180) == 4  # the newest row always stays
    assert audit.verify(conn) == []
    assert [tuple(r) for r in conn.execute("SELECT seq FROM audit")] == [(5,)]
    count, problems = audit.verify_rows(audit.read_rows(tmp_path / "archive.jsonl"))
    assert count == 4 and problems == []
    conn.execute("DELETE FROM audit WHERE seq = 5")
    assert audit.verify(conn)  # the anchor still reveals a cut


async def test_a_failing_commit_fails_only_its_submitter_and_the_store_goes_on(engine):
    engine.create_schema()
    engine.poison("alerts", "poison", "disk says no")
    async with engine.core(max_batch_delay=0.2) as core:
        seen = []
        core.subscribe(lambda ev: seen.append((ev["seq"], ev["key"])))
        blocker = engine.block_writes()  # so that the four queue up and meet in one batch
        tasks = [asyncio.create_task(core.publish([Change("alerts", "upsert", k, {"t": k})]))
                 for k in ("a", "poison", "b", "c")]
        await asyncio.sleep(0)
        blocker.execute("COMMIT")
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(results[1], RuntimeError) and "disk says no" in str(results[1])
        assert [r[0]["key"] for i, r in enumerate(results) if i != 1] == ["a", "b", "c"]
        assert seen == [(1, "a"), (2, "b"), (3, "c")]  # no gap where the failed change would have been
        assert core.get("alerts", "poison") is None
        assert (await core.publish([Change("alerts", "upsert", "d", {})]))[0]["seq"] == 4
