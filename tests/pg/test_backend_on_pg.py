"""A real backend process on PostgreSQL end to end: commands over websockets, SIGKILL, restart, nothing
acknowledged lost; resume replays from PostgreSQL; the audit CLI works on the PostgreSQL database."""
import asyncio
import subprocess
import sys

import pytest
from websockets.exceptions import ConnectionClosed

from backend import audit
from backend.core import Core
from backend.store_pg import PgStore, StoreLocked
from tests.backend.wsclient import RawClient
from tests.helpers.backend_proc import ROOT, start_backend
from tests.helpers.pg import pg_cluster  # noqa: F401  (session fixture)

WRITERS = 3
ACKS_BEFORE_KILL = 30


async def _hammer(url: str, token: str, acked: list[str], tag: str) -> None:
    try:
        client = await RawClient.connect(url, token)
        await client.recv()
        n = 0
        while True:
            n += 1
            res = await client.command("incident.create", {"title": f"{tag}-{n}", "category": "事故灾难", "grade": 4})
            assert res["ok"], res
            acked.append(res["result"]["id"])
    except (ConnectionClosed, OSError, asyncio.TimeoutError):
        return


def _cli(db: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backend", "--db", db, "--state-dir", str(tmp_path), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


async def test_backend_on_postgresql_survives_sigkill_and_loses_nothing_acknowledged(tmp_path, pg_cluster):
    url = pg_cluster.new_database("e2e")
    proc = start_backend(tmp_path, extra_args=("--db", url, "--state-dir", str(tmp_path)))
    token = proc.token("duty_officer")  # users stay in the local SQLite file of the state dir
    acked: list[str] = []
    try:
        for r in range(2):
            before = len(acked)
            writers = [asyncio.create_task(_hammer(proc.url, token, acked, f"r{r}w{w}")) for w in range(WRITERS)]
            async with asyncio.timeout(120):
                while len(acked) < before + ACKS_BEFORE_KILL:
                    if all(w.done() for w in writers):
                        raise AssertionError(f"writers stopped early:\n{proc.log_tail()}")
                    await asyncio.sleep(0.01)
            proc.kill()
            await asyncio.wait_for(asyncio.gather(*writers), 60)
            proc.restart()

            check = await RawClient.connect(proc.url, token)
            snap = await check.recv()
            present = {i["id"] for i in snap["state"]["incidents"]}
            missing = [i for i in acked if i not in present]
            assert not missing, f"round {r}: acknowledged but lost: {missing[:10]}"
            assert len(set(acked)) == len(acked), "an id was handed out twice"
            await check.close()

        # a console resuming from seq 5 gets the events replayed from PostgreSQL, in order, no gap
        head = snap["seq"]
        resumed = await RawClient.connect(proc.url, token, since=5)
        await resumed.wait_seq(head)
        assert resumed.seqs[:head - 5] == list(range(6, head + 1)), resumed.seqs[:20]
        await resumed.close()

        with PgStore(url).connect() as conn:
            seqs = [s for (s,) in conn.execute("SELECT seq FROM events ORDER BY seq")]
            assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 60
            eids = [e for (e,) in conn.execute("SELECT eid FROM events ORDER BY seq")]
            assert eids == [f"yk-{s}" for s in seqs]
            assert audit.verify(conn) == []
            audited = conn.execute("SELECT COUNT(*) FROM audit WHERE action = 'incident.create' AND ok = 1").fetchone()[0]
            assert audited == conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0] >= 60

        # a second backend on the same database is refused while the first runs
        second = Core(url, state_dir=tmp_path / "second")
        (tmp_path / "second").mkdir()
        second.store.lock_wait = 0.5
        with pytest.raises(StoreLocked):
            await second.start()
        await second.close()

        # the audit CLI on the PostgreSQL database
        res = _cli(url, tmp_path, "audit", "verify")
        assert res.returncode == 0 and " OK" in res.stdout, res.stderr
        res = _cli(url, tmp_path, "audit", "export", "--out", str(tmp_path / "a.jsonl"))
        assert res.returncode == 0, res.stderr
        count, problems = audit.verify_rows(audit.read_rows(tmp_path / "a.jsonl"))
        assert count >= 60 and problems == []
        # backup of the live database (pg_dump reads one snapshot while the backend writes on)
        res = _cli(url, tmp_path, "backup", "--out", str(tmp_path / "b.dump"))
        assert res.returncode == 0 and "read back ok" in res.stdout, res.stderr
        res = _cli(url, tmp_path, "restore", str(tmp_path / "b.dump"))
        assert res.returncode == 1 and "a backend is running" in res.stderr, res.stderr
    finally:
        proc.stop()

    # the backup restored into an empty database holds the same events and a whole audit chain
    copy = pg_cluster.new_database("restored")
    res = _cli(copy, tmp_path, "restore", str(tmp_path / "b.dump"))
    assert res.returncode == 0 and "audit chain ok" in res.stdout, res.stderr
    with PgStore(url).connect() as a, PgStore(copy).connect() as b:
        n = b.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        assert n >= 60
        assert [r for r in b.execute("SELECT seq, eid FROM events ORDER BY seq")] == \
            [r for r in a.execute("SELECT seq, eid FROM events WHERE seq <= %s ORDER BY seq" % n)]
        assert audit.verify(b) == []
    (tmp_path / "junk.dump").write_bytes(b"not a pg_dump archive")
    res = _cli(copy, tmp_path, "restore", str(tmp_path / "junk.dump"))
    assert res.returncode == 1 and "pg_restore failed" in res.stderr, res.stderr

    # tampering with a row in PostgreSQL is caught by `cc-backend audit verify`
    with PgStore(url).connect() as conn:
        conn.execute("UPDATE audit SET detail = 'edited' WHERE seq = 2")
    res = _cli(url, tmp_path, "audit", "verify")
    assert res.returncode == 1 and "audit seq 2" in res.stderr


def test_cli_names_an_unreachable_postgresql_and_hides_the_password(tmp_path):
    url = f"postgresql://cc:secret@/nodb?host={tmp_path}&port=1"
    res = _cli(url, tmp_path, "audit", "verify")
    assert res.returncode == 1
    assert "secret" not in res.stderr and "cc:***@" in res.stderr, res.stderr
