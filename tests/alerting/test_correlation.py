"""The correlation rule on a fake clock: different sources, one township, one window → one combined alert."""
from __future__ import annotations

from backend.alerting.correlation import Correlator, source_key, township_of


def alert(i, source="demo", colour="yellow", township="330784003", **kw):
    return {"id": f"A-{i}", "source": source, "colour": colour, "township": township, "event": f"事件{i}",
            "status": "active", "lat": 28.87, "lon": 120.04, **kw}


class FakeClock:
    def __init__(self):
        self.t = 1_000_000.0

    def __call__(self):
        return self.t


def test_two_sources_in_one_township_combine_one_level_higher():
    clock, cor = FakeClock(), Correlator(window_s=600, min_sources=2, names={"330784003": "江南街道"})
    assert cor.observe(alert(1, "demo", "yellow"), clock()) is None
    assert cor.observe(alert(2, "demo", "orange"), clock()) is None     # same source twice: not correlated
    clock.t += 120
    key, record, new = cor.observe(alert(3, "cap", "blue"), clock())
    assert new and key == record["id"] and record["source"] == "correlation"
    assert record["colour"] == "red"                                    # one above the worst member (orange)
    assert record["members"] == ["A-1", "A-2", "A-3"] and record["sources"] == ["cap", "demo"]
    assert record["township"] == "330784003" and record["title"].startswith("江南街道 多源预警关联")
    clock.t += 60
    key2, update, new2 = cor.observe(alert(4, "sensor", "blue", sensor="S-1"), clock())
    assert (key2, new2) == (key, False) and update["members"][-1] == "A-4" and "id" not in update


def test_window_other_townships_and_own_output_do_not_combine():
    clock, cor = FakeClock(), Correlator(window_s=600, min_sources=2)
    assert cor.observe(alert(1, "demo"), clock()) is None
    clock.t += 601                                                      # the first one fell out of the window
    assert cor.observe(alert(2, "cap"), clock()) is None
    assert cor.observe(alert(3, "sensor", township="330784105", sensor="S-9"), clock()) is None
    assert cor.observe(alert(4, "correlation"), clock()) is None
    assert cor.observe(alert(5, "demo", status="cancelled"), clock()) is None
    assert cor.observe(alert(6, "demo", township=""), clock()) is None
    assert cor.observe(alert(2, "cap"), clock()) is None                # the same alert again is no new source


def test_a_combined_alert_closes_after_the_window_and_a_new_one_starts():
    clock, cor = FakeClock(), Correlator(window_s=100, min_sources=2)
    cor.observe(alert(1, "demo"), clock())
    first, _r, _n = cor.observe(alert(2, "cap"), clock())
    clock.t += 101
    assert cor.observe(alert(3, "demo"), clock()) is None
    clock.t += 10
    second, record, new = cor.observe(alert(4, "cap"), clock())
    assert new and second != first and record["members"] == ["A-3", "A-4"]


def test_sensors_are_separate_sources_and_cap_geocodes_give_the_township():
    assert source_key({"source": "sensor", "sensor": "S-1"}) != source_key({"source": "sensor", "sensor": "S-2"})
    cap = {"source": "cap", "area": {"geocodes": [["GB/T 2260", "330784"], ["GB/T 10114", "330784107"]]}}
    assert township_of(cap) == "330784107"
    clock, cor = FakeClock(), Correlator(min_sources=3)
    cor.observe(alert(1, "sensor", sensor="S-1"), clock())
    assert cor.observe(alert(2, "sensor", sensor="S-2"), clock()) is None   # 2 of 3 sources
    assert cor.observe(alert(3, "sensor", sensor="S-3", colour="red"), clock())[1]["colour"] == "red"
