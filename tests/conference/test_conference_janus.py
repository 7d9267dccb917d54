"""Janus run by our JanusProcess (own config, loopback) and driven by our JanusClient: rooms, errors, restart."""
from __future__ import annotations

import asyncio
import shutil

import pytest

from backend.conference.janus_api import JanusClient, JanusError
from backend.conference.janus_proc import JanusProcess, JanusStartError

pytestmark = pytest.mark.skipif(shutil.which("janus") is None, reason="Debian package janus not installed")


@pytest.fixture
async def janus(tmp_path):
    proc = JanusProcess(tmp_path / "janus", rtp_port_range="30000-30999")
    await proc.start()
    try:
        yield proc
    finally:
        await proc.stop()


async def test_config_is_loopback_only_and_admin_off(janus):
    ws = (janus.conf_dir / "janus.transport.websockets.jcfg").read_text()
    assert 'ws_ip = "127.0.0.1"' in ws and "admin_ws = false" in ws
    main = (janus.conf_dir / "janus.jcfg").read_text()
    assert "libjanus_http.so" in main  # the HTTP transport (and its admin API) is disabled
    async with JanusClient(janus.ws_url) as client:
        info = await client.info()
    assert set(info["transports"]) == {"janus.transport.websockets"}
    assert {"janus.plugin.videoroom", "janus.plugin.streaming"} <= set(info["plugins"])


async def test_create_and_destroy_a_videoroom(janus):
    async with JanusClient(janus.ws_url) as client:
        session = await client.create_session()
        handle = await session.attach("janus.plugin.videoroom")
        # without the admin key, nobody creates rooms
        with pytest.raises(JanusError) as refused:
            await handle.request({"request": "create", "room": "CS-0001", "secret": "s3", "pin": "p1",
                                  "admin_key": "guess"})
        assert refused.value.code == 433  # JANUS_VIDEOROOM_ERROR_UNAUTHORIZED
        created = await handle.request({"request": "create", "room": "CS-0001", "secret": "s3", "pin": "p1",
                                        "admin_key": janus.room_admin_key, "publishers": 16})
        assert created["videoroom"] == "created" and created["room"] == "CS-0001"
        assert (await handle.request({"request": "exists", "room": "CS-0001"}))["exists"] is True
        # the secret guards destroy; a wrong one is a clear JanusError
        with pytest.raises(JanusError) as wrong:
            await handle.request({"request": "destroy", "room": "CS-0001", "secret": "nope"})
        assert wrong.value.code == 433  # JANUS_VIDEOROOM_ERROR_UNAUTHORIZED
        await handle.request({"request": "destroy", "room": "CS-0001", "secret": "s3"})
        assert (await handle.request({"request": "exists", "room": "CS-0001"}))["exists"] is False
        await handle.detach()
        await session.destroy()


async def test_unknown_session_is_a_janus_error(janus):
    async with JanusClient(janus.ws_url) as client:
        with pytest.raises(JanusError) as exc:
            await client.call({"janus": "attach", "session_id": 12345, "plugin": "janus.plugin.videoroom"})
        assert exc.value.code == 458  # JANUS_ERROR_SESSION_NOT_FOUND


async def test_janus_killed_is_restarted_and_answers_again(janus):
    restarted = asyncio.Event()

    async def on_restart():
        restarted.set()

    janus.on_restart(on_restart)
    client = await JanusClient(janus.ws_url).connect()
    session = await client.create_session()
    handle = await session.attach("janus.plugin.videoroom")
    janus.kill()
    event = await handle.next_event(timeout=10)
    assert event["janus"] == "lost"  # waiting code hears of it instead of hanging
    await client.close()
    await asyncio.wait_for(restarted.wait(), 30)
    assert janus.restarts == 1 and janus.running
    async with JanusClient(janus.ws_url) as again:
        assert (await again.info())["name"]


async def test_missing_binary_is_a_clear_error(tmp_path):
    with pytest.raises(JanusStartError, match="not found"):
        await JanusProcess(tmp_path / "j", binary="/nonexistent/janus").start()


async def test_a_janus_left_by_a_dead_backend_is_ended_when_the_next_one_starts(tmp_path):
    """A backend killed outright leaves its Janus behind: it gets SIGTERM (die_with_parent), logs "Bye!" and
    may then hang for good (seen under the tests: such a Janus outlived its test by 40 minutes). The next
    JanusProcess on the same folder ends it; a pid file naming some other process is left alone."""
    import os
    from pathlib import Path

    first = JanusProcess(tmp_path / "janus", rtp_port_range="31000-31999")
    await first.start()
    left = first.pid
    first._watch.cancel()  # its backend is gone: nobody supervises it, nobody stops it

    def alive(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[-1][:1] != "Z"
        except OSError:
            return False

    second = JanusProcess(tmp_path / "janus", rtp_port_range="31000-31999")
    await second.start()
    try:
        assert second.pid != left and not alive(left) and alive(second.pid)
        async with JanusClient(second.ws_url) as client:
            assert (await client.info())["name"].lower().startswith("janus")
        assert second.pid_path.read_text() == str(second.pid)
    finally:
        await second.stop()
    assert not second.pid_path.exists()  # a clean stop leaves no pid behind
    second.pid_path.write_text(str(os.getpid()))  # a number now used by another process (this test's)
    third = JanusProcess(tmp_path / "janus", rtp_port_range="31000-31999")
    await third.start()
    await third.stop()
    assert alive(os.getpid())
