"""HubClient on a scripted hub: gaps and duplicates in the stream, lost answers, 4001 after auth, back-off reset."""
from __future__ import annotations

import asyncio

import pytest

from backend_client.client import AUTH_FAILED, Backoff, CommandFailed, HubClient
from tests.backend_client.scripted_hub import ScriptedHub, auth_ok, until

FAST = dict(backoff=Backoff(start=0.01, cap=0.05), ping_interval=None)


async def test_gap_reconnects_with_since_and_fills_it():
    async def script(s):
        await s.send(**auth_ok(seq=12))
        if s.number == 1:
            await s.send(type="snapshot", seq=10, state={"alerts": []})
            await s.event(11)
            await s.event(13)  # 12 is missing
        else:
            for seq in range(s.auth["since"] + 1, 15):
                await s.event(seq)
        await s.hold()

    async with ScriptedHub(script) as hub:
        seen = []
        client = HubClient(hub.url, "t", on_message=lambda m: seen.append(m.get("seq")) if m["type"] == "event" else None,
                           **FAST)
        client.start()
        try:
            await until(lambda: client.last_seq == 14)
        finally:
            await client.close()
    assert seen == [11, 12, 13, 14]
    assert [s.auth["since"] for s in hub.sessions] == [None, 11]


async def test_duplicates_are_dropped_and_a_late_snapshot_replaces_the_seq():
    async def script(s):
        await s.send(**auth_ok(seq=3))
        await s.send(type="snapshot", seq=3, state={})
        for seq in (4, 5, 4, 5, 6):
            await s.event(seq)
        await s.send(type="snapshot", seq=20, state={})  # a slow client gets a fresh snapshot
        await s.event(21)
        await s.hold()

    async with ScriptedHub(script) as hub:
        client = HubClient(hub.url, "t", **FAST)
        seen = []

        async def consume(messages):
            async for m in messages:
                seen.append((m["type"], m.get("seq")))

        reader = asyncio.create_task(consume(client.messages()))
        client.start()
        await until(lambda: client.last_seq == 21)
        await client.close()
        await asyncio.wait_for(reader, 10)  # close() ends the iterator
    assert seen == [("auth_ok", 3), ("snapshot", 3), ("event", 4), ("event", 5), ("event", 6), ("snapshot", 20), ("event", 21)]
    assert len(hub.sessions) == 1


async def test_pending_command_fails_when_the_link_drops_and_offline_commands_fail_at_once():
    async def script(s):
        await s.send(**auth_ok())
        await s.send(type="snapshot", seq=0, state={})
        if s.number == 1:
            cmd = await s.recv()
            assert cmd["action"] == "alert.ack"
            await s.ws.close()  # no answer
        else:
            await s.hold()

    async with ScriptedHub(script) as hub:
        client = HubClient(hub.url, "t", **FAST)
        with pytest.raises(CommandFailed) as offline:
            await client.command("alert.ack", {"id": "A-1"})
        assert offline.value.code == "offline"
        client.start()
        await client.wait_online(30)
        with pytest.raises(CommandFailed) as lost:
            await client.command("alert.ack", {"id": "A-1"})
        assert lost.value.code == "disconnected" and lost.value.action == "alert.ack"
        await until(lambda: client.connects == 2)
        await client.close()


async def test_command_timeout():
    async def script(s):
        await s.send(**auth_ok())
        await s.send(type="snapshot", seq=0, state={})
        await s.hold()  # never answers

    async with ScriptedHub(script) as hub:
        client = HubClient(hub.url, "t", **FAST)
        client.start()
        await client.wait_online(30)
        with pytest.raises(CommandFailed) as exc:
            await client.command("wall.take", {"layout": "x"}, timeout=0.2)
        assert exc.value.code == "timeout"
        await client.close()


async def test_session_closed_with_4001_after_auth_stops_reconnecting():
    async def script(s):
        await s.send(**auth_ok())
        await s.send(type="snapshot", seq=0, state={})
        await s.ws.close(4001, "token revoked")

    async with ScriptedHub(script) as hub:
        states = []
        client = HubClient(hub.url, "t", on_state=states.append, **FAST)
        task = client.start()
        await asyncio.wait_for(task, 30)  # run() returns: no reconnect loop
        assert client.state == AUTH_FAILED and "token revoked" in client.auth_error
        assert states[-1] == AUTH_FAILED and len(hub.sessions) == 1
        await client.close()


@pytest.mark.parametrize("stable_after, grows", [(0.0, False), (3600.0, True)])
async def test_backoff_resets_only_after_a_stable_connection(stable_after, grows):
    async def script(s):
        await s.send(**auth_ok())
        await s.send(type="snapshot", seq=0, state={})
        await s.ws.close()  # drop every connection right after auth

    async with ScriptedHub(script) as hub:
        backoff = Backoff(start=0.01, cap=0.05)
        client = HubClient(hub.url, "t", backoff=backoff, stable_after=stable_after, ping_interval=None)
        client.start()
        await until(lambda: len(hub.sessions) >= 5)
        await client.close()
    assert (backoff.failures >= 4) is grows


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "nonsense", "ws://"])
def test_a_bad_url_is_refused_at_once(url):
    with pytest.raises(ValueError, match="expected ws://HOST:PORT"):
        HubClient(url, "t")


async def test_a_listener_that_raises_does_not_break_the_session():
    async def script(s):
        await s.send(**auth_ok())
        await s.send(type="snapshot", seq=0, state={})
        await s.event(1)
        await s.send(type="bogus")  # a frame the codec refuses: logged, skipped
        await s.event(2)
        await s.hold()

    def bad(msg):
        raise RuntimeError("listener bug")

    async with ScriptedHub(script) as hub:
        client = HubClient(hub.url, "t", on_message=bad, **FAST)
        client.start()
        await until(lambda: client.last_seq == 2)
        await client.close()
    assert len(hub.sessions) == 1
