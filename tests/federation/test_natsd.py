"""The centre's nats-server: config written by us, supervised; bad set-up gives clear errors."""
from __future__ import annotations

import asyncio
import os
import signal

import pytest

from backend.federation.links import parse_centres
from backend.federation.natsd import NatsServer, http_get_json, hub_config, leaf_config
from backend.federation.transport import FederationError, FedMessage
from tests.federation.cluster import wait_for


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
