"""The store's play sources on a real backend + relay + RTSP server: the multicast group (lease renewed from
backend_client, so the relay keeps sending past its lease time, and stops after release), HTTP-TS otherwise,
and no direct camera URL on this machine (Debian's libvlc has no RTSP client)."""
from __future__ import annotations

import json
import socket
import time

import pytest

from backend_client import vlc_caps
from backend_client.play_source import PlaySource
from backend_client.store import ClientStore
from tests.backend_client.qt_async import run
from tests.helpers.backend_proc import start_backend
from tests.helpers.rtsp import rtsp_clips, rtsp_server  # noqa: F401  (pytest fixtures)
from tests.relay.test_multicast import group_for_test, join

pytestmark = pytest.mark.rtsp
T = 60_000
LEASE_S = 2.0


class Receiver:
    """A multicast group joined on lo, read without blocking (the qloop must keep running the renewals)."""

    def __init__(self, group: str, port: int):
        self.sock = join(group, port)
        self.sock.setblocking(False)
        self.bytes, self.last, self.max_gap = 0, None, 0.0

    def drain(self) -> int:
        while True:
            try:
                n = len(self.sock.recv(4096))
            except BlockingIOError:
                return self.bytes
            now = time.monotonic()
            if self.last is not None:
                self.max_gap = max(self.max_gap, now - self.last)
            self.bytes, self.last = self.bytes + n, now

    def silent_for(self, seconds: float) -> bool:
        self.drain()
        return self.last is not None and time.monotonic() - self.last > seconds


def test_store_plays_the_multicast_group_and_renews_its_lease(qtbot, qloop, rtsp_server, tmp_path):
    spec = group_for_test()
    group, port = spec.split(":")[0], int(spec.split(":")[1])
    cams = tmp_path / "cameras.json"
    cams.write_text(json.dumps([{"id": "cam-01", "name": "one", "url": rtsp_server.url("cam-01"), "multicast": spec},
                                {"id": "cam-02", "name": "two", "url": rtsp_server.url("cam-02")}]))
    backend = start_backend(tmp_path, relay=True, cameras=cams,
                            extra_args=["--relay-multicast-iface", "127.0.0.1", "--relay-multicast-lease", str(LEASE_S)])
    store, plain, rx = ClientStore(), ClientStore(), None
    try:
        store.use_multicast("lo")  # cc-app --multicast lo
        with qtbot.waitSignal(store.reset, timeout=T):
            store.start(backend.url, backend.token("wall_operator"), "pytest")
        with qtbot.waitSignal(plain.reset, timeout=T):
            plain.start(backend.url, backend.token("wall_operator"), "pytest")
        qtbot.waitUntil(lambda: bool(getattr(store.get("cameras", "cam-01"), "multicast_url", "")), timeout=T)

        rx = Receiver(group, port)
        source = store.play_source("cam-01", holder="tile-1")
        assert source == PlaySource(f"udp://@{group}:{port}", (":miface=lo",), "udp")
        assert store.play_url("cam-01") == source.url  # the legacy call gives the group too
        assert store.play_url("cam-02") == f"{store.relay_url}/cam/cam-02.ts?token={store.token}"  # no group: HTTP
        assert plain.play_url("cam-01") == f"{plain.relay_url}/cam/cam-01.ts?token={plain.token}"  # not configured
        qtbot.waitUntil(lambda: rx.drain() > 50_000, timeout=T)  # the request started the pull and the sender

        started = time.monotonic()  # keep watching for three lease times: the store renews, the relay sends
        qtbot.waitUntil(lambda: rx.drain() and time.monotonic() - started > 3 * LEASE_S, timeout=T)
        assert rx.max_gap < LEASE_S, f"the group paused {rx.max_gap:.1f} s"
        assert store.multicast_leases.renewals[("cam-01", "main")] >= 4

        # no direct camera URL here: this libvlc has no RTSP client, so the store does not even ask
        if vlc_caps.plugin_dirs():
            assert vlc_caps.rtsp_client_available() is False
        assert run(qtbot, store.resolve_play_source("cam-02")).transport == "http"
        # the relay would refuse anyway: direct RTSP is not allowed for this camera
        assert run(qtbot, store.resolve_play_source("cam-02", rtsp_ok=True)).transport == "http"

        store.release_play("cam-01")  # the anonymous holder (play_url) lets go; tile-1 still holds it
        store.release_play("cam-01", holder="tile-1")
        assert store.multicast_leases.held() == []
        qtbot.waitUntil(lambda: rx.silent_for(1.5), timeout=T)  # lease over: the relay stops sending
        qtbot.waitUntil(lambda: any(r["action"] == "camera.view" and r["args"]["transport"] == "udp"
                                    for r in backend.audit_rows()), timeout=T)
        views = [r for r in backend.audit_rows() if r["args"].get("transport") == "udp"]
        assert [(r["action"], r["args"]["peer"]) for r in views][:1] == [("camera.view.start", "127.0.0.1")]
    finally:
        if rx is not None:
            rx.sock.close()
        run(qtbot, store.stop())
        run(qtbot, plain.stop())
        backend.stop()
