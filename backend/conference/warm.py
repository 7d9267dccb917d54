"""Warm pulls: a forwarded participant's relay pull is started by the backend as soon as the forward exists, and its
keyframe is asked for the moment the pull's ffmpeg listens, so the wall's tile finds a live GOP instead of a cold
camera (issue 12's "one-key consultation → all sites on the wall ≤ 3 s").

Per forwarded source the backend
1. pushes the new source to the relay at once (``core.relay_sync``, not at the supervisor's next 2 s tick);
2. holds one HTTP viewer of its own on ``/cam/<source>.ts`` (relay user ``svc:conference-warm``, a service token
   minted in memory; its view is audited like any other) and discards the bytes, so the relay starts the pull
   now and keeps it (and its GOP cache) while the forward lasts;
3. watches ``/proc/net/udp`` for the forward's port to be bound (ffmpeg listening) and then sends the PLI
   (``MediaOut.refresh``) at once: a keyframe sent before ffmpeg listens is lost, one sent later makes the
   pull wait (ffmpeg needs the keyframe's SPS). MediaOut's own "connecting"/"lost" refreshes still follow.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

SERVICE = "conference-warm"
BIND_POLL_S, BIND_WAIT_S = 0.02, 8.0
RETRY_S = 0.1      # the relay does not know the source yet (404) or refused: ask again this soon
RECONNECT_S = 0.5  # the viewer connection ended (relay restarted): open it again after this


def udp_port_bound(port: int, tables: tuple[str, ...] = ("/proc/net/udp", "/proc/net/udp6")) -> bool | None:
    """Is a UDP socket bound to ``port`` on any address? None where /proc/net/udp cannot be read (not Linux)."""
    suffix = f":{port:04X}"
    seen = False
    for table in tables:
        try:
            with open(table, encoding="ascii") as f:
                next(f, None)
                for line in f:
                    parts = line.split(None, 3)
                    if len(parts) > 1 and parts[1].endswith(suffix):
                        return True
            seen = True
        except OSError:
            continue
    return False if seen else None


class Warmer:
    """Keeps one warming viewer per forwarded source. Attributes: core, out (MediaOut), tasks ({source: Task}),
    keyframes_on_bind (PLIs sent the moment a pull's ffmpeg listened), bytes (discarded, all sources)."""

    def __init__(self, core, out):
        self.core, self.out = core, out
        self.tasks: dict[str, asyncio.Task] = {}
        self.keyframes_on_bind = 0
        self.bytes = 0
        self._token = ""

    def _url(self, source: str) -> tuple[str, int, str] | None:
        base = getattr(self.core, "relay_url", "")
        mint = getattr(self.core, "relay_service_token", None)
        if not base or mint is None:
            return None
        if not self._token:
            self._token = mint(SERVICE)
        parts = urlsplit(base)
        return parts.hostname or "127.0.0.1", parts.port or 80, f"/cam/{source}.ts?token={self._token}"

    def start(self, source: str, port: int) -> None:
        if source in self.tasks or self._url(source) is None:
            return
        self.tasks[source] = asyncio.get_running_loop().create_task(self._run(source, port), name=f"warm-{source}")

    def stop(self, source: str) -> None:
        task = self.tasks.pop(source, None)
        if task is not None:
            task.cancel()

    async def close(self) -> None:
        tasks = list(self.tasks.values())
        self.tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, source: str, port: int) -> None:
        sync = getattr(self.core, "relay_sync", None)
        if sync is not None:
            with contextlib.suppress(Exception):
                await sync()  # the relay knows the source (and our token) now, not at its next tick
        keyframe = asyncio.create_task(self._keyframe_when_listening(source, port))
        try:
            while True:
                try:
                    await self._view(source)
                    await asyncio.sleep(RECONNECT_S)
                except (OSError, asyncio.IncompleteReadError, _Refused) as exc:
                    log.debug("warm pull %s: %s", source, exc)
                    await asyncio.sleep(RETRY_S)
        finally:
            keyframe.cancel()

    async def _view(self, source: str) -> None:
        target = self._url(source)
        if target is None:
            raise _Refused("no relay")
        host, port, path = target
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: cc-conference-warm\r\n\r\n"
                         .encode("ascii"))
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
            if status != b"200":
                raise _Refused(f"relay answered {status.decode(errors='replace') or head[:40]!r}")
            while chunk := await reader.read(1 << 16):
                self.bytes += len(chunk)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _keyframe_when_listening(self, source: str, port: int) -> None:
        deadline = time.monotonic() + BIND_WAIT_S
        while time.monotonic() < deadline:
            bound = udp_port_bound(port)
            if bound is None:
                return  # no /proc: MediaOut's timed refreshes do the job
            if bound:
                try:
                    await self.out.refresh(source)
                    self.keyframes_on_bind += 1
                    log.info("conference video %s: keyframe asked as the relay's pull listened", source)
                except Exception as exc:
                    log.info("conference video %s: keyframe request on bind failed: %s", source, exc)
                return
            await asyncio.sleep(BIND_POLL_S)


class _Refused(Exception):
    """The relay answered with something other than 200 (404 before the sync, 401 before the token push)."""
