"""Telephony bridge against Debian's sipp as a real SIP peer on loopback: answer + BYE (with recording),
busy (486), no answer (180, then CANCEL after the ring timeout)."""
import asyncio
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from backend.dispatch.sip import outcome, split_netstrings
from tests.backend.wsclient import RawClient
from tests.helpers.backend_proc import free_port, start_backend

pytestmark = [pytest.mark.timeout(180),
              pytest.mark.skipif(not (shutil.which("sipp") and shutil.which("baresip")),
                                 reason="needs sipp (Debian sip-tester) and baresip (baresip-core)")]
HERE = Path(__file__).resolve().parent


class Sipp:
    """One sipp UAS for one call: -m 1, so it exits 0 once its scenario completed."""

    def __init__(self, tmp_path, scenario: str):
        self.port = free_port()
        args = ["sipp", "-i", "127.0.0.1", "-p", str(self.port), "-m", "1", "-nostdin", "-timeout", "60",
                "-timeout_error", "-trace_err", "-error_file", str(tmp_path / "sipp_err.log")]
        args += ["-sn", "uas", "-rtp_echo"] if scenario == "uas" else ["-sf", str(HERE / "sipp" / f"{scenario}.xml")]
        self.proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait(self, timeout=60) -> int:
        return self.proc.wait(timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def call_rig(tmp_path, request):
    sipp = Sipp(tmp_path, request.param)
    proc = start_backend(tmp_path, extra_args=["--sip-target", f"127.0.0.1:{sipp.port}", "--sip-ring-timeout", "3",
                                               "--dispatch-demo-directory"])
    try:
        yield proc, sipp
    finally:
        proc.stop()
        sipp.stop()


async def call_states(c, call_id, final):
    """Every state of the call seen so far (frames read by c.command included), until a final one."""
    states = [m["data"] for m in c.received if m["type"] == "event" and m["entity"] == "calls" and m["key"] == call_id]
    while not states or states[-1]["state"] not in final:
        m = await c.until(lambda m: m["type"] == "event" and m["entity"] == "calls" and m["key"] == call_id, 40)
        states.append(m["data"])
    return states


@pytest.mark.parametrize("call_rig", ["uas"], indirect=True)
async def test_call_answered_then_hung_up_with_recording(call_rig):
    proc, sipp = call_rig
    c = await RawClient.connect(proc.url, await asyncio.to_thread(proc.token, "duty_officer"))
    inc = (await c.command("incident.create", {"title": "燃气泄漏", "category": "事故灾难", "grade": 2}))["result"]["id"]
    res = await c.command("dispatch.call", {"terminal": "phone-119", "incident": inc})
    assert res["ok"] and res["result"]["via"] == "sip", res
    call_id = res["result"]["call"]
    states = await call_states(c, call_id, ("active", "failed"))
    assert states[-1]["state"] == "active"
    busy = await c.command("dispatch.call", {"terminal": "phone-110"})
    assert not busy["ok"] and busy["error"]["code"] == "conflict"
    await asyncio.sleep(1.0)  # a second of echoed audio for the recording
    assert (await c.command("dispatch.hangup", {"call": call_id}))["ok"]
    states = await call_states(c, call_id, ("ended", "failed"))
    final = states[-1]
    assert final["state"] == "ended" and final["incident"] == inc and final["duration"] >= 0.5
    audio = final["recording"]["audio"]
    assert len(audio) == 2
    for path in audio:
        with wave.open(path) as w:
            assert w.getnframes() > 4000  # > 0.5 s at 8 kHz
    assert await asyncio.to_thread(sipp.wait) == 0  # sipp saw INVITE, sent 180/200, got ACK and our BYE
    await c.close()


@pytest.mark.parametrize("call_rig", ["busy"], indirect=True)
async def test_busy_peer(call_rig):
    proc, sipp = call_rig
    c = await RawClient.connect(proc.url, await asyncio.to_thread(proc.token, "duty_officer"))
    res = await c.command("dispatch.call", {"terminal": "phone-110"})
    assert res["ok"], res
    states = await call_states(c, res["result"]["call"], ("ended", "busy", "no_answer", "failed"))
    assert states[-1]["state"] == "busy" and states[-1]["recording"]["audio"] == []
    assert await asyncio.to_thread(sipp.wait) == 0
    await c.close()


@pytest.mark.parametrize("call_rig", ["noanswer"], indirect=True)
async def test_peer_that_never_answers_is_cancelled_after_the_ring_timeout(call_rig):
    proc, sipp = call_rig
    c = await RawClient.connect(proc.url, await asyncio.to_thread(proc.token, "duty_officer"))
    res = await c.command("dispatch.call", {"terminal": "phone-120"})
    assert res["ok"], res
    states = await call_states(c, res["result"]["call"], ("ended", "busy", "no_answer", "failed"))
    assert "ringing" in [s["state"] for s in states]
    assert states[-1]["state"] == "no_answer"
    assert await asyncio.to_thread(sipp.wait) == 0  # got our CANCEL and ACK
    # the bridge is free again
    again = await c.command("dispatch.call", {"terminal": "phone-110"})
    assert again["ok"] or again["error"]["code"] != "conflict"
    await c.close()


def test_outcome_and_netstring_framing():
    assert outcome("486 Busy Here", False) == "busy"
    assert outcome("Request Terminated", False) == "no_answer"
    assert outcome("Connection refused", False) == "failed"
    assert outcome("", True) == "ended"
    buf = bytearray(b'7:{"a":1},junk9:{"b":"x"},3:{"c')
    assert split_netstrings(buf) == [{"a": 1}, {"b": "x"}]
