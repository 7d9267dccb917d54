"""Direct RTSP (off by default): the decision, the client's capability detector, and the relay's /play answer."""
import json
import urllib.error
import urllib.request

import pytest

from backend.relay.direct import choose_play, direct_allowed
from backend_client import vlc_caps

RELAY = "http://relay:8780/cam/c.ts?token=T"


@pytest.mark.parametrize("relay_wide,camera,expected", [(False, None, False), (True, None, True),
                                                       (True, False, False), (False, True, True)])
def test_the_camera_setting_wins_over_the_relay_wide_one(relay_wide, camera, expected):
    assert direct_allowed(relay_wide, camera) is expected


def test_direct_url_only_when_allowed_and_the_client_can_play_rtsp():
    src = "rtsp://admin:pw@10.0.0.9/live#transport=udp"
    assert choose_play(src, True, None, True, RELAY) == ("rtsp-direct", "rtsp://admin:pw@10.0.0.9/live")
    assert choose_play(src, True, None, False, RELAY) == ("http", RELAY)  # the client has no RTSP client
    assert choose_play(src, False, None, True, RELAY) == ("http", RELAY)  # the setting is off (default)
    assert choose_play(src, True, False, True, RELAY) == ("http", RELAY)  # off for this camera
    assert choose_play("http://cam/x.mjpg", True, True, True, RELAY) == ("http", RELAY)  # not an RTSP source
    assert choose_play("/clips/a.mp4", True, True, True, RELAY) == ("http", RELAY)


def test_detector_says_no_rtsp_client_on_this_machines_libvlc():
    assert vlc_caps.has_rtsp_plugin(["access/libhttp_plugin.so", "access/liblive555_plugin.so"])
    assert vlc_caps.has_rtsp_plugin([r"C:\VLC\plugins\access\liblive555_plugin.dll"])
    assert not vlc_caps.has_rtsp_plugin(["libhttp_plugin.so", "librtp_plugin.so", "libavio_plugin.so"])
    if not vlc_caps.plugin_dirs():
        pytest.skip("no libvlc plugin folder on this machine")
    assert vlc_caps.rtsp_client_available() is False  # Debian 12's libvlc 3.0 has no live555
    assert vlc_caps.play_query() == ""


def test_detector_finds_live555_in_a_plugin_folder(tmp_path):
    (tmp_path / "access").mkdir()
    (tmp_path / "access" / "libhttp_plugin.so").write_bytes(b"")
    assert vlc_caps.rtsp_client_available([tmp_path]) is False
    (tmp_path / "access" / "liblive555_plugin.so").write_bytes(b"")
    assert vlc_caps.rtsp_client_available([tmp_path]) is True
    assert vlc_caps.play_query(True) == "&rtsp=1"
    assert vlc_caps.plugin_dirs({"VLC_PLUGIN_PATH": str(tmp_path)})[0] == tmp_path


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_relay_hands_out_the_camera_url_only_where_allowed_and_records_it(relay_factory):
    cams = [{"id": "a", "url": "rtsp://admin:pw@10.0.0.9/a"},
            {"id": "b", "url": "rtsp://admin:pw@10.0.0.9/b", "direct_rtsp": True}]
    relay = relay_factory(cams)
    play = relay.base_url + "/play/{}?token=test-token{}"
    # deny by default: a user the backend has not named (its role may not see camera credentials) gets the relay
    assert _get(play.format("b", "&rtsp=1")) == (200, {"transport": "http", "url": relay.play_url("b")})
    relay.control("POST", "/control/config", {"direct_users": ["tester"]})
    assert _get(play.format("a", "&rtsp=1")) == (200, {"transport": "http", "url": relay.play_url("a")})
    assert _get(play.format("b", ""))[1]["transport"] == "http"  # the client cannot play RTSP
    assert _get(play.format("b", "&rtsp=1")) == (200, {"transport": "rtsp-direct",
                                                       "url": "rtsp://admin:pw@10.0.0.9/b"})
    assert _get(relay.base_url + "/play/b?token=bad&rtsp=1")[0] == 401
    assert _get(play.format("zz", "&rtsp=1"))[0] == 404
    relay.control("POST", "/control/config", {"settings": {"direct_rtsp": True}})
    assert _get(play.format("a", "&rtsp=1"))[1]["transport"] == "rtsp-direct"
    views = relay.views()
    assert [(v["event"], v["camera"], v["transport"], v["user"], v["peer"]) for v in views] == [
        ("refused", "b", "rtsp-direct", "tester", "127.0.0.1"), ("start", "b", "rtsp-direct", "tester", "127.0.0.1"),
        ("start", "a", "rtsp-direct", "tester", "127.0.0.1")]
    assert "pw" not in relay.log.read_text()  # the URL itself is never logged
