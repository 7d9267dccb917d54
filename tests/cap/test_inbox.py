"""The watched CAP folder and POST /cap, on a real folder, a real socket and the real backend Core."""
from __future__ import annotations

import asyncio
import json
import os

import pytest

from backend.cap.inbox import CapInbox, serve_http
from backend.cap.ingest import quarantine_rows
from tests.cap.conftest import DATA, cap_doc
from tests.cap.test_parse import TEN_MB, XXE

WAIT = 30.0  # generous: the machine is shared


async def wait_for(predicate, timeout=WAIT):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def drop(folder, name: str, data: bytes) -> None:
    """Write beside, then rename into place (what a feed writer should do)."""
    tmp = folder / f".{name}.writing"
    tmp.write_bytes(data)
    os.rename(tmp, folder / name)


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def test_inbox_moves_files_to_done_and_rejected(tmp_path, core, ingest):
    box = tmp_path / "inbox"
    box.mkdir()
    inbox = CapInbox(ingest, box, poll=0.05)
    task = asyncio.create_task(inbox.run())
    try:
        for path in sorted(DATA.glob("*.xml")):
            drop(box, path.name, path.read_bytes())
        drop(box, "yk.xml", cap_doc())
        drop(box, "xxe.xml", XXE)
        drop(box, "big.xml", TEN_MB)
        drop(box, "again.xml", cap_doc())  # a duplicate still counts as handled: done/
        await wait_for(lambda: inbox.processed == 8)
    finally:
        inbox.stop()
        await asyncio.wait_for(task, WAIT)
    assert names(box) == ["done", "rejected"]
    assert names(box / "done") == ["again.xml", "example1.xml", "example2.xml", "example3.xml", "example4.xml",
                                   "yk.xml"]
    assert names(box / "rejected") == ["big.xml", "xxe.xml"]
    assert (box / "rejected" / "big.xml").stat().st_size == len(TEN_MB)  # moved whole, never cut or deleted
    assert len(core.all("alerts")) == 5
    reasons = {r["origin"]: r["reason"] for r in quarantine_rows(core.db_path)}
    assert "too large" in reasons["inbox:big.xml"] and "forbidden DTD" in reasons["inbox:xxe.xml"]
    assert ingest.counts["duplicate"] == 1


async def test_growing_and_partial_files_wait(tmp_path, core, ingest):
    tmp_path = tmp_path / "inbox"  # the Core's database lives in tmp_path itself
    tmp_path.mkdir()
    inbox = CapInbox(ingest, tmp_path, poll=0.05)
    doc = cap_doc()
    (tmp_path / "slow.xml").write_bytes(doc[:100])
    (tmp_path / "feed.xml.part").write_bytes(doc)
    (tmp_path / ".hidden.xml").write_bytes(doc)
    assert await inbox.scan_once() == 0  # first sight: not taken yet
    with open(tmp_path / "slow.xml", "ab") as f:
        f.write(doc[100:])
    os.utime(tmp_path / "slow.xml", ns=(1, 1))  # a change of mtime alone also counts as "still moving"
    assert await inbox.scan_once() == 0
    assert await inbox.scan_once() == 1  # unchanged since the previous poll: complete
    assert names(tmp_path / "done") == ["slow.xml"]
    assert await inbox.scan_once() == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [".hidden.xml", "feed.xml.part"]
    assert core.get("alerts", core.all("alerts")[0]["id"])["status"] == "active"


async def test_symlink_is_not_followed(tmp_path, core, ingest):
    tmp_path = tmp_path / "inbox"  # the Core's database lives in tmp_path itself
    tmp_path.mkdir()
    (tmp_path / "passwd.xml").symlink_to("/etc/passwd")
    inbox = CapInbox(ingest, tmp_path, poll=0.05)
    assert await inbox.scan_once() == 1
    assert (tmp_path / "rejected" / "passwd.xml").is_symlink()
    (row,) = quarantine_rows(core.db_path)
    assert "not a regular file (symlink)" in row["reason"] and row["payload_len"] == 0


async def test_a_failed_move_is_logged_and_retried_never_lost(tmp_path, core, ingest, caplog):
    tmp_path = tmp_path / "inbox"  # the Core's database lives in tmp_path itself
    tmp_path.mkdir()
    (tmp_path / "done").write_text("a file where the folder should be")
    inbox = CapInbox(ingest, tmp_path, poll=0.05)
    inbox.retry_after = 0.0
    (tmp_path / "a.xml").write_bytes(cap_doc())
    await inbox.scan_once()
    assert await inbox.scan_once() == 1
    assert (tmp_path / "a.xml").exists() and inbox.processed == 0
    assert "not moved" in inbox.errors[-1] and "not moved" in caplog.text
    os.unlink(tmp_path / "done")
    await inbox.scan_once()  # retried: ingested again (a duplicate now), then moved
    assert names(tmp_path / "done") == ["a.xml"] and inbox.processed == 1
    assert ingest.counts == {"accepted": 1, "duplicate": 1}


async def test_name_collision_keeps_both_files(tmp_path, core, ingest):
    tmp_path = tmp_path / "inbox"  # the Core's database lives in tmp_path itself
    tmp_path.mkdir()
    inbox = CapInbox(ingest, tmp_path, poll=0.05)
    for _ in range(2):
        (tmp_path / "same.xml").write_bytes(b"not xml")
        await inbox.scan_once()
        await inbox.scan_once()
    assert names(tmp_path / "rejected") == ["same.xml", "same.xml.1"]


async def post(port: int, body: bytes, path: str = "/cap", method: str = "POST") -> tuple[int, dict]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), WAIT)
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(payload)


async def test_http_post(core, ingest):
    server = await serve_http(ingest, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        status, body = await post(port, cap_doc())
        assert status == 202 and body["outcome"] == "accepted" and len(body["alert_ids"]) == 1
        assert core.get("alerts", body["alert_ids"][0])["source"] == "cap"
        assert (await post(port, cap_doc()))[1]["outcome"] == "duplicate"
        status, body = await post(port, XXE)
        assert status == 400 and body["outcome"] == "quarantined" and "forbidden DTD" in body["reason"]
        status, body = await post(port, TEN_MB)
        assert status == 413 and "too large" in body["reason"]
        assert (await post(port, b"", path="/other"))[0] == 404
        assert (await post(port, b"", method="PUT"))[0] == 405
        assert len(quarantine_rows(core.db_path)) == 2
    finally:
        server.close()
        await server.wait_closed()


async def test_inbox_refuses_the_store_folder(tmp_path, core, ingest):
    with pytest.raises(ValueError, match="folder of the store"):  # it would move the database away
        CapInbox(ingest, tmp_path)
    assert (tmp_path / "cc.db").exists()
