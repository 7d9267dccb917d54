"""The backend supervises its relay: spawn, push sources and tokens, health into the store, views audited,
SIGKILL of the backend leaves the wall playing, the next backend adopts the relay, SIGTERM stops it."""
import json
import sqlite3

import psutil
import pytest

from tests.helpers.backend_proc import start_backend
from tests.helpers.wait import wait_until
from tests.helpers.rtsp import TsClient

pytestmark = pytest.mark.rtsp


def camera_record(db, cam_id):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        row = conn.execute("SELECT data FROM events WHERE entity='cameras' AND key=? ORDER BY seq DESC LIMIT 1",
                           (cam_id,)).fetchone()
    finally:
        conn.close()
    return json.loads(row[0]) if row else {}




def test_backend_spawns_adopts_and_stops_its_relay(rtsp_server, tmp_path):
    cams = tmp_path / "cameras.json"
    cams.write_text(json.dumps([{"id": "cam-01", "name": "one", "url": rtsp_server.url("cam-01")}]))
    backend = start_backend(tmp_path, relay=True, cameras=cams)
    relay_pid = None
    try:
        token = backend.session_token("wall_operator")  # the relay takes session tokens only
        state = json.loads((tmp_path / "relay.json").read_text())
        relay_pid = state["pid"]
        url = f"http://127.0.0.1:{backend.relay_port}/cam/cam-01.ts?token={token}"
        viewer = wait_until(lambda: _try_view(url), what="the new user's token pushed to the relay")
        viewer.wait_bytes(100_000)
        rec = wait_until(lambda: camera_record(backend.db, "cam-01").get("state") == "live"
                         and camera_record(backend.db, "cam-01"), what="camera live in the store")
        assert rec["codec"] == "h264" and rec["viewers"] == 1
        wait_until(lambda: [r for r in backend.audit_rows() if r["action"] == "camera.view.start"],
                   what="the view audited while it plays")

        backend.kill()  # SIGKILL: the relay and the viewer carry on
        at_kill = viewer.bytes
        viewer.wait_bytes(at_kill + 100_000)
        assert psutil.pid_exists(relay_pid)

        backend.restart()
        assert "adopted the running relay" in backend.log_tail(80)
        assert json.loads((tmp_path / "relay.json").read_text())["pid"] == relay_pid
        viewer.stop()
        rows = wait_until(lambda: [r for r in backend.audit_rows() if r["action"] == "camera.view"],
                          what="the view audited")
        assert rows[0]["user"].startswith("wall_operator") and rows[0]["role"] == "wall_operator"
        assert rows[0]["args"]["camera"] == "cam-01" and rows[0]["args"]["bytes"] > 100_000
        assert rows[0]["args"]["transport"] == "http"
        assert rows[0]["args"]["duration"] > 0 and rows[0]["args"]["peer"] == "127.0.0.1"
        started = [r for r in backend.audit_rows() if r["action"] == "camera.view.start"]
        assert {(r["user"], r["role"], r["args"]["camera"], r["args"]["stream"], r["args"]["peer"], r["ok"])
                for r in started} == {(rows[0]["user"], "wall_operator", "cam-01", "main", "127.0.0.1", True)}
        assert started[0]["seq"] < rows[0]["seq"] and started[0]["args"]["start"] == rows[0]["args"]["start"]

        backend.stop()  # SIGTERM: no orphan relay
        wait_until(lambda: not psutil.pid_exists(relay_pid) or
                   psutil.Process(relay_pid).status() == psutil.STATUS_ZOMBIE, what="relay gone")
    finally:
        backend.stop()
        if relay_pid and psutil.pid_exists(relay_pid):
            psutil.Process(relay_pid).kill()


def _try_view(url):
    client = TsClient(url, keep=0).start()
    if client.status == 200:
        return client
    client.stop()
    return None
