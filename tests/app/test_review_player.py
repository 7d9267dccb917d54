"""Review: the replay clock, the event → timeline text, the player (seek, play to the end), and the real hub."""
from __future__ import annotations

import asyncio
import time

from app.review_player import MAX_GAP_S, ReplayClock, ReviewPlayer, review_entries

T0 = 1_700_000_000.0


def events() -> list[dict]:
    rows = [
        ("alerts", "A1", {"id": "A1", "colour": "red", "title": "西溪镇 城市内涝"}, "demo"),
        ("incidents", "I1", {"id": "I1", "title": "西溪镇城市内涝", "stage": "intake"}, "wang"),
        ("alerts", "A1", {"id": "A1", "colour": "red", "title": "西溪镇 城市内涝", "acked": True}, "wang"),
        ("incidents", "I1", {"id": "I1", "title": "西溪镇城市内涝", "stage": "collect",
                             "stages": [{"stage": "collect", "note": "已核实"}]}, "wang"),
        ("walls", "main", {"id": "main", "layout": "emergency-command"}, "wang"),
        ("tasks", "T1", {"id": "T1", "title": "排涝", "department": "水利局", "status": "assigned"}, "wang"),
        ("tasks", "T1", {"id": "T1", "title": "排涝", "department": "水利局", "status": "assigned",
                         "supervised": True, "supervisions": 1}, "system"),
    ]
    # given out of order on purpose: the seq decides
    out = [{"seq": i + 1, "ts": T0 + i, "actor": who, "entity": e, "op": "upsert", "key": k, "data": d}
           for i, (e, k, d, who) in enumerate(rows)]
    return list(reversed(out))


def test_entries_follow_seq_and_describe_changes():
    entries = review_entries(events())
    assert [e.kind for e in entries] == ["alert", "incident", "alert", "stage", "wall", "task", "supervise"]
    assert "已核实" in entries[3].text and "emergency-command" in entries[4].text
    assert entries[-1].supervised and entries[-1].who == "system"


def test_replay_clock_speed_gaps_and_seek():
    clock = ReplayClock([T0, T0 + 10, T0 + 10 + 3600, T0 + 10 + 3605])
    assert clock.offsets == [0, 10, 10 + MAX_GAP_S, 15 + MAX_GAP_S]  # an hour of quiet replays as MAX_GAP_S
    assert clock.position() == 1  # the first event is at replay time 0
    assert clock.advance(5) == 1  # not playing: nothing moves
    clock.playing = True
    clock.speed = 5
    assert clock.advance(2) == 2  # 2 s at 5× = 10 s of replay
    clock.speed = 20
    assert clock.advance(10) == 4 and clock.finished() and not clock.playing
    clock.seek(2)
    assert clock.position() == 2
    clock.seek(0)
    assert clock.position() == 0


def test_player_seeks_and_plays_to_the_end(qtbot, store):
    player = ReviewPlayer(store)
    qtbot.addWidget(player)
    player.set_events(events())
    assert player.clock.position() == 0 and player.timeline.position == 0
    player.seek(4)
    assert player.slider.value() == 4 and "已核实" in player.now_label.text()
    assert player.timeline.currentItem().text(3) == player.entries[3].text
    player.set_speed(20)
    assert player.clock.speed == 20
    player.seek(0)
    seen = []
    player.position_changed.connect(seen.append)
    player.play()
    qtbot.waitUntil(lambda: player.clock.position() == len(player.entries), timeout=20_000)
    assert seen == sorted(seen) and seen[-1] == len(player.entries)  # in order, never back
    qtbot.waitUntil(lambda: not player.clock.playing, timeout=5000)
    player.seek(2)
    player.play_action.trigger()
    assert player.clock.playing
    player.play_action.trigger()
    assert not player.clock.playing


def test_review_of_a_real_incident_in_seq_order(qapp, qtbot, tmp_path):
    import qasync

    from backend_client.store import ClientStore
    from tests.app.test_console_window import run_until
    from tests.helpers.backend_proc import start_backend

    backend = start_backend(tmp_path)
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    duty, leader = ClientStore(), ClientStore()
    try:
        duty.start(backend.url, backend.token("duty_officer"))
        leader.start(backend.url, backend.token("leader"))
        run_until(loop, lambda: duty.connection == leader.connection == "online", 60, "online")
        created = loop.run_until_complete(duty.command("incident.create", {
            "title": "市民来电 燃气泄漏", "category": "事故灾难", "grade": 3, "source": "phone"}))
        iid = created["id"]
        for stage in ("collect", "register", "dispatch"):
            loop.run_until_complete(duty.command("incident.advance", {"id": iid, "stage": stage}))
        loop.run_until_complete(duty.command("task.create", {"incident": iid, "department": "公安局",
                                                             "title": "疏散群众", "due": time.time() + 600}))
        loop.run_until_complete(duty.command("wall.take", {"layout": "emergency-command"}))
        run_until(loop, lambda: leader.get("incidents", iid) is not None, 30, "leader has it")
        player = ReviewPlayer(leader)  # leaders may review
        qtbot.addWidget(player)
        count = loop.run_until_complete(player.load(iid))
        kinds = [e.kind for e in player.entries]
        assert count == len(player.entries) >= 6
        assert kinds[0] == "incident" and kinds.count("stage") == 3 and "task" in kinds and "wall" in kinds
        stages = [e.text for e in player.entries if e.kind == "stage"]
        assert stages == ["Collect", "Register", "Dispatch"] or len(set(stages)) == 3
        assert [e.at for e in player.entries] == sorted(e.at for e in player.entries)
    finally:
        for s in (duty, leader):
            loop.run_until_complete(s.stop())
        backend.stop()
        asyncio.set_event_loop(None)
        loop.close()
