"""``cc-backend backup`` of a live store and ``restore`` (refused while running or for a bad file)."""
import sqlite3

from tests.reliability.conftest import Collector


def _count(db, table):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


async def test_backup_while_running_then_restore_when_stopped(backend, tmp_path):
    console = await Collector.connect(backend.url, backend.token("wall_operator"))
    for i in range(20):
        cid = await console.send_command("wall.take", {"layout": "daily-duty"})
        assert (await console.result(cid))["ok"]
    out = tmp_path / "backup.db"
    res = backend.cli("backup", "--out", str(out), check=False)
    assert res.returncode == 0, res.stderr
    assert "integrity ok" in res.stdout
    audit_at_backup = _count(out, "audit")
    events_at_backup = _count(out, "events")
    assert audit_at_backup >= 20
    # more happens after the backup
    for i in range(5):
        cid = await console.send_command("wall.take", {"layout": "daily-duty"})
        await console.result(cid)
    await console.close()

    res = backend.cli("restore", str(out), check=False)
    assert res.returncode == 1 and "running" in res.stderr
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x17" * 5000)
    backend.stop()
    res = backend.cli("restore", str(bad), check=False)
    assert res.returncode == 1 and "refused" in res.stderr
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
    res = backend.cli("restore", str(empty), check=False)
    assert res.returncode == 1 and "not a command-centre store" in res.stderr

    res = backend.cli("restore", str(out), check=False)
    assert res.returncode == 0, res.stderr
    assert _count(backend.db, "audit") == audit_at_backup
    assert _count(backend.db, "events") == events_at_backup
    assert backend.cli("audit", "verify").returncode == 0
    conn = sqlite3.connect(backend.db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    backend.restart()  # and the restored store serves
    console = await Collector.connect(backend.url, backend.token("wall_operator"))
    snap = await console.wait(lambda m: m["type"] == "snapshot")
    assert snap["seq"] == events_at_backup
    await console.close()


async def test_a_tampered_backup_is_refused(backend, tmp_path):
    out = tmp_path / "b.db"
    console = await Collector.connect(backend.url, backend.token("wall_operator"))
    await console.result(await console.send_command("wall.take", {"layout": "daily-duty"}))
    await console.close()
    backend.cli("backup", "--out", str(out))
    conn = sqlite3.connect(out)
    conn.execute("UPDATE audit SET user = 'mallory'")
    conn.commit()
    conn.close()
    backend.stop()
    res = backend.cli("restore", str(out), check=False)
    assert res.returncode == 1 and "audit" in res.stderr
