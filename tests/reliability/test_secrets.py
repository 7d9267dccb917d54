"""Camera and device passwords: sealed in the database, never in a frame, never in a log."""
import asyncio
import json
import os
import sqlite3
import stat

import pytest

from backend import secrets, store
from backend.core import Core
from tests.helpers.backend_proc import start_backend
from tests.reliability.conftest import Collector

PASSWORD = "S3cret-Pw_9731"
PTZ_PASSWORD = "ptz-Pa55-4412"


def _camera_file(path):
    path.write_text(json.dumps([
        {"id": "gate-1", "name": "东门", "url": f"rtsp://admin:{PASSWORD}@127.0.0.1:9/main",
         "sub_url": f"rtsp://admin:{PASSWORD}@127.0.0.1:9/sub",
         "ptz": {"protocol": "onvif", "host": "127.0.0.1", "user": "admin", "password": PTZ_PASSWORD}},
        {"id": "gate-2", "name": "西门", "url": f"rtsp://op:{PASSWORD}@127.0.0.1:9/2"},
    ], ensure_ascii=False), encoding="utf-8")
    return path


def _files_contain(folder, needle: bytes) -> list[str]:
    hits = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            p = os.path.join(root, name)
            try:
                with open(p, "rb") as fh:
                    if needle in fh.read():
                        hits.append(p)
            except OSError:
                pass
    return hits


async def test_passwords_are_sealed_at_rest_and_never_sent_or_logged(tmp_path):
    cams = _camera_file(tmp_path / "cameras.json")
    (tmp_path / "state").mkdir()
    proc = start_backend(tmp_path / "state", relay=True, cameras=cams)
    try:
        token = proc.token("admin")
        console = await Collector.connect(proc.url, token)
        await console.wait(lambda m: m["type"] == "snapshot")
        play = await asyncio.to_thread(proc.session_token, "admin")  # the relay takes session tokens only
        # a viewer makes the relay pull gate-1 (its URL goes over the control channel to ffmpeg)
        async with asyncio.timeout(60):
            while True:  # the relay learns a new user's token within its sync period
                reader, writer = await asyncio.open_connection("127.0.0.1", proc.relay_port)
                writer.write(f"GET /cam/gate-1.ts?token={play} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                await writer.drain()
                if b" 200 " in await reader.readline():
                    break
                writer.close()
                await asyncio.sleep(0.5)
        async with asyncio.timeout(60):
            while not any(m["type"] == "event" and m["entity"] == "cameras" and m["data"].get("state") != "idle"
                          for m in console.frames):
                await asyncio.sleep(0.2)
        await asyncio.sleep(2)
        writer.close()
        frames = json.dumps(console.frames, ensure_ascii=False)
        await console.close()
    finally:
        proc.stop()
    assert "gate-1" in frames
    assert PASSWORD not in frames and PTZ_PASSWORD not in frames
    state = tmp_path / "state"
    for needle in (PASSWORD, PTZ_PASSWORD):
        hits = [h for h in _files_contain(state, needle.encode()) if not h.endswith("cameras.json")]
        assert not hits, f"{needle} found in {hits}"
    key = state / secrets.KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    conn = sqlite3.connect(state / "cc.db")
    rows = conn.execute("SELECT url, sub_url, ptz FROM camera_sources").fetchall()
    conn.close()
    assert rows and all(secrets.is_sealed(v) for row in rows for v in row if v)


async def test_core_opens_sources_for_the_relay_and_seals_an_older_plain_database(tmp_path):
    db = tmp_path / "cc.db"
    store.create_schema(db)
    conn = store.connect(db)  # a database from before sealing: plain text
    conn.execute("INSERT INTO camera_sources VALUES ('c1', ?, '', ?)",
                 (f"rtsp://u:{PASSWORD}@h/1", json.dumps({"password": PTZ_PASSWORD})))
    conn.close()
    async with Core(db) as core:
        src = core.camera_sources()
        assert src == [{"id": "c1", "url": f"rtsp://u:{PASSWORD}@h/1", "sub_url": "",
                        "ptz": {"password": PTZ_PASSWORD}}]
    raw = open(db, "rb").read() + (open(f"{db}-wal", "rb").read() if os.path.exists(f"{db}-wal") else b"")
    conn = sqlite3.connect(db)
    conn.execute("VACUUM")  # old plain pages are gone only once the file is rewritten
    rows = conn.execute("SELECT url, ptz FROM camera_sources").fetchall()
    conn.close()
    assert all(secrets.is_sealed(v) for v in rows[0])
    del raw
    async with Core(db) as core:  # and it opens again after a restart
        assert core.camera_sources()[0]["ptz"] == {"password": PTZ_PASSWORD}


def test_a_wrong_key_is_a_clear_error_naming_no_secret(tmp_path):
    a = secrets.Sealer(b"a" * 32)
    b = secrets.Sealer(b"b" * 32)
    sealed = a.seal(PASSWORD)
    assert PASSWORD not in sealed and a.open(sealed) == PASSWORD
    with pytest.raises(secrets.SecretError) as exc:
        b.open(sealed)
    assert PASSWORD not in str(exc.value)
    (tmp_path / secrets.KEY_FILE).write_text("not a key\n")
    with pytest.raises(secrets.SecretError, match="not a key"):
        secrets.load_key(tmp_path)
