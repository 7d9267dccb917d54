"""Enrolment tokens (``cc-backend user add``) over a real hub: exchanged at auth for a session token that
expires like a password session; the client re-authenticates transparently; revoke and replace."""
import asyncio
import time

import pytest

from backend_client import protocol
from backend_client.client import AUTH_FAILED, HubClient
from tests.helpers.backend_proc import start_backend
from tests.security.conftest import closed, first_answer


@pytest.fixture
def hub(tmp_path):
    proc = start_backend(tmp_path, extra_args=["--session-ttl", "3"])
    try:
        yield proc
    finally:
        proc.stop()


async def test_an_enrolment_token_gives_an_expiring_session(hub):
    token = hub.add_user("wall-kiosk-1", "wall_operator")
    ok, ws = await first_answer(hub.url, protocol.auth(token))
    assert ok["type"] == "auth_ok" and ok["ttl"] == 3 and ok["expires"] > time.time()
    session = ok["session"]
    assert isinstance(session, str) and session != token
    code, reason, frames = await closed(ws, timeout=30)  # idle: the session ends after 3 s
    assert (code, reason, frames[-1]["code"]) == (4001, "session_expired", "session_expired")
    again, ws = await first_answer(hub.url, protocol.auth(session))
    assert again["code"] == "session_expired"
    fresh, ws = await first_answer(hub.url, protocol.auth(token))  # the enrolment token gives a new one
    assert fresh["type"] == "auth_ok" and fresh["session"] not in (session, token)
    await ws.close()
    methods = [(r["args"]["method"], r["ok"], r["detail"]) for r in hub.audit_rows() if r["action"] == "login"]
    assert methods == [("enrolment", True, ""), ("token", False, "session_expired"), ("enrolment", True, "")]
    # only hashes at rest: neither the enrolment token nor a session token is in the database
    data = b"".join(p.read_bytes() for p in hub.db.parent.glob("cc.db*"))
    assert token.encode() not in data and session.encode() not in data


async def test_the_client_reauthenticates_transparently_and_keeps_a_used_session_alive(hub):
    token = hub.add_user("wall-kiosk-2", "wall_operator")
    states: list[str] = []
    lazy = HubClient(hub.url, token, "test", keep_alive=False, on_state=states.append)
    busy = HubClient(hub.url, token, "test")  # refreshes its session at ttl/3 while connected
    lazy.start()
    busy.start()
    try:
        await lazy.wait_online(30)
        await busy.wait_online(30)
        first = lazy.token
        assert first != token and lazy.session["session"] == first
        async with asyncio.timeout(60):  # the idle session expires; the client comes back on its own
            while lazy.connects < 2 or lazy.state != "online":
                await asyncio.sleep(0.1)
        assert AUTH_FAILED not in states and lazy.token not in (first, token)
        await asyncio.sleep(4)  # longer than the ttl: the busy client's session is alive all along
        assert busy.connects == 1 and busy.state == "online"
        assert (await first_answer(hub.url, protocol.auth(busy.token)))[0]["type"] == "auth_ok"
    finally:
        await lazy.close()
        await busy.close()


async def test_revoke_ends_the_sessions_and_a_new_token_replaces_the_old(hub):
    old = hub.add_user("bridge-1", "leader")
    ok, ws = await first_answer(hub.url, protocol.auth(old))
    client = HubClient(hub.url, old, "test")
    client.start()
    try:
        await client.wait_online(30)
        await asyncio.to_thread(hub.cli, "user", "revoke", "bridge-1")
        assert (await closed(ws, 10))[:2] == (4001, "logged_out")
        async with asyncio.timeout(30):  # the client's session ended and its enrolment token is gone
            while client.state != AUTH_FAILED:
                await asyncio.sleep(0.1)
        assert (await first_answer(hub.url, protocol.auth(old)))[0]["code"] == "auth_failed"
        assert (await first_answer(hub.url, protocol.auth(ok["session"])))[0]["code"] in ("auth_failed",
                                                                                         "session_expired")
        listed = hub.cli("user", "list").stdout
        assert "bridge-1\tleader\tenabled\tpassword=no\ttotp=no\ttoken=revoked" in listed
        new = hub.cli("user", "token", "bridge-1").stdout.strip()
        assert len(new) > 30 and new != old
        fresh, ws = await first_answer(hub.url, protocol.auth(new))
        assert fresh["type"] == "auth_ok" and fresh["user"] == "bridge-1"
        await ws.close()
        assert (await first_answer(hub.url, protocol.auth(old)))[0]["code"] == "auth_failed"
    finally:
        await client.close()
    assert hub.cli("user", "revoke", "nobody", check=False).returncode == 1
