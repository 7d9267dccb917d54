"""Sensor threshold rules: levels rise at once, fall only past the hysteresis; alerts on a rise."""
from __future__ import annotations

import pytest

from backend.alerting.thresholds import RULES, Rule, ThresholdMonitor, rank, sensor_alert_record

WL = RULES["water_level"]  # 3.0 3.4 3.8 4.3, hysteresis 0.2


def test_levels_rise_at_the_thresholds():
    assert [WL.level(v) for v in (2.0, 3.0, 3.39, 3.4, 3.8, 4.3, 6.0)] == \
        ["", "blue", "blue", "yellow", "orange", "red", "red"]


def test_hysteresis_holds_a_level_until_the_value_falls_past_it():
    assert WL.level(3.75, "orange") == "orange"      # below 3.8, within 0.2: held
    assert WL.level(3.61, "orange") == "orange"
    assert WL.level(3.59, "orange") == "yellow"      # past the hysteresis: down to what still holds
    assert WL.level(3.25, "orange") == "yellow"      # yellow still held (3.4 - 0.2 < 3.25)
    assert WL.level(3.1, "orange") == "blue"
    assert WL.level(2.5, "red") == ""
    assert WL.level(4.5, "blue") == "red"            # rising is never delayed


def test_every_rule_is_ordered_and_bad_rules_are_refused():
    for rule in RULES.values():
        assert list(rule.thresholds) == sorted(rule.thresholds) and rule.event
    with pytest.raises(ValueError):
        Rule("x", "m", (3, 2, 4, 5), 0.1, "e", "p")


def test_monitor_alerts_on_a_rise_not_on_wobble_and_realerts_only_later():
    mon = ThresholdMonitor(realert_s=600)
    sensor = {"id": "S-1", "kind": "water_level", "value": 2.0, "level": ""}
    seq = [(0, 2.0), (10, 3.5), (20, 3.35), (30, 3.45), (40, 3.3), (50, 3.45), (60, 3.9), (70, 2.0), (80, 3.9)]
    out = []
    for t, v in seq:
        obs = mon.observe({**sensor, "value": v}, t)
        out.append((obs.level, obs.alert))
    assert out == [("", ""), ("yellow", "yellow"), ("yellow", ""), ("yellow", ""), ("yellow", ""), ("yellow", ""),
                   ("orange", "orange"), ("", ""), ("orange", "")]   # the same colour again within 600 s: quiet
    assert mon.observe({**sensor, "value": 2.0}, 700).alert == ""
    assert mon.observe({**sensor, "value": 3.9}, 700 + 1).alert == "orange"  # after the re-alert time


def test_monitor_starts_from_the_recorded_level_and_ignores_unknown_kinds():
    mon = ThresholdMonitor()
    obs = mon.observe({"id": "S-2", "kind": "pm25", "value": 120, "level": "yellow"}, 0)
    assert (obs.level, obs.changed, obs.alert) == ("yellow", False, "")
    assert mon.observe({"id": "S-3", "kind": "radiation", "value": 9}, 0) is None
    assert mon.observe({"id": "S-4", "kind": "gas", "value": "high"}, 0) is None


def test_alert_record_names_place_value_and_category():
    rec = sensor_alert_record({"id": "S-7", "name": "江南街道 燃气调压站", "kind": "gas", "value": 33.26,
                               "township": "330784003", "lat": 28.8, "lon": 120.0}, RULES["gas"], "orange",
                              1000.0, "yk", "江南街道")
    assert rec["title"] == "江南街道 燃气泄漏 可燃气体浓度超限 33.3%LEL"
    assert (rec["source"], rec["category"], rec["sensor"], rank(rec["colour"])) == ("sensor", "事故灾难", "S-7", 3)
