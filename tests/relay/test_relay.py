"""The relay process end to end: a real gst RTSP server, a real relay, real HTTP viewers, libvlc."""
import json
import signal
import time
import urllib.error
import urllib.request

import psutil
import pytest

from backend.relay.ts import TsScanner
from tests.helpers.rtsp import RtspServer, TsClient, free_port
from tests.helpers.wait import wait_until
from tests.relay.vlc_probe import HeadlessPlayer

pytestmark = pytest.mark.rtsp


def frames_in(data: bytes):
    s = TsScanner()
    chunk, frames = s.feed(bytes(data))
    return s, frames


def ffmpeg_children(pid: int) -> list:
    return [p for p in psutil.Process(pid).children(recursive=True) if p.name() == "ffmpeg"]


def test_sixteen_viewers_one_pull(rtsp_server, relay_factory):
    relay = relay_factory([{"id": "cam-01", "url": rtsp_server.url("cam-01")}])
    viewers = [TsClient(relay.play_url("cam-01"), keep=1 << 20).start() for _ in range(16)]
    try:
        assert all(v.status == 200 for v in viewers)
        for v in viewers:
            v.wait_bytes(200_000)
        health = relay.health("cam-01")
        assert health["state"] == "live" and health["viewers"] == 16
        assert health["pulls"] == 1
        assert len(ffmpeg_children(relay.proc.pid)) == 1
        for v in viewers:  # every viewer got a decodable stream: PAT/PMT, then H.264 starting on a keyframe
            s, frames = frames_in(v.data)
            assert s.codec == "h264" and frames and frames[0].key
    finally:
        for v in viewers:
            v.stop()
    views = wait_until(lambda: len(relay.views()) == 32 and relay.views(), timeout=20,
                       what="16 view starts and 16 ends")
    assert {v["user"] for v in views} == {"tester"}
    starts = [v for v in views if v["event"] == "start"]
    ends = [v for v in views if v["event"] == "end"]
    assert len(starts) == len(ends) == 16
    assert all(v["end"] is None and v["peer"] == "127.0.0.1" and v["transport"] == "http" for v in starts)
    assert all(v["bytes"] > 0 and v["end"] >= v["start"] and v["stream"] == "main" and v["peer"] == "127.0.0.1"
               for v in ends)
    assert {v["start"] for v in starts} == {v["start"] for v in ends}  # each end pairs with its start


@pytest.mark.parametrize("clip,codec,transcoded", [("h264-test", "h264", False), ("h265-test", "hevc", False),
                                                   ("mjpeg-test", "h264 (transcoded from mjpeg)", True)])
def test_codecs_pass_through_or_are_transcoded_and_libvlc_decodes(rtsp_server, relay_factory, clip, codec,
                                                                  transcoded):
    relay = relay_factory([{"id": "c", "url": rtsp_server.url(clip)}])
    with HeadlessPlayer(relay.play_url("c")) as player:
        player.wait_frames(10)
        # the rates come from the relay's scan over at least 0.5 s (it runs 4 times a second in a pull's
        # first 2 s): a pull that is live at once (a camera analysed for 0.5 s gives its first ~12 frames in
        # one write) can have 10 frames decoded before that scan (CI once read fps 0.0 here)
        health = wait_until(lambda: (h := relay.health("c"))["fps"] > 0 and h, timeout=5, what="the pull's rates")
    assert health["codec"] == codec and health["transcoded"] is transcoded
    assert health["state"] == "live" and health["fps"] > 0 and health["bitrate_kbps"] > 0


def test_main_and_sub_streams_are_two_sources(rtsp_server, relay_factory):
    relay = relay_factory([{"id": "cam", "url": rtsp_server.url("cam-01"), "sub_url": rtsp_server.url("cam-02")}])
    with TsClient(relay.play_url("cam", "sub")) as sub:
        sub.wait_bytes(50_000)
        health = relay.health("cam")
        assert health["sub"]["state"] == "live" and health["sub"]["viewers"] == 1
        assert health["state"] == "idle"  # the main stream is not pulled for a sub viewer
    assert relay.views()[0]["stream"] == "sub"


def test_gop_cache_gives_a_new_viewer_a_keyframe_at_once(rtsp_server, relay_factory):
    relay = relay_factory([{"id": "cam-03", "url": rtsp_server.url("cam-03")}])
    with TsClient(relay.play_url("cam-03")) as first:
        first.wait_bytes(100_000)
        relay.wait_state("cam-03", "live")
        wait_until(lambda: relay.health("cam-03")["gop_bytes"] > 0, timeout=20, what="a cached GOP")
        with TsClient(relay.play_url("cam-03"), keep=200_000) as late:
            late.wait_bytes(20_000)
            s, frames = frames_in(late.data[:20_000])
            assert s.pat and s.pmt and frames and frames[0].key  # starts with PAT, PMT, keyframe


def test_camera_lost_and_back_without_restarting_viewers(rtsp_clips, relay_factory, tmp_path):
    server = RtspServer(rtsp_clips, port=free_port(), log=tmp_path / "rtsp.log").start()
    try:
        relay = relay_factory([{"id": "cam-02", "url": server.url("cam-02")}],
                              settings={"linger_s": 60})
        with TsClient(relay.play_url("cam-02"), keep=0) as viewer, HeadlessPlayer(relay.play_url("cam-02")) as vlc:
            vlc.wait_frames(10)
            relay.wait_state("cam-02", "live")
            server.kill()
            lost = relay.wait_state("cam-02", "lost", timeout=10)  # the relay's own threshold is 1.5 s
            assert lost["error"]
            before_bytes, before_frames = viewer.bytes, vlc.decoded()
            server.start()
            relay.wait_state("cam-02", "live", timeout=30)
            viewer.wait_bytes(before_bytes + 100_000)  # the same HTTP connection carries the new pull
            vlc.wait_frames(before_frames + 25)  # and the same libvlc player decodes it
            assert relay.health("cam-02")["reconnects"] >= 1
    finally:
        server.stop()


def test_a_camera_that_goes_silent_is_lost_while_its_pull_runs_and_live_when_it_sends_again(
        rtsp_clips, relay_factory, tmp_path):
    """The RTSP server frozen (SIGSTOP): the connection stays open and nothing comes, so ffmpeg does not end;
    the pump finds the pipe quiet and the camera is lost ("no_data"). Thawed, the same pull goes on."""
    server = RtspServer(rtsp_clips, port=free_port(), log=tmp_path / "rtsp.log").start()
    try:
        relay = relay_factory([{"id": "cam-03", "url": server.url("cam-03")}], settings={"linger_s": 60})
        with TsClient(relay.play_url("cam-03"), keep=0) as viewer:
            relay.wait_state("cam-03", "live")
            pulls = relay.health("cam-03")["pulls"]
            server.proc.send_signal(signal.SIGSTOP)
            try:
                lost = relay.wait_state("cam-03", "lost", timeout=10)
            finally:
                server.proc.send_signal(signal.SIGCONT)
            assert lost["error_code"] == "no_data" and "no data from the camera" in lost["error"]
            before = viewer.bytes
            relay.wait_state("cam-03", "live", timeout=30)
            viewer.wait_bytes(before + 100_000)
            assert relay.health("cam-03")["pulls"] == pulls  # the same ffmpeg: it was never restarted
    finally:
        server.stop()


@pytest.mark.parametrize("native", ["1", "0"], ids=["c-lane", "python"])
def test_slow_viewer_is_dropped_without_stalling_the_others(rtsp_server, relay_factory, monkeypatch, native):
    monkeypatch.setenv("CC_RELAY_NATIVE", native)  # the relay's hot path in C, and without it
    relay = relay_factory([{"id": "mj", "url": rtsp_server.url("mjpeg-test")}],
                          settings={"max_queue_bytes": 150_000, "sndbuf": 32_768})
    with TsClient(relay.play_url("mj"), keep=0) as fast, \
            TsClient(relay.play_url("mj"), read=False, rcvbuf=4096) as slow:
        fast.wait_bytes(100_000, timeout=30)
        views = wait_until(lambda: [v for v in relay.views() if v["reason"] == "too_slow"], timeout=60,
                           what="the slow viewer dropped")
        assert len(views) == 1
        at_drop = fast.bytes
        fast.wait_bytes(at_drop + 100_000)  # the fast one kept going
        assert relay.health("mj")["viewers"] == 1
        assert not fast.closed.is_set()
        assert slow.status == 200


def test_bad_sources_give_a_clear_state_not_a_crash(rtsp_clips, rtsp_server, relay_factory, tmp_path):
    locked = RtspServer(rtsp_clips, user="admin", password="right", log=tmp_path / "locked.log").start()
    try:
        relay = relay_factory([
            {"id": "nope", "url": rtsp_server.url("no-such-clip")},
            {"id": "refused", "url": f"rtsp://127.0.0.1:{free_port()}/x"},
            {"id": "wrongpw", "url": locked.url("cam-01", "admin", "wrong")},
            {"id": "rightpw", "url": locked.url("cam-01", "admin", "right")},
            {"id": "garbage", "url": "notaprotocol://??"},
        ])
        clients = [TsClient(relay.play_url(c), keep=0).start() for c in ("nope", "refused", "wrongpw", "garbage")]
        try:
            assert relay.wait_state("nope", "lost")["error_code"] == "not_found"
            assert relay.wait_state("refused", "lost")["error_code"] == "refused"
            wrong = relay.wait_state("wrongpw", "lost")
            assert wrong["error_code"] == "unauthorized"
            assert relay.wait_state("garbage", "lost")["error_code"] in ("bad_source", "not_found")
            with TsClient(relay.play_url("rightpw")) as ok:
                ok.wait_bytes(50_000)
            text = json.dumps(relay.health()) + relay.log.read_text()
            assert "wrong" not in text.replace("wrongpw", "") and "right" not in text.replace("rightpw", "")
            assert all(c.status == 200 and not c.closed.is_set() for c in clients)  # viewers wait, not crash
        finally:
            for c in clients:
                c.stop()
        assert relay.proc.poll() is None
    finally:
        locked.stop()


def _status(url: str, method: str = "GET", headers=None, data=None) -> tuple[int, dict]:
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_tokens_secret_and_bad_config(rtsp_server, relay_factory):
    relay = relay_factory([{"id": "cam-01", "url": rtsp_server.url("cam-01")}], token="good")
    assert _status(relay.base_url + "/health?token=bad")[0] == 401
    assert _status(relay.base_url + "/cam/cam-01.ts")[0] == 401
    assert _status(relay.play_url("cam-99"))[0] == 404
    assert _status(relay.play_url("cam-01") + "&stream=third")[0] == 400
    assert _status(relay.play_url("cam-01", "sub"))[0] == 404  # no sub_url configured
    code, health = _status(relay.base_url + "/health?token=good")
    assert code == 200 and health[0]["id"] == "cam-01" and health[0]["state"] == "idle"
    assert "url" not in json.dumps(health) and "rtsp" not in json.dumps(health)
    assert _status(relay.base_url + "/control/health")[0] == 403
    assert _status(relay.base_url + "/control/health", headers={"X-Relay-Secret": "nope"})[0] == 403
    bad = json.dumps({"cameras": [{"id": "x"}]}).encode()
    code, answer = _status(relay.base_url + "/control/config", "POST", {"X-Relay-Secret": relay.secret}, bad)
    assert code == 400 and "url" in answer["error"]
    assert [c["id"] for c in relay.health()] == ["cam-01"]  # old config kept
    code, _ = _status(relay.base_url + "/control/config", "POST", {"X-Relay-Secret": relay.secret}, b"{not json")
    assert code == 400
    assert (relay.state_dir / "relay.json").stat().st_mode & 0o777 == 0o600


def test_pull_stops_after_the_last_viewer_leaves_and_the_other_cameras_go_on(rtsp_server, relay_factory):
    relay = relay_factory([{"id": "cam-04", "url": rtsp_server.url("cam-04")},
                           {"id": "cam-03", "url": rtsp_server.url("cam-03")}], settings={"linger_s": 1})
    with TsClient(relay.play_url("cam-03"), keep=1 << 16) as other:
        with TsClient(relay.play_url("cam-04")) as v:
            v.wait_bytes(50_000)
            other.wait_bytes(50_000)
            assert len(ffmpeg_children(relay.proc.pid)) == 2
        relay.wait_state("cam-04", "idle", timeout=20)
        wait_until(lambda: len(ffmpeg_children(relay.proc.pid)) == 1, timeout=20, what="the ffmpeg pull gone")
        # the stopped pull's pipe was read by the pump until it was removed: the pump must forget it, not
        # fail on it at its next check for quiet pipes (the C lane once handed its reads back after the
        # removal, and the pump's thread died of a KeyError 1.5 s later: every camera stopped)
        time.sleep(2.5)
        before = other.bytes
        wait_until(lambda: other.bytes > before + 50_000, timeout=10, what="cam-03 still streaming")
        assert relay.health("cam-03")["state"] == "live"


def test_health_long_poll_answers_on_a_change_not_before(rtsp_clips, relay_factory, tmp_path):
    """/control/health/wait (the backend's one health call) answers when what the backend publishes at once
    changed (a viewer, its view record, a lost camera), else after its timeout with the same version."""
    server = RtspServer(rtsp_clips, port=free_port(), log=tmp_path / "rtsp.log").start()
    try:
        relay = relay_factory([{"id": "cam-02", "url": server.url("cam-02")}], settings={"linger_s": 60})

        def wait(after, timeout):
            t0 = time.monotonic()
            answer = relay.control("GET", f"/control/health/wait?after={after}&timeout={timeout}")
            return answer, time.monotonic() - t0

        first, _ = wait(-1, 10)  # no version yet: at once
        assert first["cameras"][0]["id"] == "cam-02" and first["cameras"][0]["state"] == "idle"
        with TsClient(relay.play_url("cam-02"), keep=0) as viewer:
            viewer.wait_bytes(50_000)
            joined, took = wait(first["version"], 20)  # already changed: at once
            assert joined["version"] > first["version"] and joined["views"] > first["views"] and took < 5
            relay.wait_state("cam-02", "live")
            steady = wait(-1, 10)[0]["version"]
            same, took = wait(steady, 1.5)  # a live camera's rates change, nothing published at once does
            assert same["version"] == steady and took >= 1.4 and same["cameras"][0]["viewers"] == 1
            server.kill()
            version, state = steady, "live"
            deadline = time.monotonic() + 15
            while state != "lost" and time.monotonic() < deadline:
                answer, took = wait(version, 15)
                assert answer["version"] > version and took < 14  # each answer is a change, not a timeout
                version, state = answer["version"], answer["cameras"][0]["state"]
            assert state == "lost"
        for bad in ("after=x", "timeout=soon"):
            with pytest.raises(urllib.error.HTTPError) as err:
                relay.control("GET", f"/control/health/wait?{bad}")
            assert err.value.code == 400
    finally:
        server.stop()
