"""The hub over a real websocket against a real backend process: auth, snapshot, stream, resume, errors."""
import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from backend_client import protocol
from tests.backend.wsclient import RawClient
from tests.helpers.backend_proc import start_backend

CAMERAS = [
    {"id": "cam-01", "name": "江南街道 丽州路口", "url": "rtsp://admin:secret@10.0.0.1/main",
     "sub_url": "rtsp://admin:secret@10.0.0.1/sub", "lat": 28.9, "lon": 120.05, "township": "330784001",
     "ptz": {"protocol": "pelco-d", "port": "/dev/ttyUSB0", "address": 1}},
    {"id": "cam-02", "name": "西城街道 华丰路", "url": "http://10.0.0.2/live.ts"},
]


def incident(title="仓库火情", **extra):
    return {"title": title, "category": "事故灾难", "grade": 3, **extra}


@pytest.fixture
def cam_backend(tmp_path):
    path = tmp_path / "cameras.json"
    path.write_text(json.dumps(CAMERAS, ensure_ascii=False), encoding="utf-8")
    proc = start_backend(tmp_path, cameras=path)
    try:
        yield proc
    finally:
        proc.stop()


async def test_snapshot_holds_the_state_and_never_a_camera_secret(cam_backend):
    duty = await RawClient.connect(cam_backend.url, cam_backend.token("duty_officer"))
    assert duty.auth["role"] == "duty_officer" and duty.auth["centre"] == "yk"
    assert set(duty.auth["actions"]) >= {"alert.ack", "incident.create", "wall.take", "wall.set_cell"}  # + features
    snap = await duty.recv()
    assert snap["type"] == "snapshot" and snap["seq"] == duty.auth["seq"]
    state = snap["state"]
    assert {"alerts", "incidents", "units", "cameras", "sensors", "walls"} <= set(state)
    cams = {c["id"]: c for c in state["cameras"]}
    assert cams["cam-01"]["name"] == "江南街道 丽州路口" and cams["cam-01"]["has_sub"] and cams["cam-01"]["ptz"]
    assert cams["cam-02"]["has_sub"] is False and cams["cam-02"]["state"] == "idle"
    assert [w["id"] for w in state["walls"]] == ["main"] and state["walls"][0]["layout"] == "daily-duty"
    raw = json.dumps(snap, ensure_ascii=False)
    assert "secret" not in raw and "rtsp://" not in raw and "ttyUSB" not in raw
    assert "secret" not in cam_backend.log_tail(400)

    created = await duty.command("incident.create", incident(township="330784001", lat=28.9, lon=120.0))
    assert created["ok"], created
    await duty.close()
    again = await RawClient.connect(cam_backend.url, cam_backend.token("duty_officer"))
    snap2 = await again.recv()
    assert [i["id"] for i in snap2["state"]["incidents"]] == [created["result"]["id"]]
    inc = snap2["state"]["incidents"][0]
    assert inc["stage"] == "intake" and inc["created_by"] == "duty_officer-1" and inc["centre"] == "yk"
    await again.close()


async def test_change_stream_is_ordered_gap_free_and_results_follow_their_events(backend):
    watcher = await RawClient.connect(backend.url, backend.token("leader"))
    assert (await watcher.recv())["type"] == "snapshot"
    base = watcher.auth["seq"]
    duty = await RawClient.connect(backend.url, backend.token("duty_officer"))
    await duty.recv()
    ids = []
    for i in range(20):
        res = await duty.command("incident.create", incident(f"事件{i}"))
        assert res["ok"], res
        # the sender saw the change event before the result
        assert any(m["type"] == "event" and m["key"] == res["result"]["id"] for m in duty.received)
        ids.append(res["result"]["id"])
    await watcher.wait_seq(base + 20)
    assert watcher.seqs == list(range(base + 1, base + 21))
    assert [m["key"] for m in watcher.received if m["type"] == "event"] == ids
    assert all(m["eid"] == f"yk-{m['seq']}" for m in watcher.received if m["type"] == "event")
    await watcher.close()
    await duty.close()


async def test_resume_after_disconnect_replays_exactly_what_was_missed(backend):
    duty = await RawClient.connect(backend.url, backend.token("duty_officer"))
    await duty.recv()
    follower = await RawClient.connect(backend.url, backend.token("wall_operator"))
    snap = await follower.recv()
    for i in range(5):
        assert (await duty.command("incident.create", incident(f"a{i}")))["ok"]
    await follower.wait_seq(snap["seq"] + 5)
    seen = [snap["seq"]] + follower.seqs
    await follower.close()
    for i in range(7):  # missed while away
        assert (await duty.command("incident.create", incident(f"b{i}")))["ok"]

    back = await RawClient.connect(backend.url, backend.token("wall_operator"), since=seen[-1])
    assert back.auth["seq"] >= seen[-1] + 7
    for i in range(3):  # and live ones after the replay
        assert (await duty.command("incident.create", incident(f"c{i}")))["ok"]
    head = duty.seqs[-1]
    await back.wait_seq(head)
    assert back.snapshot is None  # a replay, not a snapshot
    all_seqs = seen + back.seqs
    assert all_seqs == list(range(seen[0], head + 1))  # no gap, no duplicate

    # since == head: nothing replayed, the stream simply continues
    same = await RawClient.connect(backend.url, backend.token("wall_operator"), since=head)
    assert (await duty.command("incident.create", incident("d")))["ok"]
    first = await same.until(lambda m: m["type"] in ("event", "snapshot"))
    assert first["type"] == "event" and first["seq"] == head + 1
    # since beyond head (another database): a snapshot
    future = await RawClient.connect(backend.url, backend.token("wall_operator"), since=head + 1000)
    assert (await future.recv())["type"] == "snapshot"
    for c in (duty, back, same, future):
        await c.close()


async def test_role_is_checked_and_every_attempt_is_audited(backend):
    leader = await RawClient.connect(backend.url, backend.token("leader"))
    await leader.recv()
    assert not {"alert.ack", "incident.create", "wall.take"} & set(leader.auth["actions"])  # may read/review only
    refused = await leader.command("incident.create", incident("越权"))
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    row = backend.audit_last()
    assert (row["user"], row["role"], row["action"], row["ok"]) == ("leader-1", "leader", "incident.create", False)

    duty = await RawClient.connect(backend.url, backend.token("duty_officer"))
    await duty.recv()
    ok = await duty.command("incident.create", incident("合规"))
    assert ok["ok"] is True
    row = backend.audit_last()
    assert (row["user"], row["action"], row["ok"], row["args"]["title"]) == (
        "duty_officer-2", "incident.create", True, "合规")
    unknown = await duty.command("alert.nuke", {})
    assert unknown["error"]["code"] == "unknown_action"
    missing = await duty.command("alert.ack", {"id": "A-404"})
    assert missing["error"]["code"] == "not_found"
    bad = await duty.command("incident.create", {"title": "x", "category": "外星人", "grade": 3})
    assert bad["error"]["code"] == "bad_args" and "category" in bad["error"]["message"]
    assert [r["ok"] for r in backend.audit_rows() if r["action"] != "login"] == [False, True, False, False, False]
    verify = backend.cli("audit", "verify")
    assert verify.returncode == 0 and f"{len(backend.audit_rows())} rows, OK" in verify.stdout  # 5 commands + logins
    await leader.close()
    await duty.close()


async def test_wall_commands(cam_backend):
    wall = await RawClient.connect(cam_backend.url, cam_backend.token("wall_operator"))
    await wall.recv()
    res = await wall.command("wall.take", {"layout": "cameras-4"})
    assert res["ok"], res
    ev = next(m for m in wall.received if m["type"] == "event" and m["entity"] == "walls")
    assert ev["data"]["layout"] == "cameras-4" and ev["data"]["cells"] == {}
    res = await wall.command("wall.set_cell", {"index": 1, "camera": "cam-02"})
    assert res["ok"] and res["result"]["known"] is True, res
    ev = [m for m in wall.received if m["type"] == "event" and m["entity"] == "walls"][-1]
    assert ev["data"]["cells"] == {"1": {"kind": "camera", "camera": "cam-02"}}
    assert ev["data"]["layout"] == "cameras-4" and ev["actor"] == "wall_operator-1"
    for args, code in (({"layout": "../etc/passwd"}, "bad_args"), ({"layout": "no-such"}, "not_found"),
                       ({"layout": "cameras-4", "wall": "side"}, "not_found")):
        assert (await wall.command("wall.take", args))["error"]["code"] == code
    for args, code in (({"index": 99, "camera": "cam-01"}, "bad_args"), ({"index": 0, "camera": "cam 1/.."}, "bad_args"),
                       ({"index": "0", "camera": "cam-01"}, "bad_args"), ({"index": 0, "camera": 5}, "bad_args")):
        assert (await wall.command("wall.set_cell", args))["error"]["code"] == code
    # a camera not in the list is allowed (the tile shows "no signal"), and said so
    res = await wall.command("wall.set_cell", {"index": 0, "camera": "cam-99"})
    assert res["ok"] and res["result"]["known"] is False
    res = await wall.command("wall.set_cell", {"index": 1, "camera": None})
    assert res["ok"]
    ev = [m for m in wall.received if m["type"] == "event" and m["entity"] == "walls"][-1]
    assert ev["data"]["cells"] == {"0": {"kind": "camera", "camera": "cam-99"}}
    await wall.close()


async def test_wall_screen_gives_the_wall_its_shape_and_a_take_keeps_it(cam_backend):
    """A wall client says its screen size (wall.screen); the record keeps it through a take, the same size
    again publishes nothing, and sizes that are not whole pixels are refused."""
    wall = await RawClient.connect(cam_backend.url, cam_backend.token("wall_operator"))
    await wall.recv()

    def wall_events():
        return [m for m in wall.received if m["type"] == "event" and m["entity"] == "walls"]

    res = await wall.command("wall.screen", {"width": 3840, "height": 1080})
    assert res["ok"] and res["result"] == {"wall": "main", "screen": [3840, 1080]}, res
    assert wall_events()[-1]["data"]["screen"] == [3840, 1080]
    seen = len(wall_events())
    assert (await wall.command("wall.screen", {"width": 3840, "height": 1080}))["ok"]
    assert (await wall.command("wall.take", {"layout": "cameras-4"}))["ok"]
    assert len(wall_events()) == seen + 1  # the take's, none for the unchanged size
    assert wall_events()[-1]["data"]["layout"] == "cameras-4" and wall_events()[-1]["data"]["screen"] == [3840, 1080]
    for args in ({"width": 0, "height": 1080}, {"width": "3840", "height": 1080}, {"width": 1920.5, "height": 1080},
                 {"width": True, "height": 1080}, {"width": 1920}, {"width": 10**6, "height": 1080}):
        bad = await wall.command("wall.screen", args)
        assert bad["error"]["code"] == "bad_args", (args, bad)
    assert (await wall.command("wall.screen", {"width": 1920, "height": 1080, "wall": "side"}))["error"]["code"] \
        == "not_found"
    await wall.close()


async def test_malformed_frames_get_an_error_and_the_connection_stays_usable(backend):
    c = await RawClient.connect(backend.url, backend.token("duty_officer"))
    await c.recv()
    cases = [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_envelope"),
        (json.dumps({"v": 2, "type": "ping"}), "bad_version"),
        (json.dumps({"v": 1, "type": "launch"}), "bad_type"),
        (json.dumps({"v": 1, "type": "command", "id": 7, "action": "alert.ack"}), "bad_field"),
        (json.dumps({"v": 1, "type": "command", "id": "x", "action": "a", "args": [1]}), "bad_field"),
        (json.dumps({"v": 1, "type": "ping", "pad": "x" * 100_000}), "too_large"),
        (b"\x00binary", "bad_json"),
    ]
    for frame, code in cases:
        await c.send_raw(frame)
        err = await c.until(lambda m: m["type"] in ("error", "pong"))
        assert err["type"] == "error" and err["code"] == code, (frame[:40], err)
        await c.send_raw(protocol.encode({"type": "ping"}))
        assert (await c.until(lambda m: m["type"] in ("error", "pong")))["type"] == "pong"
    res = await c.command("incident.create", incident("仍然可用"))
    assert res["ok"]
    await c.close()


async def _closed_with(ws, timeout=30):
    frames = []
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(timeout):
            while True:
                frames.append(json.loads(await ws.recv()))
    return frames, ws.close_code


async def test_a_client_that_never_authenticates_is_closed(tmp_path):
    proc = start_backend(tmp_path, extra_args=["--auth-timeout", "2"])  # 10 s by default
    try:
        async with connect(proc.url) as ws:
            frames, code = await _closed_with(ws)
    finally:
        proc.stop()
    assert code == 4001 and frames[-1]["code"] == "auth_required"
    assert "within 2 s" in frames[-1]["message"]


@pytest.mark.parametrize("first", [
    protocol.encode(protocol.auth("wrong-token")),
    protocol.encode({"type": "ping"}),
    "{garbage",
])
async def test_bad_first_frames_close_the_socket(backend, first):
    async with connect(backend.url) as ws:
        await ws.send(first)
        frames, code = await _closed_with(ws)
    assert code == 4001
    assert frames[-1]["code"] == ("auth_failed" if "wrong-token" in first else "auth_required")


async def test_frames_over_one_mebibyte_are_cut_by_the_websocket_layer_and_the_hub_lives(backend):
    c = await RawClient.connect(backend.url, backend.token("duty_officer"))
    await c.recv()
    await c.send_raw("x" * (1024 * 1024 + 10))
    with pytest.raises(ConnectionClosed):
        await c.recv()
    assert c.ws.close_code == 1009
    again = await RawClient.connect(backend.url, backend.token("duty_officer"))
    assert (await again.recv())["type"] == "snapshot"
    await again.close()
