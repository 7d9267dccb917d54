"""CAP ingest into the Core: duplicates ignored, Update/Cancel applied by references, refusals quarantined.

Valid alerts become ``alerts`` records (``to_alert_records``). A refused document gets one row in the
store's ``quarantine`` table (ts, origin, reason, sha256, size, first 64 KiB of the payload) and a
payload-free notice on the change stream as entity ``cap_quarantine``, both written by the backend's
single writer in one transaction (``Core.quarantine``); the payload never reaches clients.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field

from backend import store
from backend.cap.parse import CapError, CapMessage, parse_cap, to_alert_records
from backend.core import Change
from backend_client.models import Colour

log = logging.getLogger(__name__)

PAYLOAD_KEPT = 64 * 1024
NOTICE_ENTITY = "cap_quarantine"
SHOWN_STATUSES = ("Actual", "Exercise")  # Test, Draft and System are not for the duty officer's screen
_SEEN_BOUND = 100_000  # in-memory memory of messages that made no alert record (Ack, Test, …)



@dataclass(frozen=True)
class IngestResult:
    """What happened to one document.

    Attributes:
        outcome: accepted | duplicate | updated | cancelled | ignored | quarantined.
        reason: why (always set for ignored and quarantined; a note otherwise).
        alert_ids: the alert records written or changed.
    """

    outcome: str
    reason: str = ""
    alert_ids: tuple[str, ...] = ()
    sender: str = ""
    identifier: str = ""
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome != "quarantined"

    def to_dict(self) -> dict:
        return {**asdict(self), "alert_ids": list(self.alert_ids)}


@dataclass
class _Index:
    """Which alert records each CAP message (sender, identifier) maps to, and which triples were seen."""

    by_message: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    seen: set[tuple[str, str, str]] = field(default_factory=set)
    seen_other: OrderedDict = field(default_factory=OrderedDict)

    def has(self, triple: tuple[str, str, str]) -> bool:
        return triple in self.seen or triple in self.seen_other

    def remember_other(self, triple: tuple[str, str, str]) -> None:
        self.seen_other[triple] = True
        while len(self.seen_other) > _SEEN_BOUND:
            self.seen_other.popitem(last=False)

    def link(self, triple: tuple[str, str, str], keys: list[str]) -> None:
        self.seen.add(triple)
        known = self.by_message.setdefault(triple[:2], [])
        known.extend(k for k in keys if k not in known)


class CapIngest:
    """Turns CAP documents into alert changes on a running ``backend.core.Core``.

    Attributes:
        core: the Core (``publish``, ``get``, ``all``, ``db_path``).
        counts: outcome → number of documents, since start.
    """

    def __init__(self, core, actor: str = "cap"):
        self.core = core
        self.actor = actor
        self.counts: dict[str, int] = {}
        self._lock = asyncio.Lock()  # one document at a time: duplicate checks and chains stay exact
        self._index: _Index | None = None

    async def ingest(self, data: bytes, origin: str) -> IngestResult:
        """Ingest one document; never raises for bad input (it is quarantined instead)."""
        async with self._lock:
            result = await self._ingest(bytes(data), origin)
        self.counts[result.outcome] = self.counts.get(result.outcome, 0) + 1
        level = logging.WARNING if result.outcome == "quarantined" else logging.INFO
        log.log(level, "CAP %s from %s: %s %s %s", result.outcome, origin, result.sender or "-",
                result.identifier or result.sha256[:16], result.reason)
        return result

    async def _ingest(self, data: bytes, origin: str) -> IngestResult:
        sha = hashlib.sha256(data).hexdigest()
        try:
            msg = await asyncio.to_thread(parse_cap, data)
        except CapError as exc:
            return await self._quarantine(exc.reason, origin, data[:PAYLOAD_KEPT], len(data), sha)
        except Exception as exc:  # a bug in the codec must not lose the document or stop the feed
            log.exception("CAP parser failed on a document from %s", origin)
            return await self._quarantine(f"internal parser error: {type(exc).__name__}: {exc}"[:500],
                                          origin, data[:PAYLOAD_KEPT], len(data), sha)
        try:
            return await self._apply(msg, sha)
        except (ValueError, TypeError) as exc:  # e.g. a record the store refuses
            log.exception("CAP message %s/%s could not be stored", msg.sender, msg.identifier)
            return await self._quarantine(f"not storable: {exc}"[:500], origin, data[:PAYLOAD_KEPT],
                                          len(data), sha)

    # -- valid messages ------------------------------------------------------------------------------
    async def _apply(self, msg: CapMessage, sha: str) -> IngestResult:
        index = self._load_index()
        triple = (msg.sender, msg.identifier, msg.sent_text)
        ids = {"sender": msg.sender, "identifier": msg.identifier, "sha256": sha}
        if index.has(triple):
            return IngestResult("duplicate", "already ingested (same sender, identifier, sent)",
                                tuple(index.by_message.get(triple[:2], ())), **ids)
        if msg.status not in SHOWN_STATUSES:
            index.remember_other(triple)
            return IngestResult("ignored", f"status {msg.status}: not shown to operators", **ids)
        if msg.msg_type in ("Ack", "Error"):
            index.remember_other(triple)
            return IngestResult("ignored", f"msgType {msg.msg_type}: nothing to show", **ids)
        targets = self._targets(msg, index)
        if msg.msg_type == "Cancel":
            if not targets:
                index.remember_other(triple)
                return IngestResult("ignored", "Cancel of unknown message(s): " + _refs_text(msg), **ids)
            changed = [self._with_history({**r, "status": "cancelled"}, triple) for r in self._records(targets)]
            await self._publish(changed)
            index.link(triple, targets)
            return IngestResult("cancelled", "", tuple(targets), **ids)
        records = to_alert_records(msg)
        if not records and not targets:
            index.remember_other(triple)
            return IngestResult("ignored", "no <info> block: nothing to show", **ids)
        if not targets:  # a new Alert, or an Update of messages we never saw
            note = "" if msg.msg_type == "Alert" else "Update of unknown message(s), stored as new: " + _refs_text(msg)
            await self._publish(records)
            index.link(triple, [r["id"] for r in records])
            return IngestResult("accepted", note, tuple(r["id"] for r in records), **ids)
        changed = self._merge(records, self._records(targets), triple)
        await self._publish(changed)
        keys = [r["id"] for r in changed]
        index.link(triple, keys)
        return IngestResult("updated", "", tuple(keys), **ids)

    def _targets(self, msg: CapMessage, index: _Index) -> list[str]:
        """Alert keys this message replaces: by references, or its own earlier version (same id, new sent)."""
        wanted = [(s, i) for s, i, _sent in msg.references]
        wanted.append((msg.sender, msg.identifier))
        keys: list[str] = []
        for pair in wanted:
            keys.extend(k for k in index.by_message.get(pair, ()) if k not in keys)
        return [k for k in keys if self.core.get("alerts", k) is not None]

    def _records(self, keys: list[str]) -> list[dict]:
        return [r for r in (self.core.get("alerts", k) for k in keys) if r is not None]

    def _merge(self, new: list[dict], old: list[dict], triple: tuple[str, str, str]) -> list[dict]:
        """New content onto the old keys in order; extra new records keep their keys, leftovers cancel."""
        out = []
        for i, record in enumerate(new):
            if i >= len(old):
                out.append(self._with_history(record, triple))
                continue
            before = old[i]
            merged = {**record, "id": before["id"], "centre": before.get("centre", record.get("centre", ""))}
            if before.get("status") == "cancelled":
                merged["status"] = "cancelled"  # CAP: a cancelled alert stays cancelled
            if _rank(merged["colour"]) >= _rank(before.get("colour", "")):
                # not more severe: the operator's acknowledgement stands; an escalation must be acked again
                for name in ("acked", "acked_by", "acked_at"):
                    merged[name] = before.get(name, merged.get(name))
            merged["cap"] = {**record["cap"], "history": _history(before)}
            out.append(self._with_history(merged, triple))
        for before in old[len(new):]:
            out.append(self._with_history({**before, "status": "cancelled"}, triple))
        return out

    @staticmethod
    def _with_history(record: dict, triple: tuple[str, str, str]) -> dict:
        cap = dict(record.get("cap") or {})
        history = [list(h) for h in cap.get("history", [])]
        if list(triple) not in history:
            history.append(list(triple))
        cap["history"] = history
        return {**record, "cap": cap}

    async def _publish(self, records: list[dict]) -> None:
        await self.core.publish([Change("alerts", "upsert", r["id"], r) for r in records], actor=self.actor)

    def _load_index(self) -> _Index:
        """Built once from the alerts already in the store, so duplicates and chains survive a restart."""
        if self._index is None:
            index = _Index()
            for record in self.core.all("alerts"):
                if record.get("source") != "cap" or not isinstance(record.get("cap"), dict):
                    continue
                for h in _history(record):
                    if len(h) == 3:
                        index.link((h[0], h[1], h[2]), [record["id"]])
            self._index = index
        return self._index

    # -- refused documents ---------------------------------------------------------------------------
    async def quarantine(self, reason: str, origin: str, head: bytes, size: int, sha256: str) -> IngestResult:
        """Record a refused document (also for callers that could not read it whole, e.g. a huge file)."""
        async with self._lock:
            result = await self._quarantine(reason, origin, head[:PAYLOAD_KEPT], size, sha256)
        self.counts["quarantined"] = self.counts.get("quarantined", 0) + 1
        log.warning("CAP quarantined from %s: %s", origin, reason)
        return result

    async def _quarantine(self, reason: str, origin: str, head: bytes, size: int, sha: str) -> IngestResult:
        key = sha[:16]
        row = {"id": key, "ts": time.time(), "origin": origin[:500], "reason": reason[:1000], "sha256": sha,
               "size": int(size)}
        # The same refused document twice is kept once; the backend's single writer stores it together
        # with its notice on the change stream (the payload stays out of the stream and the snapshot).
        if not await asyncio.to_thread(self._known, key):
            await self.core.quarantine({**row, "payload": head}, Change(NOTICE_ENTITY, "upsert", key, row),
                                       actor=self.actor)
        return IngestResult("quarantined", reason, sha256=sha)

    def _known(self, key: str) -> bool:  # worker thread: a read, so any connection will do
        conn = store.open_store(getattr(self.core, "store", None) or self.core.db_path).connect()
        try:
            return conn.execute("SELECT 1 FROM quarantine WHERE id = ?", (key,)).fetchone() is not None
        finally:
            conn.close()


def quarantine_rows(db_path) -> list[dict]:
    """Every quarantine row (without payload), oldest first — for tests and tools."""
    conn = store.connect(db_path)
    try:
        conn.execute(store.QUARANTINE_DDL)
        cur = conn.execute("SELECT id, ts, origin, reason, sha256, size, length(payload) FROM quarantine ORDER BY ts")
        names = ["id", "ts", "origin", "reason", "sha256", "size", "payload_len"]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        conn.close()


def _history(record: dict) -> list[list[str]]:
    cap = record.get("cap") if isinstance(record.get("cap"), dict) else {}
    return [list(h) for h in cap.get("history", []) if isinstance(h, (list, tuple))]


def _rank(colour: str) -> int:
    try:
        return Colour(colour).rank
    except ValueError:
        return 9


def _refs_text(msg: CapMessage) -> str:
    return " ".join(",".join(r) for r in msg.references)[:300]
