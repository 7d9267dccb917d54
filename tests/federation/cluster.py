"""A real federation on 127.0.0.1 for the tests and the benchmark: a hub and leaves, each a nats-server
process and a backend Core on its own SQLite file, every leaf reaching the hub through a TCP proxy of ours
that can cut the link."""
from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
from pathlib import Path

from backend.core import Change, Core
from backend.federation import pki
from backend.federation.engine import Replicator
from backend.federation.nats_transport import NatsTransport
from backend.federation.natsd import NatsServer, hub_config, leaf_config
from backend.federation.ownership import OwnershipGuard

HUB = "city"


class TcpProxy:
    """Forwards 127.0.0.1:port → target; ``cut()`` drops every connection and refuses new ones until
    ``restore()``. Attributes: port, cuts."""

    def __init__(self, target_port: int, host: str = "127.0.0.1"):
        # bound now, listened on at start(): a port merely found free could be taken in between (seen once:
        # EADDRINUSE at start); after a cut() the same port is bound again, as the leaf reconnects to it
        self._sock: socket.socket | None = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self.host, self.target_port, self.port = host, target_port, self._sock.getsockname()[1]
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.cuts = 0

    async def start(self) -> "TcpProxy":
        if self._sock is not None:
            sock, self._sock = self._sock, None
            self._server = await asyncio.start_server(self._client, sock=sock)
        else:
            self._server = await asyncio.start_server(self._client, self.host, self.port, reuse_address=True)
        return self

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    async def cut(self) -> None:
        self.cuts += 1
        if self._server is not None:
            self._server.close()
            self._server = None
        for w in list(self._writers):
            w.transport.abort()
        self._writers.clear()

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        await self.cut()
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class Centre:
    """One centre: nats-server + Core + transport + replicator. Attributes: id, server, core, replicator."""

    def __init__(self, centre: str, workdir: Path, config, is_hub: bool, leaves: list[str] | None = None):
        self.id, self.workdir, self.is_hub = centre, workdir, is_hub
        self.server = NatsServer(config, workdir / "federation")
        self.core = Core(workdir / "cc.db", centre=centre)
        self._leaves = leaves
        self.transport: NatsTransport | None = None
        self.replicator: Replicator | None = None

    async def start(self, keep_lags: int = 0) -> "Centre":
        await self.server.start()
        await self.core.start()
        self.core.add_publish_guard(OwnershipGuard(self.core))
        await self.start_engine(keep_lags)
        return self

    async def start_engine(self, keep_lags: int = 0) -> None:
        self.transport = NatsTransport(self.id, self.server.url, is_hub=self.is_hub, hub_centre=HUB,
                                       monitor=self.server.monitor_url, leaves=self._leaves)
        await self.transport.start()
        self.replicator = await Replicator(self.core, self.transport, keep_lags=keep_lags).start()

    async def stop_engine(self) -> None:
        if self.replicator is not None:
            await self.replicator.stop()
        if self.transport is not None:
            await self.transport.close()

    async def stop(self) -> None:
        for what, step in (("engine", self.stop_engine), ("core", self.core.close), ("nats", self.server.stop)):
            try:
                await asyncio.wait_for(step(), 30)
            except asyncio.TimeoutError:
                raise AssertionError(f"centre {self.id}: {what} did not stop within 30 s") from None

    def count(self, entity: str, owner: str | None = None) -> int:
        return sum(1 for r in self.core.all(entity) if owner is None or r.get("owner") == owner)

    def applied_keys(self, entity: str, src: str) -> list[str]:
        """Keys of the events the federation applied here from ``src``, in commit order (from the store)."""
        conn = sqlite3.connect(f"file:{self.core.db_path}?mode=ro", uri=True, timeout=30)
        try:
            rows = conn.execute("SELECT key, data FROM events WHERE entity = ? AND actor = 'federation'"
                                " ORDER BY seq", (entity,)).fetchall()
        finally:
            conn.close()
        return [k for k, d in rows if d is not None and f'"owner":"{src}"' in d]


class Cluster:
    """A hub (``city``) and leaves, each leaf behind its own TcpProxy. Attributes: hub, leaves, proxies."""

    def __init__(self, tmp: Path, leaves: tuple[str, ...] = ("a", "b"), secure: bool = False):
        self.tmp = Path(tmp)
        self.hub_config = hub_config(self.tmp / HUB / "federation", HUB)
        self.hub = Centre(HUB, self.tmp / HUB, self.hub_config, True, list(leaves))
        self.proxies = {c: TcpProxy(self.hub_config.leaf_listen) for c in leaves}
        self.leaves = {c: Centre(c, self.tmp / c, leaf_config(self.tmp / c / "federation", c,
                                                              f"nats-leaf://127.0.0.1:{self.proxies[c].port}"),
                                 False) for c in leaves}
        if secure:  # as the backend does it (feature.secure_links): TLS of the federation CA + passwords
            self.pki = self.tmp / "pki"
            self.hub_config.tls = pki.hub_pki(self.pki)
            for c, leaf in self.leaves.items():
                bundle = pki.load_bundle(pki.issue(self.pki, c))
                leaf.server.config.tls, leaf.server.config.leaf_password = bundle.files, bundle.password
            self.hub_config.leaf_users = pki.leaf_passwords(self.pki)
            self.hub_config.local_password = "engine-secret"

    async def start(self, keep_lags: int = 0) -> "Cluster":
        await self.hub.start(keep_lags)
        for c, leaf in self.leaves.items():
            await self.proxies[c].start()
            await leaf.start(keep_lags)
        await self.wait_links()
        return self

    async def wait_links(self, timeout: float = 60) -> None:
        """Until the hub sees every leaf connected (stream sourcing starts from there)."""
        await wait_for(lambda: self._links_up(), timeout, "leaf links up")

    async def _links_up(self) -> bool:
        links = await self.hub.transport.links()
        return all(links.get(c) and links[c].up for c in self.leaves)

    async def stop(self) -> None:
        for c, leaf in self.leaves.items():
            await leaf.stop()
            await self.proxies[c].close()
        await self.hub.stop()

    async def cut(self, *centres: str) -> None:
        for c in centres or self.leaves:
            await self.proxies[c].cut()

    async def restore(self, *centres: str) -> None:
        for c in centres or self.leaves:
            await self.proxies[c].restore()


async def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    """Await until ``predicate()`` (sync or async) is true; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(interval)


async def produce(core: Core, entity: str, prefix: str, count: int, rate: float, extra: dict | None = None,
                  chunk: int = 50) -> float:
    """Publish ``count`` records ``<prefix>-<i>`` (i from 1) at about ``rate``/s in chunks; return seconds."""
    start = time.monotonic()
    for first in range(1, count + 1, chunk):
        last = min(count, first + chunk - 1)
        await core.publish([Change(entity, "upsert", f"{prefix}-{i:05d}",
                                   {"n": i, "title": f"{prefix} {i}", "ts": time.time(), **(extra or {})})
                            for i in range(first, last + 1)], actor="test")
        ahead = start + last / rate - time.monotonic()
        if ahead > 0:
            await asyncio.sleep(ahead)
    return time.monotonic() - start
