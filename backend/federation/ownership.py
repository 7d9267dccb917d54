"""Ownership of federated records: every alert, incident and task has an owning centre; only it changes one.

A record's ``owner`` field names its centre; absent means the local centre. Other centres hold read-only
copies carrying ``owner``. A record may be offered to another centre (``offer_to``): escalation up, a task
down; the receiver takes it over by publishing it with itself as owner. The guard (Core.add_publish_guard)
refuses every local change to a record owned elsewhere, except the federation engine's own writes.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

from backend.core import Change, CommandError, Core

REPLICATED = ("alerts", "incidents", "tasks")
CURSORS = "fed_cursors"  # per source centre: the last applied source seq (same transaction as its changes)
CENTRES = "centres"

_federation_write: contextvars.ContextVar[bool] = contextvars.ContextVar("cc_federation_write", default=False)


def owner_of(record: dict | None, local: str) -> str:
    return (record or {}).get("owner") or local


@contextlib.contextmanager
def federation_write() -> Iterator[None]:
    """Publishes inside this block are the federation's (replicated copies, accepted hand-overs)."""
    token = _federation_write.set(True)
    try:
        yield
    finally:
        _federation_write.reset(token)


def refusal(entity: str, key: str, owner: str) -> CommandError:
    what = entity[:-1] if entity.endswith("s") else entity
    return CommandError("forbidden", f"{what} {key} is owned by centre {owner}: this centre holds a read-only "
                                     f"copy; only {owner} can change it")


class OwnershipGuard:
    """``guard(changes)`` before every publish of ``core``: refuse a change to a record owned elsewhere."""

    def __init__(self, core: Core):
        self.core = core
        self.refused = 0

    def __call__(self, changes: list[Change]) -> None:
        if _federation_write.get():
            return
        local = self.core.centre
        for ch in changes:
            if ch.entity in (CURSORS, CENTRES):
                self.refused += 1
                raise CommandError("forbidden", f"{ch.entity} is written by the federation engine only")
            if ch.entity not in REPLICATED:
                continue
            current = self.core.get(ch.entity, ch.key)
            owner = owner_of(current, local)
            if owner != local:
                self.refused += 1
                raise refusal(ch.entity, ch.key, owner)
            if current is not None and current.get("offer_to"):
                self.refused += 1
                raise CommandError("conflict", f"{ch.entity} {ch.key} is handed over to centre "
                                               f"{current['offer_to']}: unchanged until it accepts")
            if isinstance(ch.data, dict) and owner_of(ch.data, local) != local:
                self.refused += 1
                raise CommandError("forbidden", f"{ch.entity} {ch.key}: ownership moves only by "
                                                "federation.escalate, federation.assign and federation.accept")


def may_apply(local_record: dict | None, src: str, me: str) -> bool:
    """May a record from centre ``src`` replace our copy? Yes if new, if ``src`` owns our copy, or if we
    offered our record to ``src`` (it has taken it over)."""
    if local_record is None:
        return True
    owner = owner_of(local_record, me)
    return owner == src or (owner == me and local_record.get("offer_to") == src)
