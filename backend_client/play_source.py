"""What a tile plays for a camera (relay HTTP-TS, the relay's UDP multicast group, or a direct RTSP URL) and
the multicast leases that keep a group running while tiles show it. asyncio I/O only; no Qt.

Multicast (``cc-app --multicast [IFACE]``): the relay sends a camera's group only while someone renews its
lease (``GET /cam/<id>.ts?token=T&transport=udp`` → 307, ``lease_s``); ``MulticastLeases`` repeats that every
``lease_s / 2`` for each (camera, stream) some holder holds, and stops when the last holder releases it.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote, urlsplit

log = logging.getLogger(__name__)

RETRY_S = 2.0  # a relay that does not answer (restarting) is asked again this often
PERMANENT = (400, 401, 403, 404)  # no group for this camera, or not allowed: play over HTTP instead


@dataclass(frozen=True)
class PlaySource:
    """A URL for libvlc and the media options it needs (``media_new(url, *options)``).

    Attributes:
        url: http://…/cam/<id>.ts?token=…, udp://@GROUP:PORT or rtsp://… (direct).
        options: libvlc media options, e.g. (":miface=eth0",) to join a group on that interface.
        transport: "http" | "udp" | "rtsp-direct".
    """

    url: str
    options: tuple[str, ...] = ()
    transport: str = "http"


def relay_path(camera_id: str, token: str, stream: str = "main", extra: str = "") -> str:
    return (f"/cam/{quote(camera_id, safe='')}.ts?token={quote(token, safe='')}"
            + ("&stream=sub" if stream == "sub" else "") + extra)


async def http_get(base_url: str, path: str, timeout: float = 5.0) -> tuple[int, dict]:
    """(status, JSON body or {}) of one GET to the relay; a redirect is returned, not followed."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    async def call() -> tuple[int, dict]:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode("latin-1"))
            await writer.drain()
            raw = await reader.read(1 << 20)
        finally:
            writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        try:
            value = json.loads(body.decode("utf-8")) if body else {}
        except ValueError:
            value = {}
        return status, value if isinstance(value, dict) else {}

    return await asyncio.wait_for(call(), timeout)


class MulticastLeases:
    """Leases of relay multicast groups, renewed while held (one asyncio task per camera stream).

    Attributes:
        renewals: {(camera, stream): lease requests answered 307 so far}.
        failed: {(camera, stream): why the relay refused the group} (those play over HTTP).
    """

    def __init__(self, base_url: Callable[[], str], token: Callable[[], str],
                 on_failed: Callable[[str, str, str], None] = lambda c, s, why: None):
        self._base_url, self._token, self._on_failed = base_url, token, on_failed
        self._holders: dict[tuple[str, str], set] = {}
        self._tasks: dict[tuple[str, str], asyncio.Task] = {}
        self.renewals: dict[tuple[str, str], int] = {}
        self.failed: dict[tuple[str, str], str] = {}

    def held(self) -> list[tuple[str, str]]:
        return sorted(self._holders)

    def hold(self, camera_id: str, stream: str, holder: object = None) -> None:
        """Keep the group running for ``holder`` (None: one shared anonymous holder); idempotent."""
        key = (camera_id, stream)
        self._holders.setdefault(key, set()).add(holder)
        task = self._tasks.get(key)
        if task is None or task.done():
            self._tasks[key] = asyncio.get_event_loop().create_task(self._renew(key), name=f"lease-{camera_id}")

    def release(self, camera_id: str, stream: str, holder: object = None) -> None:
        """``holder`` no longer shows it; the last release stops renewing (the relay ends it after lease_s)."""
        key = (camera_id, stream)
        holders = self._holders.get(key)
        if holders is None:
            return
        holders.discard(holder)
        if not holders:
            del self._holders[key]
            task = self._tasks.pop(key, None)
            if task is not None:
                task.cancel()

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        self._holders.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _renew(self, key: tuple[str, str]) -> None:
        camera_id, stream = key
        while key in self._holders:
            try:
                status, body = await http_get(self._base_url(), relay_path(camera_id, self._token(), stream,
                                                                            "&transport=udp"))
            except (OSError, asyncio.TimeoutError, ValueError, IndexError) as exc:
                log.warning("multicast lease %s/%s: relay not answering (%s); asking again", camera_id, stream, exc)
                await asyncio.sleep(RETRY_S)
                continue
            if status == 307:
                self.renewals[key] = self.renewals.get(key, 0) + 1
                lease = body.get("lease_s")
                lease = float(lease) if isinstance(lease, (int, float)) and lease > 0 else 30.0
                await asyncio.sleep(max(0.2, lease / 2))
            elif status in PERMANENT:
                why = str(body.get("error") or f"HTTP {status}")
                log.warning("multicast %s/%s refused by the relay (%s): playing over HTTP", camera_id, stream, why)
                self.failed[key] = why
                self._on_failed(camera_id, stream, why)
                return
            else:  # 503 (cannot send on that interface now) and the like: try again, HTTP meanwhile
                await asyncio.sleep(RETRY_S)
