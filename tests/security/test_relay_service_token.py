"""The backend's own relay credential (the conference feed's ffmpeg pulls with it): minted in memory by the
relay supervisor, plays and is audited as ``svc:NAME`` with role "service", never stored, and a new backend
start (a new supervisor adopting the same relay) withdraws it. A real Core, relay process and RTSP camera."""
import asyncio

import pytest

from backend import auth, store
from backend.cameras import apply_cameras, parse_cameras
from backend.conference.media_actions import feed_url_maker
from backend.core import Core
from backend.relay.supervisor import RelaySupervisor
from tests.helpers.backend_proc import free_port, read_audit_rows
from tests.helpers.rtsp import TsClient, json_status, rtsp_clips, rtsp_server  # noqa: F401  (pytest fixtures)

pytestmark = pytest.mark.rtsp


async def _until(cond, timeout: float = 60.0, what: str = "condition"):
    async with asyncio.timeout(timeout):
        while not (value := await asyncio.to_thread(cond)):
            await asyncio.sleep(0.2)
    return value


async def test_service_token_plays_is_audited_and_rotates_with_the_backend(rtsp_server, tmp_path):
    db = tmp_path / "cc.db"
    core = await Core(db).start()
    port = free_port()
    sup = RelaySupervisor(core, port=port, state_dir=tmp_path, keep_relay=False)
    viewer = None
    try:
        public, private = parse_cameras([{"id": "cam-01", "name": "one", "url": rtsp_server.url("cam-01")}], "t")
        await apply_cameras(core, public, private)
        await sup.start()
        core.relay_url, core.relay_service_token = sup.base_url, sup.service_token
        feed = await feed_url_maker(core)("cam-01")  # what conference.video_in hands to ffmpeg
        token = feed.split("token=", 1)[1]
        assert feed == f"{sup.base_url}/cam/cam-01.ts?token={token}"
        assert await feed_url_maker(core)("cam-01") != feed  # each maker (each backend start) mints its own
        conn = store.connect(db)
        enrolment = auth.add_user(conn, "kiosk", "wall_operator")
        assert [name for (name,) in conn.execute("SELECT name FROM users")] == ["kiosk"]  # no service user
        assert token.encode() not in db.read_bytes()
        conn.close()

        health = f"{sup.base_url}/health?token="
        assert await asyncio.to_thread(json_status, health + token) == 200
        assert await asyncio.to_thread(json_status, health + enrolment) == 401  # no session: no video
        viewer = await asyncio.to_thread(lambda: TsClient(feed).start())
        assert viewer.status == 200
        await asyncio.to_thread(viewer.wait_bytes, 50_000)
        rows = await _until(lambda: [r for r in _audit(core) if r["action"] == "camera.view.start"],
                            what="the feed's view audited")
        assert (rows[0]["user"], rows[0]["role"], rows[0]["ok"]) == ("svc:conference-feed", "service", True)
        assert rows[0]["args"]["camera"] == "cam-01"

        await sup.stop(keep_relay=True)  # the backend restarts; the next one adopts the relay
        sup = RelaySupervisor(core, port=port, state_dir=tmp_path, keep_relay=False)
        await sup.start()
        assert sup.adopted
        assert await asyncio.to_thread(json_status, health + token) == 401  # rotated: the old one is gone
        assert await asyncio.to_thread(json_status, health + sup.service_token("conference-feed")) == 200
    finally:
        if viewer is not None:
            viewer.stop()
        await sup.stop()
        await core.close()


def _audit(core) -> list[dict]:
    return read_audit_rows(core.db_path)
