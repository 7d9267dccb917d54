"""The relay's health into the cameras records (a real Core on a SQLite file): what the supervisor keeps of
what it published follows the cameras the relay reports and the store has, so deleted ones do not pile up."""
from __future__ import annotations

from backend.core import Change, Core
from backend.relay.supervisor import RelaySupervisor


def health(*ids: str, state: str = "live") -> list[dict]:
    return [{"id": i, "state": state, "fps": 25.0, "viewers": 1} for i in ids]


async def test_health_reaches_the_cameras_and_what_is_kept_follows_them(tmp_path):
    async with Core(tmp_path / "cc.db") as core:
        await core.publish([Change("cameras", "upsert", c, {"name": c}) for c in ("cam-1", "cam-2")])
        sup = RelaySupervisor(core, state_dir=tmp_path)  # not started: no relay process here
        await sup._publish(health("cam-1", "cam-2"))
        assert core.get("cameras", "cam-1")["state"] == "live" and core.get("cameras", "cam-2")["fps"] == 25.0
        assert sup._published.keys() == {"cam-1", "cam-2"}

        await core.publish([Change("cameras", "delete", "cam-2")])
        await sup._publish(health("cam-1", "cam-2", state="lost"))  # the relay still reports it
        assert core.get("cameras", "cam-2") is None  # not brought back
        assert core.get("cameras", "cam-1")["state"] == "lost"
        assert sup._published.keys() == {"cam-1"}

        await sup._publish(health())  # the relay has no camera any more
        assert sup._published == {}
        await sup._publish({"error": "not a list"})  # a bad answer changes nothing
        assert core.get("cameras", "cam-1")["state"] == "lost"
