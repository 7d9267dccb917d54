"""Every room device driver against its simulator on 127.0.0.x, and a device that stops answering."""
from __future__ import annotations

import asyncio

import pytest

from devices import lights, matrix, novastar, pjlink, visca
from devices.room_transport import LinkError
from devices.sims.room_sims import ExtronSim, KramerSim, LightsSim, NovaSim, PjlinkSim, ViscaSim

DEADLINE = 20.0


async def _started(sim):
    return await sim.start()


async def test_pjlink_power_input_lamp_errors_with_md5_auth():
    sim = await PjlinkSim("127.0.0.11", password="JBMIAProjectorLink", lamp_hours=4321).start()
    try:
        display = pjlink.PjlinkDisplay("127.0.0.11", sim.port, password="JBMIAProjectorLink")
        await display.power(True)
        await display.set_input("32")
        sim.erst = "021000"
        status = await display.status()
        assert (status.power, status.input, status.lamp_hours) == ("on", "32", 4321)
        assert status.errors == {"lamp": "error", "temperature": "warning"}
        assert ("POWR", "1") in sim.requests and ("INPT", "32") in sim.requests
        with pytest.raises(pjlink.DeviceError, match="out of range"):
            await display.set_input("59")
        wrong = pjlink.PjlinkDisplay("127.0.0.11", sim.port, password="nope")
        with pytest.raises(pjlink.DeviceError, match="authentication"):
            await wrong.power(False)
        assert sim.power == "1"
    finally:
        await sim.stop()


async def test_pjlink_input_refused_while_off_is_err3():
    sim = await PjlinkSim("127.0.0.12").start()
    try:
        display = pjlink.PjlinkDisplay("127.0.0.12", sim.port)
        with pytest.raises(pjlink.DeviceError, match="ERR3"):
            await display.set_input("31")
    finally:
        await sim.stop()


async def test_visca_presets_pan_tilt_zoom_power():
    sim = await ViscaSim("127.0.0.21").start()
    try:
        cam = visca.ViscaCamera("127.0.0.21", sim.port, timeout=1.0)
        await cam.recall(3)
        assert sim.preset == 3
        await cam.store(42)
        await cam.recall(42)
        assert sim.preset == 42
        await cam.move(-1, 1, 10)
        assert sim.moving == (-1, 1)
        await cam.move(0, 0)
        assert sim.moving == (0, 0)
        await cam.zoom(1)
        assert sim.zooming == 1
        await cam.power(False)
        assert await cam.is_on() is False
        with pytest.raises(visca.ViscaError, match="not executable"):
            await cam.recall(99)  # never stored
        assert visca.preset_recall(3) in sim.requests
    finally:
        await sim.stop()


@pytest.mark.parametrize("protocol", ["kramer", "extron"])
async def test_matrix_routes_and_refusals(protocol):
    sim = await (KramerSim if protocol == "kramer" else ExtronSim)("127.0.0.31", size=8).start()
    try:
        sw = matrix.MatrixSwitcher(protocol, "127.0.0.31", sim.port)
        await sw.route(3, 2)
        await sw.route(1, 4)
        assert sim.routes == {2: 3, 4: 1} == sw.routes
        assert await sw.ping()
        with pytest.raises(matrix.MatrixError, match="out of range|invalid input"):
            await sw.route(9, 1)
        await sw.route(2, 2)  # still usable after a refusal
        assert sim.routes[2] == 2
        await sw.close()
    finally:
        await sim.stop()


async def test_novastar_power_brightness_input_status():
    sim = await NovaSim("127.0.0.41").start()
    try:
        led = novastar.LedController("127.0.0.41", sim.port)
        await led.power(True)
        await led.brightness(73)
        await led.select_input(4)
        sim.faults = 0x08
        status = await led.status()
        assert (status.power, status.brightness, status.input, status.faults) == (True, 73, "DP", ["no signal"])
        with pytest.raises(novastar.NovaError):
            await led.brightness(101)  # refused before it is sent
        await led.close()
    finally:
        await sim.stop()


async def test_lights_levels():
    sim = await LightsSim("127.0.0.51", channels=8).start()
    try:
        gw = lights.LightGateway("127.0.0.51", sim.port)
        await gw.set_level(2, 200)
        assert await gw.level(2) == 200
        await gw.set_all(10)
        assert sim.levels[1:] == [10] * 8
        assert await gw.ping() == 8
        with pytest.raises(lights.LightsError, match="gateway error 2"):
            await gw.set_level(9, 1)
        await gw.close()
    finally:
        await sim.stop()


@pytest.mark.parametrize("kind", ["kramer", "extron", "novastar", "lights", "visca", "pjlink"])
async def test_a_device_that_stops_answering_fails_fast_then_recovers(kind):
    cls = {"kramer": KramerSim, "extron": ExtronSim, "novastar": NovaSim, "lights": LightsSim, "visca": ViscaSim,
           "pjlink": PjlinkSim}[kind]
    sim = await cls("127.0.0.61").start()
    try:
        if kind in ("kramer", "extron"):
            drv = matrix.MatrixSwitcher(kind, "127.0.0.61", sim.port, timeout=0.5)
            op = lambda: drv.route(1, 1)  # noqa: E731
        elif kind == "novastar":
            drv = novastar.LedController("127.0.0.61", sim.port, timeout=0.5)
            op = lambda: drv.brightness(10)  # noqa: E731
        elif kind == "lights":
            drv = lights.LightGateway("127.0.0.61", sim.port, timeout=0.5)
            op = lambda: drv.set_level(1, 1)  # noqa: E731
        elif kind == "visca":
            drv = visca.ViscaCamera("127.0.0.61", sim.port, timeout=0.3, retries=1)
            op = lambda: drv.recall(1)  # noqa: E731
        else:
            drv = pjlink.PjlinkDisplay("127.0.0.61", sim.port, timeout=0.5)
            op = lambda: drv.power(True)  # noqa: E731
        await asyncio.wait_for(op(), DEADLINE)
        sim.silent = True
        with pytest.raises(LinkError, match="no reply|no answer|did not|timeout"):
            await asyncio.wait_for(op(), DEADLINE)  # an error, not a hang
        if hasattr(drv, "link") and hasattr(drv.link, "connected"):
            assert drv.link.connected is False  # state cleared: no half-read reply left behind
            assert drv.link.failures == 1
        sim.silent = False
        await asyncio.wait_for(op(), DEADLINE)  # and the next command works again
    finally:
        await sim.stop()


async def test_a_device_that_is_gone_is_a_link_error():
    sim = await KramerSim("127.0.0.62").start()
    port = sim.port
    await sim.stop()
    drv = matrix.MatrixSwitcher("kramer", "127.0.0.62", port, timeout=0.5)
    with pytest.raises(LinkError, match="cannot connect"):
        await asyncio.wait_for(drv.route(1, 1), DEADLINE)
