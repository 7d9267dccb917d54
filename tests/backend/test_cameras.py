"""The camera list file: precise errors (file, index, field, never a URL), public vs private split."""
import json

import pytest

from backend.cameras import CameraListError, apply_cameras, load_camera_file, parse_cameras
from backend.core import Core


@pytest.mark.parametrize("data, message", [
    ({"id": "x"}, "cams.json: expected a JSON list of cameras"),
    ([1], "cams.json: [0]: expected an object"),
    ([{"name": "a", "url": "rtsp://h/1"}], "cams.json: [0].id: expected"),
    ([{"id": "a b", "name": "a", "url": "rtsp://h/1"}], "cams.json: [0].id: expected"),
    ([{"id": "a", "name": "a", "url": "rtsp://h"}, {"id": "a", "name": "b", "url": "rtsp://h"}],
     "cams.json: [1].id: 'a' appears twice"),
    ([{"id": "a", "url": "rtsp://h/1"}], "cams.json: [0].name: expected a non-empty string"),
    ([{"id": "a", "name": "a", "url": "gopher://user:pw@h/1"}], "cams.json: [0].url: scheme not supported"),
    ([{"id": "a", "name": "a", "url": "rtsp://h", "sub_url": 5}], "cams.json: [0].sub_url: expected"),
    ([{"id": "a", "name": "a", "url": "rtsp://h", "lat": 91}], "cams.json: [0].lat: expected a number"),
    ([{"id": "a", "name": "a", "url": "rtsp://h", "lon": "120"}], "cams.json: [0].lon: expected a number"),
    ([{"id": "a", "name": "a", "url": "rtsp://h", "township": 7}], "cams.json: [0].township: expected"),
    ([{"id": "a", "name": "a", "url": "rtsp://h", "ptz": "pelco"}], "cams.json: [0].ptz: expected an object"),
])
def test_errors_name_file_index_and_field(data, message):
    with pytest.raises(CameraListError) as err:
        parse_cameras(data, "cams.json")
    assert str(err.value).startswith(message), str(err.value)
    assert "pw@" not in str(err.value)


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(CameraListError, match="cannot read"):
        load_camera_file(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("[{", encoding="utf-8")
    with pytest.raises(CameraListError, match="bad.json: not valid JSON"):
        load_camera_file(bad)


async def test_apply_keeps_sources_private_keeps_health_and_removes_dropped_cameras(tmp_path):
    cams = [{"id": "cam-1", "name": "一号", "url": "rtsp://u:pw@h/1", "sub_url": "rtsp://u:pw@h/2",
             "ptz": {"protocol": "pelco-d", "address": 1}},
            {"id": "cam-2", "name": "二号", "url": "/srv/clip.mp4", "lat": 28.9, "lon": 120.0}]
    public, private = parse_cameras(cams, "c.json")
    async with Core(tmp_path / "cc.db") as core:
        assert await apply_cameras(core, public, private) == 2
        assert core.camera_sources()[0] == {"id": "cam-1", "url": "rtsp://u:pw@h/1",
                                            "sub_url": "rtsp://u:pw@h/2", "ptz": {"protocol": "pelco-d", "address": 1}}
        rec = core.get("cameras", "cam-1")
        assert rec["has_sub"] and rec["ptz"] is True and "url" not in rec and rec["state"] == "idle"
        assert "pw@" not in json.dumps(core.snapshot()[1])
        await core.update("cameras", "cam-1", {"state": "live", "fps": 25.0})
        # same list again: nothing to publish; a shorter list: cam-2 removed, health of cam-1 kept
        assert await apply_cameras(core, public, private) == 0
        assert await apply_cameras(core, public[:1], private[:1]) == 1
        assert core.get("cameras", "cam-2") is None and core.get("cameras", "cam-1")["state"] == "live"
    async with Core(tmp_path / "cc.db") as core:
        assert [s["id"] for s in core.camera_sources()] == ["cam-1"]
