"""A store whose disk turns read-only under the running backend, for real: ext4 on a loop device mounted
with errors=remount-ro, then an ext4 error raised through /sys/fs/ext4/<dev>/trigger_fs_error (the kernel
aborts the journal and remounts read-only; SQLite then fails writes with SQLITE_IOERR_WRITE).

Every console gets the fault alarm, commands are refused with ``unavailable``, and after the disk is
repaired (e2fsck) and the backend restarted every acknowledged change is there and the file is sound."""
import asyncio
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.backend_proc import BackendProc
from tests.reliability.conftest import Collector

pytestmark = pytest.mark.timeout(240)


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), capture_output=True, text=True)


@pytest.fixture
def ext4_disk(tmp_path):
    image, mnt = tmp_path / "disk.img", tmp_path / "ext4"
    mnt.mkdir()
    with open(image, "wb") as fh:
        fh.truncate(64 * 1024 * 1024)
    if _run("mkfs.ext4", "-q", "-F", str(image)).returncode != 0:
        pytest.skip("mkfs.ext4 not available")
    res = _run("mount", "-o", "loop,errors=remount-ro", str(image), str(mnt))
    if res.returncode != 0:
        pytest.skip(f"cannot mount a loop device here: {res.stderr.strip()}")
    dev = Path(_run("findmnt", "-n", "-o", "SOURCE", str(mnt)).stdout.strip()).name
    trigger = Path("/sys/fs/ext4") / dev / "trigger_fs_error"
    try:
        if not trigger.exists():
            pytest.skip("this kernel has no ext4 trigger_fs_error")
        yield image, mnt, trigger
    finally:
        _run("umount", "-l", str(mnt))


def _read_only(mnt: Path) -> bool:
    options = _run("findmnt", "-n", "-o", "OPTIONS", str(mnt)).stdout.strip().split(",")
    return "ro" in options or "emergency_ro" in options  # ext4 after an error: "rw,…,emergency_ro"


async def test_a_disk_gone_read_only_alarms_refuses_and_loses_nothing_acknowledged(tmp_path, ext4_disk):
    image, mnt, trigger = ext4_disk
    db = mnt / "cc.db"
    proc = BackendProc(tmp_path, demo=False, relay=False, cameras=None, extra_args=("--db", str(db)))
    proc.db = db
    proc.start()
    acked: list[str] = []
    try:
        consoles = [await Collector.connect(proc.url, proc.token(r)) for r in ("duty_officer", "leader", "wall_operator")]
        duty = consoles[0]
        for i in range(20):
            cid = await duty.send_command("incident.create", {"title": f"只读测试 {i}", "category": "事故灾难",
                                                              "grade": 4})
            answer = await duty.result(cid, timeout=10)
            assert answer["ok"], answer
            acked.append(answer["result"]["id"])

        trigger.write_text("test\n")  # the kernel aborts the journal and remounts the disk read-only
        broke_at = time.monotonic()
        assert _read_only(mnt)
        cid = await duty.send_command("incident.create", {"title": "写不进去", "category": "事故灾难", "grade": 4})
        alarms = [await c.wait(lambda m: m["type"] == "status" and m["store"] == "fault", 10) for c in consoles]
        seen = max(c.times[c.frames.index(a)] for c, a in zip(consoles, alarms)) - broke_at
        print(f"\nread-only store: alarm on all consoles {seen:.2f} s after the disk went read-only;"
              f" reason {alarms[0]['reason']!r}")
        assert alarms[0]["reason"] in ("io_error", "read_only", "write_failed"), alarms[0]
        # a command now (from another console: each connection's commands run in order, and the duty
        # officer's is held by the fault) is refused at once, with the reason
        other = consoles[2]
        cid2 = await other.send_command("wall.take", {"layout": "daily-duty"})
        refused = await other.result(cid2, timeout=10)
        assert not refused["ok"] and refused["error"]["code"] == "unavailable", refused
        # the command caught by the fault is not acknowledged
        caught = next((m for m in duty.frames if m["type"] == "result" and m["id"] == cid), None)
        assert caught is None or not caught["ok"], "a write to a read-only disk was acknowledged"
        for c in consoles:
            await c.close()
    finally:
        proc.kill()  # the disk is broken: nothing to flush; what was acknowledged must already be on it

    # repair the disk as an administrator would, mount it again, start the backend on the same file
    assert _run("umount", str(mnt)).returncode == 0 or _run("umount", "-l", str(mnt)).returncode == 0
    await asyncio.sleep(0.2)
    fsck = _run("e2fsck", "-fy", str(image))
    assert fsck.returncode in (0, 1, 2), fsck.stdout + fsck.stderr  # 1/2: errors corrected
    assert _run("mount", "-o", "loop,errors=remount-ro", str(image), str(mnt)).returncode == 0
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in conn.execute("SELECT id FROM incidents")}
    finally:
        conn.close()
    assert set(acked) <= stored, f"acknowledged but lost: {sorted(set(acked) - stored)}"
    proc.start()
    try:
        assert proc.cli("audit", "verify").returncode == 0
    finally:
        proc.stop()
