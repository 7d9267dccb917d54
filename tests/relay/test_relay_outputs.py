"""The backend drives the relay's outputs: a new session's token plays at once (no 401 before the 2-s sync),
direct camera URLs only for admins and wall operators (audited, also when refused), camera multicast options
and the cc-backend relay options reach the relay, the camera list's output fields are validated."""
import json
import time
import urllib.error
import urllib.request

import pytest

from backend.cameras import CameraListError, parse_cameras
from tests.helpers.backend_proc import start_backend
from tests.helpers.wait import wait_until

pytestmark = pytest.mark.rtsp


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=15) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())




def test_camera_list_output_fields_are_validated():
    base = {"id": "a", "name": "A", "url": "rtsp://u:p@10.0.0.1/a", "sub_url": "rtsp://u:p@10.0.0.1/as"}
    public, _ = parse_cameras([{**base, "multicast": "239.1.1.1:5004", "sub_multicast": "239.1.1.2:5004",
                                "direct_rtsp": True}, {"id": "b", "name": "B", "url": "rtsp://x/b"}], "c.json")
    assert [(c["multicast"], c["sub_multicast"], c["direct_rtsp"]) for c in public] == [
        ("239.1.1.1:5004", "239.1.1.2:5004", True), ("", "", None)]
    for extra, message in (({"multicast": "10.0.0.1:5004"}, "c.json: [0].multicast: 10.0.0.1 is not a multicast"),
                           ({"multicast": "239.1.1.1"}, "c.json: [0].multicast: expected \"GROUP:PORT\""),
                           ({"sub_multicast": "239.1.1.1:70000"}, "c.json: [0].sub_multicast: port"),
                           ({"direct_rtsp": "yes"}, "c.json: [0].direct_rtsp: expected true, false or null")):
        with pytest.raises(CameraListError) as err:
            parse_cameras([{**base, **extra}], "c.json")
        assert str(err.value).startswith(message) and "u:p" not in str(err.value)
    with pytest.raises(CameraListError, match=r"\[1\]\.multicast: 239.1.1.1:5004 is already \[0\]\.multicast"):
        parse_cameras([{**base, "multicast": "239.1.1.1:5004"},
                       {"id": "b", "name": "B", "url": "rtsp://x/b", "multicast": "239.1.1.1:5004"}], "c.json")
    with pytest.raises(CameraListError, match="no sub_url"):
        parse_cameras([{"id": "b", "name": "B", "url": "rtsp://x/b", "sub_multicast": "239.1.1.9:5004"}], "c.json")


def test_bad_relay_options_stop_the_backend_with_a_clear_error(tmp_path):
    from backend.cli import build_parser

    for args, message in ((["--relay-multicast-ttl", "300"], "expected an integer 0..255"),
                          (["--relay-multicast-iface", "nosuch0"], "no network interface named 'nosuch0'"),
                          (["--relay-multicast-range", "10.0.0.0:5004"], "not a multicast group"),
                          (["--relay-batch-ms", "-1"], "expected 0..1000 ms")):
        with pytest.raises(SystemExit):
            build_parser().parse_args(args)
    from backend.relay.options import settings

    parsed = build_parser().parse_args(["--relay-multicast-iface", "lo", "--relay-multicast-ttl", "2",
                                        "--relay-batch-ms", "80", "--relay-direct-rtsp"])
    assert settings(parsed) == {"multicast_iface": "127.0.0.1", "multicast_ttl": 2, "batch_ms": 80.0,
                                "direct_rtsp": True}
    assert settings(build_parser().parse_args([])) == {}


def test_new_sessions_play_at_once_and_direct_urls_go_only_to_allowed_roles(rtsp_server, tmp_path):
    cams = tmp_path / "cameras.json"
    cams.write_text(json.dumps([
        {"id": "cam-01", "name": "one", "url": rtsp_server.url("cam-01"), "direct_rtsp": True},
        {"id": "cam-02", "name": "two", "url": rtsp_server.url("cam-02"), "multicast": "239.255.77.1:5004"}]))
    backend = start_backend(tmp_path, relay=True, cameras=cams,
                            extra_args=["--relay-multicast-range", "239.255.78.0:5004",
                                        "--relay-multicast-iface", "127.0.0.1", "--relay-batch-ms", "60"])
    try:
        relay = f"http://127.0.0.1:{backend.relay_port}"
        wait_until(lambda: (tmp_path / "relay.json").exists(), what="the relay started")
        time.sleep(2.5)  # past the first 2-s sync: the users below are new to the relay
        for role in ("wall_operator", "duty_officer", "admin"):
            token = backend.session_token(role)  # a session opened a moment ago: the relay has not been told yet
            status, body = _get(f"{relay}/health?token={token}")  # the first try plays, no retry
            assert status == 200, (role, body)
        assert _get(f"{relay}/health?token=not-a-token")[0] == 401

        wall, duty = backend.session_token("wall_operator"), backend.session_token("duty_officer")
        status, body = _get(f"{relay}/play/cam-01?token={wall}&rtsp=1")
        assert (status, body) == (200, {"transport": "rtsp-direct", "url": rtsp_server.url("cam-01")})
        status, body = _get(f"{relay}/play/cam-01?token={duty}&rtsp=1")  # a role that may not see credentials
        assert status == 200 and body["transport"] == "http" and body["url"].startswith(relay + "/cam/cam-01.ts")
        assert _get(f"{relay}/play/cam-02?token={wall}&rtsp=1")[1]["transport"] == "http"  # not allowed for it

        rows = wait_until(lambda: [r for r in backend.audit_rows() if r["action"] == "camera.view.start"]
                          if len([r for r in backend.audit_rows() if r["action"] == "camera.view.start"]) >= 2
                          else None, what="the direct URL handed out and the refusal audited")
        assert [(r["role"], r["ok"], r["detail"], r["args"]["camera"], r["args"]["transport"], r["args"]["peer"])
                for r in rows] == [("wall_operator", True, "", "cam-01", "rtsp-direct", "127.0.0.1"),
                                   ("duty_officer", False, "role_not_allowed", "cam-01", "rtsp-direct", "127.0.0.1")]
        assert "rtsp://" not in json.dumps(rows)  # the URL itself is never written to the audit

        # the camera's own group wins; the range gives cam-01 (index 0) its first group; published for clients
        def groups():
            recs = {}
            for cam in ("cam-01", "cam-02"):
                from tests.relay.test_supervisor import camera_record
                recs[cam] = camera_record(backend.db, cam).get("multicast_url")
            return recs if all(recs.values()) else None
        assert wait_until(groups, what="groups published") == {"cam-01": "udp://@239.255.78.0:5004",
                                                                 "cam-02": "udp://@239.255.77.1:5004"}
    finally:
        backend.stop()
