"""Radio gateway driver + simulator on a real PTY pair (socat): commands, reports, unplug/replug 100 times."""
import asyncio
import os
import threading

import pytest

from backend.demo.radio_sim import RadioSim
from devices import radio_gw as rg
from devices.radio_driver import GatewayError, RadioGateway
from devices.transport import NotConnected, SerialTransport, TransportError

pytestmark = pytest.mark.timeout(240)


async def until(predicate, timeout=20.0, what="condition"):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)


class Rig:
    """Driver on end a, simulator on end b, both SerialTransports that reopen after an unplug."""

    def __init__(self, pair, **sim):
        self.reports = []
        self.a = SerialTransport(pair.a, 115200, backoff=(0.01, 0.05))
        self.b = SerialTransport(pair.b, 115200, backoff=(0.01, 0.05))
        self.gw = RadioGateway(self.a, on_report=self.reports.append, reply_timeout=5)
        self.sim = RadioSim(self.b, radios=4, seed=1, **sim)

    async def __aenter__(self):
        await self.a.open()
        await self.b.open()
        self.gw.start()
        self.task = asyncio.ensure_future(self.sim.run())
        return self

    async def __aexit__(self, *exc):
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.gw.stop()
        await self.a.close()
        await self.b.close()


async def test_commands_reach_the_gateway_and_reports_come_back(pty_pair):
    async with Rig(pty_pair, gps_every=0.5, emergency_every=1.0) as rig:
        await rig.gw.channel(2)
        await rig.gw.call("P", 3307001)
        await rig.gw.ptt(True)
        await rig.gw.ptt(False)
        await rig.gw.hangup()
        await rig.gw.group_assign(9001, [3307001, 3307002])
        await rig.gw.patch(1, 2)
        await rig.gw.text(3307001, "请速到现场")
        assert rig.sim.commands == ["AT+CHAN=2", "AT+CALL=P,3307001", "AT+PTT=1", "AT+PTT=0", "AT+HANG",
                                    "AT+DGNA=9001,3307001,3307002", "AT+PATCH=1,2,1", "AT+TXT=3307001,请速到现场"]
        await until(lambda: any(isinstance(r, rg.GpsReport) for r in rig.reports), what="GPS report")
        await until(lambda: any(isinstance(r, rg.Emergency) for r in rig.reports), what="emergency")
        kinds = {type(r) for r in rig.reports}
        assert rg.CallEvent in kinds and rg.PttEvent in kinds and rg.ChannelReport in kinds


async def test_gateway_errors_and_silence_become_gateway_errors(pty_pair):
    async with Rig(pty_pair) as rig:
        with pytest.raises(GatewayError) as err:
            await rig.gw.call("P", 1234)  # not a radio the gateway knows
        assert err.value.reason == "not_reachable"
        await rig.gw.call("G", 100)
        with pytest.raises(GatewayError, match="busy"):
            await rig.gw.call("G", 101)  # one call at a time
        await rig.gw.hangup()
    # nobody on the far end: no answer
    a = SerialTransport(pty_pair.a, 115200)
    await a.open()
    gw = RadioGateway(a, reply_timeout=0.3)
    gw.start()
    try:
        with pytest.raises(GatewayError) as err:
            await gw.hangup()
        assert err.value.reason == "timeout"
    finally:
        await gw.stop()
        await a.close()


async def test_unplug_replug_100_times_without_crash_or_leak(pty_pair):
    async with Rig(pty_pair, gps_every=1000, status_every=1000, emergency_every=0) as rig:
        await rig.gw.poll()
        threads, fds = threading.active_count(), len(os.listdir("/proc/self/fd"))
        for i in range(100):
            pty_pair.unplug(hard=(i % 2 == 1))
            await until(lambda: not rig.a.connected, what=f"unplug {i}")
            with pytest.raises((NotConnected, TransportError, GatewayError)):
                await rig.gw.hangup()
            pty_pair.replug()
            await until(lambda: rig.a.connected and rig.b.connected, what=f"replug {i}")
            if i % 10 == 9:  # the line works again end to end
                await rig.gw.channel(1 + i // 10)
        await rig.gw.poll()
        assert rig.sim.commands[-1] == "AT+POLL"
        assert [c for c in rig.sim.commands if c.startswith("AT+CHAN")] == [f"AT+CHAN={n}" for n in range(1, 11)]
        assert threading.active_count() == threads
        assert len(os.listdir("/proc/self/fd")) <= fds + 2
        assert not rig.gw._task.done()  # the driver's reader survived every unplug


async def test_a_line_cut_by_an_unplug_does_not_spoil_the_next_answer(pty_pair):
    """A report cut short by an unplug ("+CH" with no line end) must not be glued to the first answer after
    the replug ("+CHOK" would be no answer at all: the command would time out)."""
    async with Rig(pty_pair, gps_every=1000, status_every=1000, emergency_every=0) as rig:
        await rig.gw.poll()
        await rig.b.write(b"+CH")  # the gateway's side: a report that the unplug cuts
        await until(lambda: bytes(rig.gw.decoder._buf) == b"+CH", what="the cut line read by the driver")
        pty_pair.unplug()
        await until(lambda: not rig.a.connected, what="unplug")
        pty_pair.replug()
        await until(lambda: rig.a.connected and rig.b.connected, what="replug")
        await rig.gw.channel(5)  # answered: OK
        assert rig.sim.commands[-1] == "AT+CHAN=5"
