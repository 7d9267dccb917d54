"""CapIngest on the real backend Core (temp SQLite): chains, duplicates, quarantine, restart."""
from __future__ import annotations

import sqlite3

from backend.cap.ingest import NOTICE_ENTITY, CapIngest, quarantine_rows
from backend.cap.parse import base_alert_id
from backend.core import Core
from tests.cap.conftest import DATA, cap_doc, info_xml
from tests.cap.test_parse import BILLION_LAUGHS, HOSTILE, TEN_MB, XXE

SENDER, ID1 = "yk-qx@example.cn", "33078400100001_20240601083000"
SENT1 = "2024-06-01T08:30:00+08:00"
KEY = base_alert_id(SENDER, ID1)


def update_doc(identifier="33078400100002_20240601090000", refs=f"{SENDER},{ID1},{SENT1}", **kw) -> bytes:
    return cap_doc(identifier=identifier, sent="2024-06-01T09:00:00+08:00", msg_type="Update", references=refs,
                   **kw)


def cancel_doc(refs: str) -> bytes:
    return cap_doc(identifier="33078400100003_20240601100000", sent="2024-06-01T10:00:00+08:00",
                   msg_type="Cancel", references=refs, infos=[])


async def test_alert_update_cancel_change_one_record(core, ingest):
    events = []
    core.subscribe(events.append)
    r1 = await ingest.ingest(cap_doc(), "test")
    assert (r1.outcome, r1.alert_ids) == ("accepted", (KEY,))
    assert core.get("alerts", KEY)["colour"] == "orange"

    r2 = await ingest.ingest(update_doc(infos=[info_xml(severity="Extreme", headline="暴雨红色预警")]), "test")
    assert (r2.outcome, r2.alert_ids) == ("updated", (KEY,))
    rec = core.get("alerts", KEY)
    assert rec["colour"] == "red" and rec["title"] == "暴雨红色预警" and rec["status"] == "active"
    assert rec["cap"]["identifier"] == "33078400100002_20240601090000" and rec["cap"]["msg_type"] == "Update"

    # the Cancel names the Update only; the chain leads back to the same record
    r3 = await ingest.ingest(cancel_doc(f"{SENDER},33078400100002_20240601090000,2024-06-01T09:00:00+08:00"), "t")
    assert (r3.outcome, r3.alert_ids) == ("cancelled", (KEY,))
    rec = core.get("alerts", KEY)
    assert rec["status"] == "cancelled" and rec["title"] == "暴雨红色预警"
    assert [h[1] for h in rec["cap"]["history"]] == [ID1, "33078400100002_20240601090000",
                                                    "33078400100003_20240601100000"]
    assert [e["key"] for e in events if e["entity"] == "alerts"] == [KEY, KEY, KEY]
    assert [a["id"] for a in core.all("alerts")] == [KEY]


async def test_duplicates_are_ignored(core, ingest):
    events = []
    core.subscribe(events.append)
    assert (await ingest.ingest(cap_doc(), "a")).outcome == "accepted"
    again = await ingest.ingest(cap_doc(), "b")
    assert again.outcome == "duplicate" and again.alert_ids == (KEY,)
    # same sender, identifier, sent but other bytes (a re-encoding) is the same message too
    assert (await ingest.ingest(cap_doc().replace(b"<scope>", b"\n<scope>"), "c")).outcome == "duplicate"
    assert len(events) == 1


async def test_escalation_clears_the_ack_but_a_milder_update_keeps_it(core, ingest):
    await ingest.ingest(cap_doc(), "t")
    await core.update("alerts", KEY, {"acked": True, "acked_by": "wang", "acked_at": 1.0})
    await ingest.ingest(update_doc(infos=[info_xml(severity="Moderate")]), "t")
    assert core.get("alerts", KEY)["acked"] is True and core.get("alerts", KEY)["colour"] == "yellow"
    await ingest.ingest(update_doc(identifier="X-3", refs=f"{SENDER},33078400100002_20240601090000,"
                                   "2024-06-01T09:00:00+08:00", infos=[info_xml(severity="Extreme")]), "t")
    rec = core.get("alerts", KEY)
    assert rec["colour"] == "red" and rec["acked"] is False and rec["acked_by"] == ""


async def test_update_and_cancel_of_unknown_messages(core, ingest):
    r = await ingest.ingest(update_doc(refs="other@x,NOPE,2024-01-01T00:00:00+08:00"), "t")
    assert r.outcome == "accepted" and "unknown" in r.reason
    assert core.get("alerts", r.alert_ids[0]) is not None
    c = await ingest.ingest(cancel_doc("other@x,NOPE2,2024-01-01T00:00:00+08:00"), "t")
    assert c.outcome == "ignored" and "unknown" in c.reason


async def test_test_status_and_ack_are_not_shown(core, ingest):
    assert (await ingest.ingest(cap_doc(status="Test"), "t")).outcome == "ignored"
    assert (await ingest.ingest(cap_doc(identifier="A2", msg_type="Ack",
                                        references=f"{SENDER},{ID1},{SENT1}"), "t")).outcome == "ignored"
    assert core.all("alerts") == []
    assert (await ingest.ingest(cap_doc(status="Test"), "t")).outcome == "duplicate"


async def test_bundled_examples_go_to_alerts(core, ingest):
    outcomes = [(await ingest.ingest(p.read_bytes(), p.name)).outcome for p in sorted(DATA.glob("*.xml"))]
    # example3 updates TRI13970876.1, which we never saw: stored as new
    assert outcomes == ["accepted"] * 4
    assert len(core.all("alerts")) == 4


async def test_hostile_documents_are_quarantined_with_reason(core, ingest):
    events = []
    core.subscribe(events.append)
    for name, (data, expected) in HOSTILE.items():
        result = await ingest.ingest(data, f"test:{name}")
        assert result.outcome == "quarantined" and expected in result.reason, (name, result)
    rows = quarantine_rows(core.db_path)
    assert len(rows) == len(HOSTILE)
    by_origin = {r["origin"]: r for r in rows}
    assert "too large" in by_origin["test:10 MB"]["reason"]
    assert by_origin["test:10 MB"]["size"] == len(TEN_MB) and by_origin["test:10 MB"]["payload_len"] == 64 * 1024
    assert "forbidden DTD" in by_origin["test:xxe"]["reason"]
    assert by_origin["test:billion laughs"]["size"] == len(BILLION_LAUGHS)
    # the raw payload is kept as sent, and nothing from /etc/passwd got anywhere
    with sqlite3.connect(core.db_path) as conn:
        (payload,) = conn.execute("SELECT payload FROM quarantine WHERE origin = 'test:xxe'").fetchone()
        assert payload == XXE
        assert conn.execute("SELECT count(*) FROM events WHERE data LIKE '%root:x:0%'").fetchone() == (0,)
    # each refusal is on the change stream too (without the payload), and no alert was made
    notices = [e for e in events if e["entity"] == NOTICE_ENTITY]
    assert len(notices) == len(HOSTILE) and all("payload" not in e["data"] for e in notices)
    assert core.all("alerts") == []
    assert ingest.counts == {"quarantined": len(HOSTILE)}


async def test_same_bad_bytes_twice_make_one_row(core, ingest):
    assert (await ingest.ingest(b"junk", "a")).outcome == "quarantined"
    assert (await ingest.ingest(b"junk", "b")).outcome == "quarantined"
    assert [r["origin"] for r in quarantine_rows(core.db_path)] == ["a"]


async def test_chain_and_duplicates_survive_a_restart(tmp_path):
    db = tmp_path / "cc.db"
    async with Core(db) as core:
        assert (await CapIngest(core).ingest(cap_doc(), "t")).outcome == "accepted"
        assert (await CapIngest(core).ingest(b"<bad", "t")).outcome == "quarantined"
    async with Core(db) as core:
        ingest = CapIngest(core)
        assert (await ingest.ingest(cap_doc(), "t")).outcome == "duplicate"
        assert (await ingest.ingest(cancel_doc(f"{SENDER},{ID1},{SENT1}"), "t")).alert_ids == (KEY,)
        assert core.get("alerts", KEY)["status"] == "cancelled"
        assert len(quarantine_rows(db)) == 1
