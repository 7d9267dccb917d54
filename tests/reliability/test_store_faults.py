"""Store faults for real: a backend whose database sits on a small tmpfs that we fill, then free.

Every console gets a transient ``status`` frame (fault, then ok), commands during the fault are refused
with ``unavailable``, the write caught by the fault is held and committed after recovery, and nothing
acknowledged is lost. A disk that turns read-only with I/O errors under the running backend is made for
real in test_read_only_store.py (ext4's trigger_fs_error); the error classes are also checked here on
real SQLite errors.
"""
import asyncio
import sqlite3
import time

import pytest

from backend import store
from tests.helpers.backend_proc import BackendProc
from tests.reliability.conftest import Collector, fill

PAD = "x" * 40_000


def _backend_on(tmp_path, db):
    proc = BackendProc(tmp_path, demo=False, relay=False, cameras=None, extra_args=("--db", str(db)))
    proc.db = db
    return proc.start()


async def test_disk_full_alarms_every_console_refuses_holds_and_recovers(tmp_path, small_disk):
    db = small_disk / "cc.db"
    proc = _backend_on(tmp_path, db)
    try:
        tokens = [proc.token(r) for r in ("duty_officer", "leader", "wall_operator")]
        consoles = [await Collector.connect(proc.url, t) for t in tokens]
        writer = consoles[0]
        sent: dict[str, int] = {}
        answers: dict[str, dict] = {}
        fill_started = time.monotonic()
        filler = fill(small_disk)
        filled_at = time.monotonic()
        fault = None
        for i in range(400):
            cid = await writer.send_command("reliability.pad", {"i": i, "pad": PAD})
            sent[cid] = i
            try:
                answers[cid] = await writer.result(cid, timeout=2)
            except TimeoutError:
                pass  # held by the store
            fault = next((m for m in writer.frames if m["type"] == "status" and m["store"] == "fault"), None)
            if fault is not None:
                break
        assert fault is not None, proc.log_tail()
        assert fault["reason"] == "disk_full"
        alarms = [await c.wait(lambda m: m["type"] == "status" and m["store"] == "fault", 10) for c in consoles]
        last_alarm = max(c.times[c.frames.index(a)] for c, a in zip(consoles, alarms))
        print(f"\nstore fault alarm on all 3 consoles {last_alarm - fill_started:.2f} s after filling began "
              f"({last_alarm - filled_at:+.2f} s from the disk being full; filling took {filled_at - fill_started:.2f} s)")

        # a command now is refused at once, with the reason
        other = consoles[2]  # wall_operator may take scenes
        cid = await other.send_command("wall.take", {"layout": "daily-duty"})
        refused = await other.result(cid, timeout=10)
        assert not refused["ok"] and refused["error"]["code"] == "unavailable"
        assert "disk_full" in refused["error"]["message"]

        # a console connecting during the fault gets in (its login row is held) and learns of the fault
        late = await Collector.connect(proc.url, tokens[1])
        await late.wait(lambda m: m["type"] == "status" and m["store"] == "fault", 10)
        consoles.append(late)

        filler.unlink()
        freed_at = time.monotonic()
        for c in consoles:
            await c.wait(lambda m: m["type"] == "status" and m["store"] == "ok", 30)
        print(f"store recovered on every console {time.monotonic() - freed_at:.2f} s after space was freed")
        for cid in sent:  # every command now has its answer (the held ones after recovery)
            answers[cid] = await writer.result(cid, timeout=30)
        cid = await other.send_command("wall.take", {"layout": "daily-duty"})
        assert (await other.result(cid))["ok"]
        for c in consoles:
            await c.close()
    finally:
        proc.stop()
    stored = {row["args"]["i"] for row in proc.audit_rows() if row["action"] == "reliability.pad"}
    acked = {sent[cid] for cid, a in answers.items() if a.get("error", {}).get("code") != "unavailable"}
    refused_pads = {sent[cid] for cid, a in answers.items() if a.get("error", {}).get("code") == "unavailable"}
    assert acked <= stored, f"acknowledged but lost: {sorted(acked - stored)}"
    assert not (refused_pads & stored), "a refused command was carried out"
    logins = [r for r in proc.audit_rows() if r["action"] == "login" and r["user"].startswith("leader")]
    assert len(logins) == 2, "the login during the fault was not audited after recovery"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert proc.cli("audit", "verify").returncode == 0


def test_real_sqlite_errors_are_classified(tmp_path):
    db = tmp_path / "cc.db"
    store.create_schema(db)
    ro = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as exc:
        ro.execute("INSERT INTO meta VALUES ('k', 'v')")
    assert store.fault_kind(exc.value) == "read_only"
    assert store.fault_kind(sqlite3.OperationalError("disk I/O error")) == "io_error"
    assert store.fault_kind(sqlite3.OperationalError("database or disk is full")) == "disk_full"
    assert store.fault_kind(OSError(28, "No space left on device")) == "disk_full"
    assert store.fault_kind(sqlite3.IntegrityError("UNIQUE constraint failed")) is None
    assert store.fault_kind(ValueError("bad data")) is None


async def test_writer_holds_through_a_fault_and_reports_it(tmp_path, small_disk):
    """In-process: held publishes finish after recovery, in order, and the status goes fault -> ok."""
    from backend.core import Change, Core

    statuses = []
    core = Core(small_disk / "cc.db", probe_interval=0.2)
    await core.start()
    core.subscribe_status(lambda s: statuses.append(s["state"]))
    try:
        filler = fill(small_disk)
        tasks = [asyncio.create_task(core.publish([Change("alerts", "upsert", f"A-{i}", {"pad": PAD})]))
                 for i in range(30)]
        async with asyncio.timeout(30):
            while "fault" not in statuses:
                await asyncio.sleep(0.05)
        assert core.store_status["reason"] == "disk_full"
        filler.unlink()
        events = await asyncio.wait_for(asyncio.gather(*tasks), 60)
        seqs = [e[0]["seq"] for e in events]
        assert seqs == sorted(seqs) and len(set(seqs)) == 30
        assert statuses[-1] == "ok"
    finally:
        await core.close()
