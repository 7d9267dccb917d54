"""SIGKILL the backend while clients send commands: every acknowledged change must survive the restart."""
import asyncio
import sqlite3

import pytest
from websockets.exceptions import ConnectionClosed

from backend import audit
from tests.backend.wsclient import RawClient
from tests.helpers.backend_proc import start_backend

WRITERS = 3
ACKS_BEFORE_KILL = 30


async def _hammer(url: str, token: str, acked: list[str], tag: str) -> None:
    """Send incident.create in a loop, recording every acknowledged id, until the socket dies."""
    try:
        client = await RawClient.connect(url, token)
        await client.recv()
        n = 0
        while True:
            n += 1
            res = await client.command("incident.create",
                                       {"title": f"{tag}-{n}", "category": "事故灾难", "grade": 4})
            assert res["ok"], res
            acked.append(res["result"]["id"])
    except (ConnectionClosed, OSError, asyncio.TimeoutError):
        return


async def _kill_rounds(tmp_path, rounds: int) -> None:
    proc = start_backend(tmp_path)
    token = proc.token("duty_officer")
    acked: list[str] = []
    try:
        for r in range(rounds):
            before = len(acked)
            writers = [asyncio.create_task(_hammer(proc.url, token, acked, f"r{r}w{w}")) for w in range(WRITERS)]
            async with asyncio.timeout(120):
                while len(acked) < before + ACKS_BEFORE_KILL:
                    if all(w.done() for w in writers):
                        raise AssertionError(f"writers stopped early:\n{proc.log_tail()}")
                    await asyncio.sleep(0.01)
            proc.kill()  # mid-stream: commands are in flight on every writer
            await asyncio.wait_for(asyncio.gather(*writers), 60)
            proc.restart()

            check = await RawClient.connect(proc.url, token)
            snap = await check.recv()
            present = {i["id"] for i in snap["state"]["incidents"]}
            missing = [i for i in acked if i not in present]
            assert not missing, f"round {r}: acknowledged but lost: {missing[:10]}"
            assert len(set(acked)) == len(acked), "an id was handed out twice"
            await check.close()
        conn = sqlite3.connect(proc.db)
        seqs = [s for (s,) in conn.execute("SELECT seq FROM events ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))
        assert audit.verify(conn) == []
        # every committed incident carries its audit row (same transaction)
        audited = conn.execute("SELECT COUNT(*) FROM audit WHERE action = 'incident.create' AND ok").fetchone()[0]
        assert audited == conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0]
        conn.close()
    finally:
        proc.stop()


async def test_sigkill_mid_stream_loses_nothing_acknowledged(tmp_path):
    await _kill_rounds(tmp_path, 5)


@pytest.mark.slow
async def test_sigkill_mid_stream_loses_nothing_acknowledged_50_times(tmp_path):
    await _kill_rounds(tmp_path, 50)
