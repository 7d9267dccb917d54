"""GNSS receiver driver: joins a transport to the NMEA decoder and yields position fixes."""
from __future__ import annotations

from collections.abc import AsyncIterator

from devices.nmea import Fix, NmeaDecoder, NmeaStats
from devices.transport import TransportClosed


class GnssReceiver:
    """Reads NMEA from a transport and yields a Fix per GGA/RMC sentence.

    Attributes:
        transport: anything with `async read() -> bytes`, e.g. SerialTransport (which reopens a
            replugged receiver by itself; read() waits through the gap).
        decoder: the NmeaDecoder; its `stats` count garbage, bad checksums and ignored sentences.
    """

    def __init__(self, transport, decoder: NmeaDecoder | None = None) -> None:
        self.transport = transport
        self.decoder = decoder or NmeaDecoder()

    @property
    def stats(self) -> NmeaStats:
        return self.decoder.stats

    async def fixes(self) -> AsyncIterator[Fix]:
        """Fixes as they arrive, until the transport is closed (TransportClosed ends the iteration)."""
        while True:
            try:
                chunk = await self.transport.read()
            except TransportClosed:
                return
            for fix in self.decoder.feed(chunk):
                yield fix
