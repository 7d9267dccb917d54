"""Janus videoroom events on a room record (pure): joins, leaves, moderation, and who the speaker is."""
from __future__ import annotations

from backend.conference.rooms import OBSERVER, _Room
from backend.conference.room_events import apply_event


def _room() -> _Room:
    record = {"participants": {}, "order": [], "hands": [], "speaker": "", "invited": {"a": {"state": "invited"}}}
    return _Room("CF-1", "pin", "secret", record)


def test_talking_makes_the_speaker_unless_muted_and_leaving_clears_it():
    room = _room()
    pubs = [{"id": p, "display": p.upper(), "streams": [{"type": "audio", "mid": "0"},
                                                        {"type": "video", "mid": "1", "codec": "h264"}]}
            for p in ("a", "b", OBSERVER)]
    assert apply_event(room, {"videoroom": "event", "publishers": pubs}, OBSERVER)
    assert room.record["order"] == ["a", "b"] and room.record["invited"]["a"]["state"] == "joined"
    assert room.codecs == {"a": "h264", "b": "h264"}
    assert apply_event(room, {"videoroom": "talking", "id": "b"}, OBSERVER)
    assert room.record["speaker"] == "b"
    assert not apply_event(room, {"videoroom": "talking", "id": "b"}, OBSERVER)  # no change, no save
    assert apply_event(room, {"videoroom": "event", "moderation": "muted", "id": "a", "mid": "0"}, OBSERVER)
    assert room.record["participants"]["a"]["audio_muted"]
    assert not apply_event(room, {"videoroom": "talking", "id": "a"}, OBSERVER)  # muted: keeps the floor off
    assert room.record["speaker"] == "b"
    assert not apply_event(room, {"videoroom": "talking", "id": "nobody"}, OBSERVER)
    assert apply_event(room, {"videoroom": "event", "leaving": "b"}, OBSERVER)
    assert room.record["speaker"] == "" and room.record["order"] == ["a"]
