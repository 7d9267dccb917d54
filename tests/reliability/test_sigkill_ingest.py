"""SIGKILL the backend at random moments while CAP alerts pour in through its HTTP endpoint.

Posters resend whatever was not answered 202 (the sender's normal retry); afterwards every acknowledged
alert is stored, none twice, and ``PRAGMA integrity_check`` is ok. The suite runs 1,000 alerts / 10 kills;
``-m slow`` runs the issue's 10,000 alerts / 50 kills.
"""
import asyncio
import random
import sqlite3
import time

import pytest

from backend.cap.parse import base_alert_id
from tests.cap.conftest import cap_doc
from tests.helpers.backend_proc import BackendProc, free_port

SENDER = "yk-qx@example.cn"


def _doc(i: int) -> tuple[str, bytes]:
    ident = f"33078400{i:06d}_20250601083000"
    return base_alert_id(SENDER, ident), cap_doc(identifier=ident, sender=SENDER)


async def _post(port: int, doc: bytes) -> int:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    try:
        writer.write(b"POST /cap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/cap+xml\r\n"
                     + f"Content-Length: {len(doc)}\r\n\r\n".encode() + doc)
        await writer.drain()
        head = await asyncio.wait_for(reader.readline(), 30)
        await reader.read()
        return int(head.split()[1])
    finally:
        writer.close()


async def _run(tmp_path, n_alerts: int, n_kills: int, seed: int):
    port = free_port()
    proc = BackendProc(tmp_path, demo=False, relay=False, cameras=None, extra_args=("--cap-http", str(port)))
    proc.start()
    rng = random.Random(seed)
    todo: asyncio.Queue = asyncio.Queue()
    for i in range(n_alerts):
        todo.put_nowait(i)
    acked: set[int] = set()
    kills = attempts = 0
    done = asyncio.Event()

    async def poster():
        nonlocal attempts
        while not done.is_set():
            try:
                i = todo.get_nowait()
            except asyncio.QueueEmpty:
                return
            key, doc = _doc(i)
            attempts += 1
            try:
                status = await _post(port, doc)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
                status = 0
            if status == 202:
                acked.add(i)
            else:  # not acknowledged: the sender tries again later
                todo.put_nowait(i)
                await asyncio.sleep(0.05)

    posters = [asyncio.create_task(poster()) for _ in range(8)]
    try:
        t0 = time.monotonic()
        while kills < n_kills and len(acked) < n_alerts:
            await asyncio.sleep(rng.uniform(0.05, 0.8))
            await asyncio.to_thread(proc.kill)
            kills += 1
            await asyncio.to_thread(proc.restart)
        await asyncio.wait_for(asyncio.gather(*posters), 300)
        elapsed = time.monotonic() - t0
    finally:
        done.set()
        proc.stop()
    print(f"\n{n_alerts} alerts, {kills} SIGKILLs, {attempts} POSTs, {elapsed:.1f} s")
    return proc, acked, kills


def _check(proc, acked: set[int], n_alerts: int):
    assert len(acked) == n_alerts
    conn = sqlite3.connect(proc.db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {k for (k,) in conn.execute("SELECT id FROM alerts")}
        created = conn.execute("SELECT key, COUNT(*) FROM events WHERE entity = 'alerts' AND op = 'upsert'"
                               " AND actor = 'cap' GROUP BY key").fetchall()
    finally:
        conn.close()
    keys = {_doc(i)[0] for i in acked}
    lost = keys - stored
    assert not lost, f"{len(lost)} acknowledged alerts lost, e.g. {sorted(lost)[:3]}"
    twice = [k for k, c in created if c > 1]
    assert not twice, f"{len(twice)} alerts stored twice, e.g. {twice[:3]}"
    assert {k for k, _ in created} == keys
    assert proc.cli("audit", "verify").returncode == 0


async def test_sigkill_during_cap_ingest_loses_nothing_acknowledged(tmp_path):
    proc, acked, kills = await _run(tmp_path, 1000, 10, seed=1)
    assert kills >= 5
    _check(proc, acked, 1000)


@pytest.mark.slow
@pytest.mark.timeout(1800)
async def test_sigkill_50_times_during_10k_alert_ingest(tmp_path):
    proc, acked, kills = await _run(tmp_path, 10_000, 50, seed=2)
    assert kills == 50
    _check(proc, acked, 10_000)
