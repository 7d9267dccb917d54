"""Pelco-D PTZ driver: joins the Pelco-D codec to a transport; one object per camera address."""
from __future__ import annotations

from devices import pelco_d


class PelcoDPtz:
    """Sends Pelco-D commands to one camera over a shared transport (an RS-485 bus carries many).

    Arguments are checked before anything is sent: a bad one raises ValueError naming it. Transport
    failures surface as devices.transport.TransportError (NotConnected, WriteTimeout, ...), for the
    backend to report as a failed command.

    Attributes:
        transport: anything with `async write(bytes)`, e.g. SerialTransport.
        address: camera address 1-255.
    """

    def __init__(self, transport, address: int) -> None:
        pelco_d.stop(address)  # validates the address now rather than at the first command
        self.transport = transport
        self.address = address

    async def _send(self, frame: bytes) -> None:
        await self.transport.write(frame)

    async def move(self, pan: int, tilt: int, pan_speed: int = 0x20, tilt_speed: int = 0x20) -> None:
        """pan -1 left / +1 right, tilt -1 down / +1 up; keeps moving until stop()."""
        await self._send(pelco_d.pan_tilt(self.address, pan, tilt, pan_speed, tilt_speed))

    async def stop(self) -> None:
        await self._send(pelco_d.stop(self.address))

    async def zoom(self, direction: int) -> None:
        await self._send(pelco_d.zoom(self.address, direction))

    async def focus(self, direction: int) -> None:
        await self._send(pelco_d.focus(self.address, direction))

    async def iris(self, direction: int) -> None:
        await self._send(pelco_d.iris(self.address, direction))

    async def goto_preset(self, n: int) -> None:
        await self._send(pelco_d.goto_preset(self.address, n))

    async def set_preset(self, n: int) -> None:
        await self._send(pelco_d.set_preset(self.address, n))

    async def clear_preset(self, n: int) -> None:
        await self._send(pelco_d.clear_preset(self.address, n))

    async def power(self, on: bool) -> None:
        await self._send(pelco_d.camera_on(self.address) if on else pelco_d.camera_off(self.address))
