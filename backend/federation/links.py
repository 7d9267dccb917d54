"""The ``centres`` entity: each known centre with its link state, so every console shows the federation.

Record: id, name, level (city | department | township), parent, link ("self" | "up" | "down"), lag_s (commit
time − source event time of the last batch applied from it), last_contact (unix time), pending (messages
held by the broker not yet applied here), detail (why a link is down, from the broker's log: a refused
certificate or password, "" when unknown).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from backend.core import Change, Core
from backend.federation.engine import Replicator
from backend.federation.ownership import CENTRES, federation_write
from backend.federation.transport import CENTRE_ID, FederationError

log = logging.getLogger(__name__)

LEVELS = ("city", "department", "township")
REPUBLISH_S = 30.0  # an unchanged link is republished this often (lag, last contact); a change at once


@dataclass(frozen=True)
class Centre:
    id: str
    name: str
    level: str
    parent: str = ""


def parse_centres(spec: str, parent: str) -> list[Centre]:
    """``--fed-centres``: a JSON file ([{"id", "name", "level"}]) or ids separated by commas."""
    path = Path(spec)
    if spec.endswith(".json") or path.is_file():
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FederationError(f"{spec}: not a readable JSON list of centres ({exc})") from None
        if not isinstance(rows, list):
            raise FederationError(f"{spec}: expected a JSON list of centres")
    else:
        rows = [{"id": s.strip()} for s in spec.split(",") if s.strip()]
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not CENTRE_ID.match(str(row.get("id", ""))):
            raise FederationError(f"{spec}: [{i}].id: expected lower-case letters, digits, _ (max 32)")
        level = row.get("level") or "township"
        if level not in LEVELS:
            raise FederationError(f"{spec}: [{i}].level: expected one of {', '.join(LEVELS)}")
        out.append(Centre(row["id"], str(row.get("name") or row["id"]), level, parent))
    if len({c.id for c in out}) != len(out):
        raise FederationError(f"{spec}: a centre id appears twice")
    return out


class LinkMonitor:
    """Every ``interval`` s, asks the transport about each link and publishes changed ``centres`` records."""

    def __init__(self, core: Core, replicator: Replicator, me: Centre, peers: list[Centre], interval: float = 1.0):
        self.core, self.replicator, self.me, self.interval = core, replicator, me, interval
        self.peers = {c.id: c for c in peers}
        self._published: dict[str, tuple[tuple, float]] = {}
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="fed-links")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task], timeout=5)

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("federation link check failed; trying again")
            await asyncio.sleep(self.interval)

    async def check(self) -> None:
        links = await self.replicator.transport.links()
        now = time.time()
        records = [{"id": self.me.id, "name": self.me.name, "level": self.me.level, "parent": self.me.parent,
                    "link": "self", "lag_s": 0.0, "last_contact": now, "pending": 0}]
        for cid, centre in self.peers.items():
            info = links.get(cid)
            stats = self.replicator.stats.get(cid)
            previous = self.core.get(CENTRES, cid) or {}
            up = bool(info and info.up)
            last = stats.last_contact if stats and stats.last_contact else None
            if up:
                last = now  # connected now, even if it has had nothing to send
            records.append({"id": cid, "name": centre.name, "level": centre.level, "parent": centre.parent,
                            "link": "up" if up else "down",
                            "lag_s": round(stats.lag_s, 3) if stats and stats.lag_s is not None else None,
                            "last_contact": last or previous.get("last_contact"),
                            "pending": int(info.pending) if info else 0,
                            "detail": "" if up else (info.detail if info else "")})
        changes = []
        for rec in records:
            shape = (rec["name"], rec["level"], rec["parent"], rec["link"], rec["pending"] > 0, rec.get("detail"))
            before = self._published.get(rec["id"])
            if before is None or before[0] != shape or now - before[1] >= REPUBLISH_S:
                changes.append(Change(CENTRES, "upsert", rec["id"], rec))
                self._published[rec["id"]] = (shape, now)
        if changes:
            with federation_write():
                await self.core.publish(changes, actor="federation")
