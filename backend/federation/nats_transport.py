"""The federation transport on NATS JetStream: leaf nodes with their own domains, streams sourced over the link.

Hub (domain "hub"):  stream DOWN  (subjects fed.down.<centre>) — what the city sends each sub-centre;
                     stream UP    (no subjects) sourcing every UP_<leaf> from $JS.<leaf>.API.
Leaf (domain <id>):  stream UP_<id>   (subject fed.up.<id>) — its own events;
                     stream DOWN_<id> (no subjects) sourcing DOWN filtered to fed.down.<id> from $JS.hub.API.
Each centre applies its in-stream (hub: UP, leaf: DOWN_<id>) through a durable pull consumer "apply"
(ack-all, acked after the local commit). Consecutive events of a source (and target) travel packed in
one broker message (a JSON list, up to PACK_MESSAGES): far fewer messages to store, source, fetch and ack
during a catch-up. Publishes carry Nats-Msg-Id (the pack's first eid and last seq, + target down) so a
republished pack is stored once; anything else repeated is skipped by the consumer's cursor.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import nats
from nats.js import api
from nats.js.errors import NotFoundError

from backend.federation.natsd import HUB_DOMAIN, http_get_json, last_link_error
from backend.federation.transport import (CENTRE_ID, Delivery, FederationError, FedMessage, LinkInfo, Transport,
                                          decode_pack, encode_pack)

log = logging.getLogger(__name__)

DURABLE = "apply"
MAX_AGE_S = 90 * 86400  # a sub-centre offline this long must be re-seeded
PUBLISH_WINDOW = 256  # JetStream publishes in flight at once (acks awaited in order)
PACK_MESSAGES = 200  # consecutive events of one source (and target) in one broker message, at most
PACK_BYTES = 256 * 1024  # and at most this much JSON (the server's max_payload is 1 MiB)
FETCH_PACKS = 64  # broker messages per pull request


class NatsTransport(Transport):
    """Attributes: centre, is_hub, hub_centre (the city's id, for a leaf's links), url, monitor (host, port)."""

    def __init__(self, centre: str, url: str, *, is_hub: bool, hub_centre: str = "city",
                 monitor: tuple[str, int] | None = None, leaves: list[str] | None = None,
                 log_path: Path | None = None):
        if not CENTRE_ID.match(centre):
            raise FederationError(f"centre id {centre!r}: expected lower-case letters, digits, _ (max 32)")
        self.centre, self.url, self.is_hub, self.hub_centre = centre, url, is_hub, hub_centre
        self.monitor, self.log_path = monitor, log_path
        self._leaves: list[str] = list(leaves or [])
        self._was_up: set[str] = set()
        self._watcher: asyncio.Task | None = None
        self._kicked: dict[str, float] = {}
        self._nc = None
        self._js = None
        self._jsm = None
        self._sub = None
        self._acked = 0  # the highest in-stream seq acked (ack-all: it and everything before it are committed)
        self._next = 1  # the in-stream seq the engine must be handed next (see ``fetch``)
        self._rewind_from: int | None = None  # a re-creation of the consumer not done yet (see ``_rewind``)
        self.rewinds = 0
        self._awaiting_acks: set[asyncio.Future] = set()  # one per publish window in flight (see ``publish``)
        self._in_stream = "UP" if is_hub else f"DOWN_{centre}"
        self._out_stream = "DOWN" if is_hub else f"UP_{centre}"

    # -- life --------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._nc = await nats.connect(self.url, name=f"cc-federation-{self.centre}", max_reconnect_attempts=-1,
                                      reconnect_time_wait=0.5, connect_timeout=5, allow_reconnect=True,
                                      disconnected_cb=self._disconnected)
        domain = HUB_DOMAIN if self.is_hub else self.centre
        self._js = self._nc.jetstream(domain=domain, timeout=10, publish_async_max_pending=PUBLISH_WINDOW * 4)
        self._jsm = self._js  # JetStreamContext is also the manager
        if self.is_hub:
            await self._ensure_stream(api.StreamConfig(name="DOWN", subjects=["fed.down.>"], **_durable()))
            await self._ensure_stream(api.StreamConfig(name="UP", sources=[_source(c) for c in self._leaves],
                                                       **_durable()))
        else:
            await self._ensure_stream(api.StreamConfig(name=self._out_stream, subjects=[f"fed.up.{self.centre}"],
                                                       **_durable()))
            down = api.StreamSource(name="DOWN", filter_subject=f"fed.down.{self.centre}",
                                    external=api.ExternalStream(api=f"$JS.{HUB_DOMAIN}.API"))
            await self._ensure_stream(api.StreamConfig(name=self._in_stream, sources=[down], **_durable()))
        try:
            consumer = await self._js.consumer_info(self._in_stream, DURABLE)
        except NotFoundError:
            consumer = await self._js.add_consumer(self._in_stream, _consumer(api.DeliverPolicy.ALL))
        self._acked = int(consumer.ack_floor.stream_seq or 0) if consumer.ack_floor else 0
        self._next = max(self._acked + 1, await self._first_seq())
        self._sub = await self._js.pull_subscribe_bind(DURABLE, self._in_stream)
        if self.monitor is not None:
            self._watcher = asyncio.create_task(self._watch_links(), name=f"fed-link-watch-{self.centre}")

    async def _watch_links(self, interval: float = 0.2) -> None:
        """Restart the sourcing over a link as soon as the link is back (see ``resource``)."""
        while True:
            try:
                leafz = await http_get_json(*self.monitor, "/leafz")
                if leafz is None:  # our own server restarting: every link is new when it is back
                    self._was_up.clear()
                else:
                    connected = {leaf.get("name") for leaf in leafz.get("leafs") or []}
                    if not self.is_hub:  # a leaf has one link: to the hub, whatever its server is called
                        connected = {self.hub_centre} if connected else set()
                    for centre in [c for c in self._peers() if c in connected and c not in self._was_up]:
                        await self.resource(centre)
                        self._was_up.add(centre)
                    self._was_up &= connected
                    await self._kick_stalled(connected)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the local server restarting: next round
                log.debug("leaf watch: %s", exc)
            await asyncio.sleep(interval)

    async def _kick_stalled(self, connected: set[str], every: float = 2.0) -> None:
        """A link that is up but whose source is not established (active -1: the first attempt came too
        early and the server backs off) is restarted, at most every ``every`` s."""
        info = await self._js.stream_info(self._in_stream)
        now = asyncio.get_running_loop().time()
        for src in info.sources or []:
            centre = src.name[3:] if self.is_hub else self.hub_centre
            if centre in connected and (src.active is None or src.active < 0) \
                    and now - self._kicked.get(centre, 0.0) >= every:
                self._kicked[centre] = now
                await self.resource(centre, why="not established")

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.wait([self._watcher], timeout=5)  # nats-py may swallow a cancel inside a request
            self._watcher = None
        nc, self._nc = self._nc, None
        if nc is not None:
            try:
                await asyncio.wait_for(nc.close(), 5)
            except asyncio.TimeoutError:
                log.warning("federation: NATS connection of %s did not close within 5 s", self.centre)

    async def _ensure_stream(self, config: api.StreamConfig) -> None:
        try:
            info = await self._js.stream_info(config.name)
        except NotFoundError:
            await self._js.add_stream(config)
            return
        if config.sources is not None:
            have = {s.name for s in (info.config.sources or [])}
            if {s.name for s in config.sources} - have:
                merged = list(info.config.sources or []) + [s for s in config.sources if s.name not in have]
                info.config.sources = merged
                await self._js.update_stream(info.config)

    async def add_centre(self, centre: str) -> None:
        if not self.is_hub:
            raise FederationError("only the hub takes sub-centres' up-streams")
        if not CENTRE_ID.match(centre) or centre == self.centre:
            raise FederationError(f"sub-centre id {centre!r}: not a valid id, or the hub's own")
        if centre not in self._leaves:
            self._leaves.append(centre)
        await self._ensure_stream(api.StreamConfig(name="UP", sources=[_source(centre)], **_durable()))

    # -- out ---------------------------------------------------------------------------------------
    async def last_published(self) -> int:
        info = await self._js.stream_info(self._out_stream)
        if not info.state.messages:
            return 0
        raw = await self._js.get_msg(self._out_stream, seq=info.state.last_seq)
        return decode_pack(raw.data)[-1].seq

    async def publish(self, messages: list[FedMessage]) -> None:
        packs = [part for pack in _packs(messages) for part in _encoded(pack)]
        for start in range(0, len(packs), PUBLISH_WINDOW):
            futures = []
            for pack, raw in packs[start:start + PUBLISH_WINDOW]:  # sent in this order on one connection
                first, last = pack[0], pack[-1]
                msg_id = first.eid if len(pack) == 1 else f"{first.eid}..{last.seq}"
                if self.is_hub:
                    subject, msg_id = f"fed.down.{first.target}", f"{msg_id}>{first.target}"
                else:
                    subject = f"fed.up.{self.centre}"
                futures.append(await self._js.publish_async(
                    subject, raw, stream=self._out_stream, headers={"Nats-Msg-Id": msg_id}))
            done = await self._acks(futures, timeout=30)
            failed = next((r for r in done if isinstance(r, BaseException)), None)
            if failed is not None:
                raise FederationError(f"publish to {self._out_stream} failed: {failed!r}")

    async def _acks(self, futures: list[asyncio.Future], timeout: float) -> list:
        """The broker's answers to these publishes. Raises at once when the connection drops meanwhile: the
        answers of a broker that went away never come (nats-py keeps waiting for them), and the caller's retry
        is safe (Nats-Msg-Id). Raises after ``timeout`` without them all."""
        dropped = asyncio.get_running_loop().create_future()
        self._awaiting_acks.add(dropped)
        acks = asyncio.gather(*futures, return_exceptions=True)
        try:
            await asyncio.wait([acks, dropped], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._awaiting_acks.discard(dropped)
        if acks.done():
            return acks.result()
        pending = sum(1 for f in futures if not f.done())
        acks.cancel()  # frees nats-py's places for pending publishes
        if dropped.done():
            raise FederationError(f"the connection to the broker dropped with {pending} publishes unanswered")
        raise FederationError(f"{pending} publishes unanswered after {timeout:g} s")

    async def _disconnected(self) -> None:
        for waiting in self._awaiting_acks:
            if not waiting.done():
                waiting.set_result(None)

    # -- in ----------------------------------------------------------------------------------------
    async def fetch(self, max_messages: int, timeout: float) -> list[Delivery]:
        """Up to ``FETCH_PACKS`` broker messages; each pack becomes one Delivery per message, all with the
        pack's handle (acking the last one acks the pack and everything before it: ack-all).

        Nothing may pass a message that was delivered but never reached the engine's commit: one whose answer
        was lost when the broker went down, or one a previous engine fetched and died with. The broker would
        send it again only after ``ack_wait``, and by then an ack of anything after it (ack-all) would have
        acknowledged it, and the cursor of its source passed it: lost. The in-stream's seqs are dense, so a
        message past the next one expected shows such a gap; the consumer is then re-created to deliver again
        from the first one not acked (what was already committed is skipped by the cursor)."""
        if self._rewind_from is not None:  # one that failed part-way (the broker went away): again
            await self._rewind()
        try:
            msgs = await self._sub.fetch(max(1, min(max_messages, FETCH_PACKS)), timeout=timeout)
        except (nats.errors.TimeoutError, asyncio.TimeoutError):
            return []
        out = []
        for raw in msgs:
            seq = raw.metadata.sequence.stream
            if seq > self._next and not await self._expired_before(seq):
                log.warning("federation: %s seq %d delivered, %d..%d never reached this engine; delivering "
                            "again from %d", self._in_stream, seq, self._next, seq - 1, self._acked + 1)
                self._rewind_from = self._acked + 1
                await self._rewind()
                return out
            self._next = max(self._next, seq + 1)
            try:
                out.extend(Delivery(m, raw) for m in decode_pack(raw.data))
            except FederationError as exc:
                out.append(Delivery(None, raw, str(exc)))
        return out

    async def ack(self, deliveries: list[Delivery]) -> None:
        if deliveries:
            handle = deliveries[-1].handle
            await handle.ack()  # ack-all: acknowledges every earlier one too
            self._acked = max(self._acked, handle.metadata.sequence.stream)

    async def _expired_before(self, seq: int) -> bool:
        """Whether the missing seqs before ``seq`` are gone from the stream (its age limit): nothing to wait for."""
        first = await self._first_seq()
        if first <= self._next:
            return False
        log.error("federation: %s seqs %d..%d expired before this centre applied them", self._in_stream,
                  self._next, min(seq, first) - 1)
        return True

    async def _first_seq(self) -> int:
        """The oldest seq the in-stream still holds (older ones aged out); 1 while it is empty."""
        return (await self._js.stream_info(self._in_stream)).state.first_seq or 1

    async def _rewind(self) -> None:
        """Re-create the durable consumer to deliver from in-stream seq ``_rewind_from``. Should this fail
        part-way, the next fetch does it again; should the process die in between, start() creates the consumer
        from the beginning: everything again, skipped by the cursors."""
        start = self._rewind_from
        try:
            await self._sub.unsubscribe()
        except nats.errors.BadSubscriptionError:  # done by an earlier try
            pass
        try:
            await self._js.delete_consumer(self._in_stream, DURABLE)
        except NotFoundError:
            pass
        await self._js.add_consumer(self._in_stream, _consumer(api.DeliverPolicy.BY_START_SEQUENCE, start))
        self._sub = await self._js.pull_subscribe_bind(DURABLE, self._in_stream)
        self._next, self._rewind_from = start, None
        self.rewinds += 1

    # -- link state --------------------------------------------------------------------------------
    async def links(self) -> dict[str, LinkInfo]:
        leafz = await http_get_json(*self.monitor, "/leafz") if self.monitor else None
        connected = {leaf.get("name") for leaf in (leafz or {}).get("leafs") or []}
        consumer_pending = 0
        sources: dict[str, int] = {}
        try:
            info = await self._js.stream_info(self._in_stream)
            for src in info.sources or []:
                sources[src.name] = int(src.lag or 0)
            consumer_pending = (await self._js.consumer_info(self._in_stream, DURABLE)).num_pending or 0
        except Exception as exc:  # the local server itself is down: everything is unknown
            log.debug("link state: %s", exc)
            return {c: LinkInfo(False, detail=f"local broker: {exc!r}") for c in self._peers()}
        if self.is_hub:
            return {c: LinkInfo(c in connected, sources.get(f"UP_{c}", 0), self._why_down(c in connected, c))
                    for c in self._leaves}
        up = bool(connected) if leafz is not None else False
        return {self.hub_centre: LinkInfo(up, sources.get("DOWN", 0) + consumer_pending, self._why_down(up))}

    def _why_down(self, up: bool, user: str = "") -> str:
        """The broker's reason for a link that is down (refused certificate, password…), from its log."""
        if up or self.log_path is None:
            return ""
        return last_link_error(self.log_path, user)

    async def resource(self, centre: str, why: str = "link back") -> None:
        """Restart the sourcing over the link to ``centre`` now (hub: the leaf's up-stream; leaf: the
        hub's down-stream). The server retries a failed source with a
        growing back-off (tens of seconds after a short cut); taking the source out and back in makes it
        resume at once, from the last message the stream holds from that source (duplicates, if any, are
        skipped by the consumer's cursor)."""
        name, stream = (f"UP_{centre}", "UP") if self.is_hub else ("DOWN", self._in_stream)
        info = await self._js.stream_info(stream)
        keep = [s for s in (info.config.sources or []) if s.name != name]
        again = [s for s in (info.config.sources or []) if s.name == name]
        info.config.sources = keep
        await self._js.update_stream(info.config)
        info.config.sources = keep + (again or [_source(centre)])
        await self._js.update_stream(info.config)
        log.log(logging.INFO if why == "link back" else logging.DEBUG, "federation: sourcing of %s restarted (%s)",
                centre, why)

    def _peers(self) -> list[str]:
        return list(self._leaves) if self.is_hub else [self.hub_centre]


def _packs(messages: list[FedMessage]) -> list[list[FedMessage]]:
    """Consecutive messages of the same target grouped into packs of at most PACK_MESSAGES (order kept
    within a target); the packs ordered by their last seq, so the stream's last message holds the highest
    seq sent."""
    packs: list[list[FedMessage]] = []
    open_pack: dict[str, list[FedMessage]] = {}
    for m in messages:
        current = open_pack.get(m.target)
        if current is None or len(current) >= PACK_MESSAGES:
            current = open_pack[m.target] = []
            packs.append(current)
        current.append(m)
    return sorted(packs, key=lambda p: p[-1].seq)


def _encoded(pack: list[FedMessage]) -> list[tuple[list[FedMessage], bytes]]:
    """The pack as JSON, halved until each part is at most PACK_BYTES (a single message may be larger)."""
    raw = encode_pack(pack)
    if len(raw) <= PACK_BYTES or len(pack) == 1:
        return [(pack, raw)]
    half = len(pack) // 2
    return _encoded(pack[:half]) + _encoded(pack[half:])


def _durable() -> dict:
    return {"storage": api.StorageType.FILE, "retention": api.RetentionPolicy.LIMITS, "max_age": MAX_AGE_S,
            "duplicate_window": 600.0}


def _consumer(deliver: api.DeliverPolicy, start: int | None = None) -> api.ConsumerConfig:
    """The "apply" consumer: ack-all, acked after the local commit."""
    return api.ConsumerConfig(durable_name=DURABLE, ack_policy=api.AckPolicy.ALL, deliver_policy=deliver,
                              opt_start_seq=start, ack_wait=60, max_ack_pending=20_000)


def _source(centre: str) -> api.StreamSource:
    return api.StreamSource(name=f"UP_{centre}", external=api.ExternalStream(api=f"$JS.{centre}.API"))
