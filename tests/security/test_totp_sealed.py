"""TOTP secrets at rest: sealed with the camera-secret key (AES-GCM, bound to the user), plaintext rows
from an older database sealed at start, never logged or sent; a wrong key stops the backend with a clear error."""
import asyncio
import base64
import os
import sqlite3

import pytest

from backend import secrets
from tests.helpers.backend_proc import start_backend
from tests.security.conftest import enrol, fresh_code, login


def _db_bytes(proc) -> bytes:
    return b"".join(p.read_bytes() for p in proc.db.parent.glob("cc.db*"))


def _stored(proc, name: str) -> str:
    conn = sqlite3.connect(f"file:{proc.db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute("SELECT totp_secret FROM users WHERE name = ?", (name,)).fetchone()[0]
    finally:
        conn.close()


async def test_totp_secret_is_sealed_at_rest_and_login_still_works(tmp_path):
    proc = start_backend(tmp_path)
    try:
        totp, used = enrol(proc, "wang", "duty_officer"), set()
        assert secrets.is_sealed(_stored(proc, "wang"))
        ok, ws = await login(proc.url, "wang", fresh_code(totp, used))
        assert ok["type"] == "auth_ok"
        frames = []
        async with asyncio.timeout(30):
            async for raw in ws:
                frames.append(raw)
                if '"snapshot"' in raw:
                    break
        await ws.close()
        proc.cli("user", "logout", "wang")
        assert totp.secret not in "".join(frames)  # never sent
    finally:
        proc.stop()
    assert totp.secret.encode() not in _db_bytes(proc)  # nor in the database, its WAL or journal
    assert totp.secret not in proc.log.read_text("utf-8", "replace")  # nor logged


async def test_plaintext_secrets_of_an_older_database_are_sealed_at_start(tmp_path):
    proc = start_backend(tmp_path)
    totp, used = enrol(proc, "li", "wall_operator"), set()
    proc.stop()
    conn = sqlite3.connect(proc.db)  # as written before sealing existed
    conn.execute("UPDATE users SET totp_secret = ? WHERE name = 'li'", (totp.secret,))
    conn.commit()
    conn.close()
    proc.start()
    try:
        stored = _stored(proc, "li")
        assert secrets.is_sealed(stored) and totp.secret not in stored
        ok, ws = await login(proc.url, "li", fresh_code(totp, used))
        assert ok["type"] == "auth_ok"
        await ws.close()
        # bound to its user: the sealed value copied to another user's row does not open there
        sealer = secrets.Sealer.for_state_dir(tmp_path)
        assert sealer.open_totp("li", stored) == totp.secret
        with pytest.raises(secrets.SecretError):
            sealer.open_totp("wang", stored)
    finally:
        proc.stop()
    conn = sqlite3.connect(proc.db)
    try:
        conn.execute("VACUUM")  # free pages may still hold the old plaintext row until rewritten
    finally:
        conn.close()
    assert totp.secret.encode() not in _db_bytes(proc)


def test_a_wrong_key_stops_the_backend_with_a_clear_error(tmp_path):
    proc = start_backend(tmp_path)
    enrol(proc, "chen", "duty_officer")
    proc.stop()
    key = tmp_path / "secrets.key"
    good = key.read_bytes()
    key.write_bytes(base64.b64encode(os.urandom(32)) + b"\n")
    with pytest.raises(RuntimeError) as info:
        proc.start()
    assert "exited with 2" in str(info.value)
    assert "do not open with this secrets.key" in str(info.value) and "chen" in str(info.value)
    key.write_bytes(good)  # the right key back: the backend starts again
    proc.start()
    proc.stop()
