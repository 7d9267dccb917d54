"""The replication engine of one centre: its own records' events out (up, or down to a sub-centre), the
others' in, applied to the local Core exactly once and in order per source.

Out: every committed event of an alert, incident or task this centre owns becomes a FedMessage; a leaf
sends all of them up, the hub sends a record to the centres in its ``share`` and ``offer_to``. On start
the events committed after the last one the broker holds are sent first (the broker is the outbox cursor).
In: a batch of messages is applied in ONE Core.publish together with the per-source cursor (the highest
source seq applied), then acked; anything at or below the cursor is a duplicate and skipped.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from backend import store
from backend.core import Change, Core
from backend.federation.ownership import CURSORS, REPLICATED, federation_write, may_apply, owner_of
from backend.federation.transport import Delivery, FedMessage, Transport
from backend.store import StoreUnavailable

log = logging.getLogger(__name__)

ACTOR = "federation"
BATCH = 1000
MAX_COMMIT = 5000  # messages applied in one transaction when the link brings a backlog
RETRY_S = 1.0
_GONE = object()


@dataclass
class SourceStats:
    """Per source centre: ``applied`` messages, ``duplicates`` skipped, ``refused`` (not the owner),
    ``last_contact`` (unix time of the last applied batch), ``lag_s`` (commit time − source event time)."""

    applied: int = 0
    duplicates: int = 0
    refused: int = 0
    last_contact: float | None = None
    lag_s: float | None = None


class Replicator:
    """Attributes: core, transport, stats {centre: SourceStats}, published (messages sent), lags (recent
    commit − source times, seconds; for the benchmark)."""

    def __init__(self, core: Core, transport: Transport, *, batch: int = BATCH, keep_lags: int = 0):
        self.core, self.transport, self.batch = core, transport, batch
        self.me = core.centre
        self.stats: dict[str, SourceStats] = {}
        self.published = 0
        self.lags: list[float] = []
        self._keep_lags = keep_lags
        self._queue: asyncio.Queue[dict] = asyncio.Queue()
        self._foreign: set[tuple[str, str]] = set()
        self._targets: dict[tuple[str, str], set[str]] = {}  # hub: who got a record (for its delete)
        self._tasks: list[asyncio.Task] = []
        self._applied = asyncio.Event()
        self._inbox: asyncio.Queue[list[Delivery]] = asyncio.Queue(maxsize=4)

    async def start(self) -> "Replicator":
        for entity in REPLICATED:
            for record in self.core.all(entity):
                if owner_of(record, self.me) != self.me:
                    self._foreign.add((entity, record["id"]))
        self.core.subscribe(self._on_event)
        head = self.core.head_seq  # events after this arrive through _on_event
        last = await self.transport.last_published()
        self._tasks = [asyncio.create_task(self._publish_loop(last, head), name=f"fed-out-{self.me}"),
                       asyncio.create_task(self._fetch_loop(), name=f"fed-fetch-{self.me}"),
                       asyncio.create_task(self._consume_loop(), name=f"fed-in-{self.me}")]
        return self

    async def stop(self) -> None:
        self.core.unsubscribe(self._on_event)
        for task in self._tasks:
            task.cancel()
        _done, stuck = await asyncio.wait(self._tasks, timeout=5) if self._tasks else (set(), set())
        for task in stuck:  # a client library that swallowed the cancellation: not worth a hung shutdown
            log.warning("federation: %s did not stop within 5 s", task.get_name())
        self._tasks = []

    def _on_event(self, event: dict) -> None:
        if event["entity"] in REPLICATED:
            self._queue.put_nowait(event)

    # -- out ---------------------------------------------------------------------------------------
    def messages_for(self, event: dict) -> list[FedMessage]:
        """The messages one committed local event becomes ([] for copies of others' records)."""
        entity, key, data = event["entity"], event["key"], event.get("data")
        ident = (entity, key)
        if event["op"] == "upsert":
            if owner_of(data, self.me) != self.me:
                self._foreign.add(ident)
                return []
            self._foreign.discard(ident)
        elif ident in self._foreign:
            self._foreign.discard(ident)
            return []
        seq = int(event["seq"])
        base = dict(src=self.me, seq=seq, entity=entity, op=event["op"], key=key, data=data, owner=self.me,
                    ts=float(event.get("ts") or time.time()))
        if not self.transport.is_hub:
            return [FedMessage(**base)]
        if data is not None:
            targets = {c for c in (data.get("share") or []) if isinstance(c, str)}
            if isinstance(data.get("offer_to"), str):
                targets.add(data["offer_to"])
            targets.discard(self.me)
            self._targets.setdefault(ident, set()).update(targets)
        else:
            targets = self._targets.pop(ident, set())
        return [FedMessage(**base, target=t) for t in sorted(targets)]

    async def _publish_loop(self, last: int, head: int) -> None:
        after = last
        while after < head:  # the outbox: committed but never handed to the broker (crash, broker down)
            events = await asyncio.to_thread(self._read_events, after, head)
            if not events:
                break
            await self._send([m for e in events if e["entity"] in REPLICATED for m in self.messages_for(e)])
            after = events[-1]["seq"]
        while True:
            events = [await self._queue.get()]
            while not self._queue.empty() and len(events) < self.batch:
                events.append(self._queue.get_nowait())
            await self._send([m for e in events if e["seq"] > last for m in self.messages_for(e)])

    def _read_events(self, after: int, upto: int) -> list[dict]:
        reader = getattr(self.core, "read_events", None)  # a pluggable store may offer it on the Core
        if reader is not None:
            return reader(after, upto, 1000)
        return store.read_events(self.core.db_path, after, upto, 1000)

    async def _send(self, messages: list[FedMessage]) -> None:
        while messages:
            try:
                await self.transport.publish(messages)
                self.published += len(messages)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker restarting: the same messages again (stored once by msg id)
                log.warning("federation: publish of %d messages failed (%s); retrying", len(messages), exc)
                await asyncio.sleep(RETRY_S)

    # -- in ----------------------------------------------------------------------------------------
    async def _fetch_loop(self) -> None:
        """Fetch ahead while the previous batch commits (the broker keeps them unacked until then)."""
        while True:
            try:
                deliveries = await self.transport.fetch(self.batch, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("federation: fetch failed (%s); retrying", exc)
                await asyncio.sleep(RETRY_S)
                continue
            if deliveries:
                await self._inbox.put(deliveries)

    async def _consume_loop(self) -> None:
        while True:
            deliveries = await self._inbox.get()
            while not self._inbox.empty() and len(deliveries) < MAX_COMMIT:  # one commit for what is queued
                deliveries = deliveries + self._inbox.get_nowait()
            await self.apply(deliveries)
            try:
                await self.transport.ack(deliveries)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # redelivered later and skipped by the cursor
                log.warning("federation: ack failed (%s)", exc)

    async def apply(self, deliveries: list[Delivery]) -> None:
        """Commit the new messages of this batch and their cursors in one transaction (retried until the
        store takes it: moving on would let a later batch pass the cursor over this one)."""
        changes, touched, ts_by_src = self._plan(deliveries)
        if not changes:
            return
        while True:
            try:
                with federation_write():
                    await self.core.publish(changes, actor=ACTOR)
                break
            except asyncio.CancelledError:
                raise
            except StoreUnavailable as exc:
                log.warning("federation: store unavailable (%s); holding %d changes", exc.reason, len(changes))
                await asyncio.sleep(RETRY_S)
            except Exception:
                log.exception("federation: batch refused by the store; applying one by one")
                await self._apply_singly(changes)
                break
        now = time.time()
        for src, ts_list in ts_by_src.items():
            s = self.stats.setdefault(src, SourceStats())
            s.applied += touched.get(src, 0)
            s.last_contact = now
            s.lag_s = max(0.0, now - ts_list[-1])
            if self._keep_lags:
                self.lags.extend(now - t for t in ts_list)
                del self.lags[:-self._keep_lags]
        self._applied.set()
        self._applied = asyncio.Event()

    async def _apply_singly(self, changes: list[Change]) -> None:
        cursors = [c for c in changes if c.entity == CURSORS]
        for change in [c for c in changes if c.entity != CURSORS] + cursors:
            try:
                with federation_write():
                    await self.core.publish([change], actor=ACTOR)
            except Exception as exc:
                log.error("federation: %s %s not applied: %s", change.entity, change.key, exc)

    def _plan(self, deliveries: list[Delivery]) -> tuple[list[Change], dict[str, int], dict[str, list[float]]]:
        changes: list[Change] = []
        view: dict[tuple[str, str], object] = {}
        cursors: dict[str, int] = {}
        touched: dict[str, int] = {}
        ts_by_src: dict[str, list[float]] = {}
        now = time.time()
        for d in deliveries:
            m = d.message
            if m is None:
                log.error("federation: message dropped: %s", d.error)
                continue
            stats = self.stats.setdefault(m.src, SourceStats())
            cursor = cursors.get(m.src)
            if cursor is None:
                cursor = int((self.core.get(CURSORS, m.src) or {}).get("seq") or 0)
            if m.seq <= cursor:
                stats.duplicates += 1
                continue
            cursors[m.src] = m.seq
            ts_by_src.setdefault(m.src, []).append(m.ts)
            ident = (m.entity, m.key)
            local = view[ident] if ident in view else self.core.get(m.entity, m.key)
            local = None if local is _GONE else local
            if m.src == self.me or m.entity not in REPLICATED or m.owner != m.src \
                    or not may_apply(local, m.src, self.me):  # type: ignore[arg-type]
                stats.refused += 1
                log.warning("federation: %s from %s refused: %s %s is owned by %s", m.eid, m.src, m.entity,
                            m.key, owner_of(local, self.me))  # type: ignore[arg-type]
                continue
            touched[m.src] = touched.get(m.src, 0) + 1
            if m.op == "delete":
                if local is not None:
                    changes.append(Change(m.entity, "delete", m.key))
                view[ident] = _GONE
                continue
            data = {**m.data, "id": m.key, "owner": m.src}
            if self.transport.is_hub and data.get("offer_to") == self.me:
                data = accepted(data, self.me, m.src, now)  # escalation: the city takes ownership
            changes.append(Change(m.entity, "upsert", m.key, data))
            view[ident] = data
        changes += [Change(CURSORS, "upsert", src, {"id": src, "seq": seq, "at": now}) for src, seq in cursors.items()]
        return changes, touched, ts_by_src

    async def wait_applied(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._applied.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False


def accepted(record: dict, me: str, giver: str, now: float) -> dict:
    """``record`` (offered to ``me`` by ``giver``) as ``me`` owns it; ``giver`` keeps a read-only copy."""
    out = {k: v for k, v in record.items() if k != "offer_to"}
    share = sorted({*(record.get("share") or []), giver} - {me})
    history = list(record.get("handovers") or []) + [{"from": giver, "to": me, "at": now}]
    return {**out, "owner": me, "share": share, "handovers": history}
