"""The centre's nats-server: config written by us, supervised; bad set-up gives clear errors."""
from __future__ import annotations

import asyncio
import os
import signal
import socket

import pytest

from backend.federation.links import parse_centres
from backend.federation.natsd import NatsServer, http_get_json, hub_config, leaf_config
from backend.federation.transport import FederationError, FedMessage
from tests.federation.cluster import wait_for
from tests.helpers.proc import freeze


async def test_a_killed_server_is_started_again_with_its_streams(tmp_path):
    server = await NatsServer(hub_config(tmp_path, "city"), tmp_path).start()
    supervisor = asyncio.create_task(server.supervise(interval=0.2))
    try:
        first = server.pid
        os.kill(first, signal.SIGKILL)  # our own child
        await wait_for(lambda: server.pid not in (None, first), 30, "a new nats-server process")
        assert await wait_for(lambda: http_get_json(*server.monitor_url, "/healthz?js-enabled-only=true"), 30,
                              "the new server healthy")
    finally:
        supervisor.cancel()
        await server.stop()


async def test_a_publish_whose_broker_dies_fails_at_once_for_the_retry(tmp_path):
    """The broker takes the publishes and dies before it answers: its answers will never come, and the
    publish says so when the connection drops, not after its 30 s wait (the engine then publishes again)."""
    import time

    from backend.federation.nats_transport import NatsTransport

    server = await NatsServer(hub_config(tmp_path, "city"), tmp_path).start()
    transport = NatsTransport("city", server.url, is_hub=True)
    await transport.start()
    try:
        freeze(server.pid)  # takes the bytes (the socket's buffer), answers nothing
        msgs = [FedMessage("city", i, "tasks", "upsert", f"city-T-{i}", {"title": "t"}, "city", time.time(),
                           target="a") for i in range(1, 6)]
        publish = asyncio.create_task(transport.publish(msgs))
        await asyncio.sleep(0.5)
        assert not publish.done()
        os.kill(server.pid, signal.SIGKILL)  # a stopped process dies too
        with pytest.raises(FederationError, match="connection to the broker dropped with 1 publishes unanswered"):
            await publish
    finally:
        await transport.close()
        await server.stop()


async def test_a_chosen_port_taken_before_the_server_binds_it_is_chosen_again(tmp_path):
    """hub_config picks free ports; another process can take one before nats-server binds it (seen once in the
    full suite: "address already in use", exit 1). A port it chose itself is chosen again; one given is not."""
    config = hub_config(tmp_path / "auto", "city")
    taken = [socket.create_server((config.host, config.port)), socket.create_server((config.host, config.http_port))]
    server = await NatsServer(config, tmp_path / "auto").start()
    try:
        assert config.port not in (s.getsockname()[1] for s in taken)
        assert await http_get_json(*server.monitor_url, "/healthz") is not None
    finally:
        await server.stop()
    given = hub_config(tmp_path / "given", "city", port=taken[0].getsockname()[1])
    assert given.auto_ports == ("http_port",)
    with pytest.raises(RuntimeError, match="exited with 1"):
        await NatsServer(given, tmp_path / "given").start()
    for s in taken:
        s.close()


def test_bad_setup_is_named(tmp_path):
    with pytest.raises(ValueError, match="nats-leaf://"):
        leaf_config(tmp_path, "a", "http://hub:7422")
    bad = tmp_path / "centres.json"
    bad.write_text('[{"id": "Bad Id"}]', encoding="utf-8")
    with pytest.raises(FederationError, match=r"\[0\]\.id"):
        parse_centres(str(bad), "city")
    with pytest.raises(FederationError, match="twice"):
        parse_centres("a,b,a", "city")
    assert [c.id for c in parse_centres("qx, gz", "city")] == ["qx", "gz"]
    with pytest.raises(FederationError, match="not understood"):
        FedMessage.decode(b"{not json")
    with pytest.raises(FederationError, match="bad src"):
        FedMessage.decode(b'{"src":"A B","seq":1,"entity":"alerts","op":"upsert","key":"k","data":{}}')


def test_packs_keep_order_per_target_and_split_by_size():
    from backend.federation import nats_transport as nt
    from backend.federation.transport import decode_pack, encode_pack

    def msg(seq, target="", size=10):
        return FedMessage("city", seq, "tasks", "upsert", f"k{seq}", {"x": "y" * size}, "city", 1.0, target)

    many = [msg(s, t) for s in range(1, 451) for t in ("a", "b")]
    packs = nt._packs(many)
    for t in ("a", "b"):  # every target's messages, in order, in packs of at most PACK_MESSAGES
        mine = [p for p in packs if p[0].target == t]
        assert all(m.target == t for p in mine for m in p) and all(len(p) <= nt.PACK_MESSAGES for p in mine)
        assert [m.seq for p in mine for m in p] == list(range(1, 451))
    assert packs[-1][-1].seq == 450  # the stream's last message holds the highest seq (the outbox cursor)
    big = [msg(s, size=60_000) for s in range(1, 11)]
    parts = nt._encoded(big)
    assert len(parts) > 1 and all(len(raw) <= nt.PACK_BYTES for _p, raw in parts)
    assert [m for p, raw in parts for m in decode_pack(raw)] == big
    assert decode_pack(many[0].encode()) == [many[0]]  # a single message (the earlier format) still reads
    assert decode_pack(encode_pack(many[0:6:2])) == many[0:6:2]


def test_bad_packs_are_named():
    from backend.federation.transport import decode_pack, encode_pack

    def msg(src, seq):
        return FedMessage(src, seq, "alerts", "upsert", "k", {}, src, 1.0)

    with pytest.raises(FederationError, match="mixes sources or is not in seq order"):
        decode_pack(encode_pack([msg("a", 2), msg("a", 1)]))
    with pytest.raises(FederationError, match="mixes sources"):
        decode_pack(encode_pack([msg("a", 1), msg("b", 2)]))
    for raw in (b"[]", b"[1, 2]", b'"text"'):
        with pytest.raises(FederationError, match="not understood"):
            decode_pack(raw)
