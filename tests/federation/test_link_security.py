"""Leaf links with TLS (a certificate of the federation CA) and a password per sub-centre: the right
bundle links and replicates; no TLS, a certificate of another CA, or another centre's password is refused
(the hub stays up, the refusal is in the leaf's log); a sub-centre cannot publish into another's subjects."""
from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest

from backend.federation import pki
from backend.federation.natsd import NatsServer, http_get_json, leaf_config
from tests.federation.cluster import HUB, Cluster, produce, wait_for


@pytest.fixture
async def cluster(tmp_path):
    c = await Cluster(tmp_path, secure=True).start()
    try:
        yield c
    finally:
        await c.stop()


async def _leaf_names(cluster: Cluster) -> set[str]:
    leafz = await http_get_json(*cluster.hub.server.monitor_url, "/leafz") or {}
    return {x.get("name") for x in leafz.get("leafs") or []}


async def test_secured_links_replicate_both_ways(cluster):
    assert "tls" in cluster.hub.server.conf_path.read_text() and "tls" in cluster.leaves["a"].server.conf_path.read_text()
    await produce(cluster.leaves["a"].core, "alerts", "a-A", 200, 5_000)
    await produce(cluster.hub.core, "tasks", f"{HUB}-T", 200, 5_000, {"share": ["a", "b"]})
    await wait_for(lambda: cluster.hub.count("alerts", "a") == 200 and
                   all(leaf.count("tasks", HUB) == 200 for leaf in cluster.leaves.values()), 60, "both ways")


async def _bad_leaf(cluster: Cluster, tmp: Path, name: str, *, tls: pki.TlsFiles | None, password: str,
                    user: str = "") -> tuple[NatsServer, str]:
    """A leaf ``name`` with the given TLS files / password; returns its server and, once it gave up a
    few times, its log (the hub's log is checked for the refusal too)."""
    config = leaf_config(tmp / name, user or name, f"nats-leaf://127.0.0.1:{cluster.hub_config.leaf_listen}")
    config.tls, config.leaf_password = tls, password
    server = await NatsServer(config, tmp / name).start()
    hub_log = cluster.hub.server.log_path
    before = hub_log.read_text(errors="replace") if hub_log.exists() else ""
    await wait_for(lambda: len(hub_log.read_text(errors="replace")) > len(before) and
                   ("ERR" in hub_log.read_text(errors="replace")[len(before):]
                    or "error" in hub_log.read_text(errors="replace")[len(before):].lower()), 30, "a refusal at the hub")
    await asyncio.sleep(1.0)  # several attempts (250 ms apart): none may link
    return server, hub_log.read_text(errors="replace")[len(before):]


async def test_a_leaf_without_tls_another_ca_or_another_password_is_refused(cluster, tmp_path):
    bundle_a = pki.load_bundle(cluster.pki / pki.LEAVES / "a")
    bundle_b = pki.load_bundle(cluster.pki / pki.LEAVES / "b")
    other = tmp_path / "other-ca"
    pki.hub_pki(other)
    stranger = pki.load_bundle(pki.issue(other, "a"))  # the right name, signed by another CA
    cases = {
        "no TLS": dict(tls=None, password=bundle_a.password),
        "another CA": dict(tls=pki.TlsFiles(stranger.files.cert, stranger.files.key, bundle_a.files.ca),
                           password=bundle_a.password),
        "b's password": dict(tls=bundle_a.files, password=bundle_b.password),
        "no password": dict(tls=bundle_a.files, password=""),
    }
    for i, (what, kw) in enumerate(cases.items()):
        server, log = await _bad_leaf(cluster, tmp_path / f"bad{i}", "a", **kw)
        try:
            assert server.pid is not None and server._proc.returncode is None, what  # the leaf stays up
            assert cluster.hub.server._proc.returncode is None, what  # so does the hub
            names = await _leaf_names(cluster)
            assert names == {"a", "b"}, f"{what}: linked as {names}"  # only the two proper links
            assert cluster.hub.transport is not None and (await cluster.hub.transport.links())["a"].up
            if what in ("b's password", "no password"):
                assert "authentication" in log.lower(), (what, log[-500:])
                assert "Authorization Violation" in server.link_error(), what  # the leaf's link detail
            else:
                assert "TLS" in log or "tls" in log, (what, log[-500:])
                assert server.link_error(), what  # handshake error / connection closed
        finally:
            await server.stop()


async def test_a_subcentre_cannot_publish_into_another_centres_subjects(cluster):
    """A client on sub-centre a's own nats-server publishes into b's down subject, the city's DOWN stream
    and b's JetStream API: nothing crosses the link (the permissions of a's link user)."""
    a, b = cluster.leaves["a"], cluster.leaves["b"]
    nc = await nats.connect(a.server.url)
    try:
        hub_js = cluster.hub.transport._js
        before = (await hub_js.stream_info("DOWN")).state.messages
        forged = b'{"src":"city","seq":999999,"entity":"tasks","op":"upsert","key":"city-T-forged",' \
                 b'"data":{"title":"forged"},"owner":"city","ts":1,"target":"b"}'
        for subject in ("fed.down.b", "fed.up.b", "fed.down.a"):
            await nc.publish(subject, forged)
        with pytest.raises(Exception):  # no responder over the link: b's JetStream API is not reachable
            await nc.request("$JS.b.API.STREAM.DELETE.UP_b", b"", timeout=2)
        for subject in ("$JS.hub.API.STREAM.DELETE.UP", "$JS.hub.API.STREAM.INFO.DOWN",
                        "$JS.hub.API.CONSUMER.CREATE.DOWN.spy",  # unfiltered: everyone's down traffic
                        "$JS.hub.API.CONSUMER.CREATE.DOWN.spy.fed.down.b"):  # b's
            with pytest.raises(Exception):
                await nc.request(subject, b'{"stream_name":"DOWN","config":{"name":"spy",'
                                          b'"filter_subject":"fed.down.b"}}', timeout=2)
        await nc.flush()
        # a marker through the proper path, after the forgeries: once it is there, they would be too
        await cluster.hub.core.publish([__import__("backend.core", fromlist=["Change"]).Change(
            "tasks", "upsert", "city-T-marker", {"title": "marker", "share": ["b"]})], "test")
        await wait_for(lambda: b.core.get("tasks", "city-T-marker") is not None, 60, "the marker at b")
        assert b.core.get("tasks", "city-T-forged") is None
        assert (await hub_js.stream_info("DOWN")).state.messages == before + 1  # the marker only
        assert [c.name for c in await hub_js.consumers_info("DOWN") if c.name == "spy"] == []
        nb = await nats.connect(b.server.url)
        try:
            assert (await nb.jetstream(domain="b").stream_info("UP_b")).config.name == "UP_b"
        finally:
            await nb.close()
        assert (await cluster.hub.transport._js.stream_info("UP")).config.name == "UP"  # not deleted by a
    finally:
        await nc.close()
