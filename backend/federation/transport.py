"""What the federation engine needs from a broker, and the message it moves (so another broker can replace NATS).

A message is one event of the centre that owns the record: ``src`` centre, its event ``seq`` (the eid is
``<src>-<seq>``), entity, op, key, data and owner. Per source, messages arrive in seq order; a transport
may deliver one twice (after a crash before its ack), never reorder one source's messages.
"""
from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

CENTRE_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class FederationError(Exception):
    """Bad federation message or set-up; the message names what is wrong."""


@dataclass(frozen=True)
class FedMessage:
    """One replicated event. ``target``: the centre a down message is for ("" going up)."""

    src: str
    seq: int
    entity: str
    op: str
    key: str
    data: dict | None
    owner: str
    ts: float
    target: str = ""

    @property
    def eid(self) -> str:
        return f"{self.src}-{self.seq}"

    def as_dict(self) -> dict:
        return {"eid": self.eid, "src": self.src, "seq": self.seq, "entity": self.entity, "op": self.op,
                "key": self.key, "data": self.data, "owner": self.owner, "ts": self.ts, "target": self.target}

    def encode(self) -> bytes:
        return json.dumps(self.as_dict(), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> "FedMessage":
        try:
            return cls._from_dict(json.loads(raw))
        except ValueError as exc:
            raise FederationError(f"federation message not understood ({type(exc).__name__}: {exc})") from None

    @classmethod
    def _from_dict(cls, d: dict) -> "FedMessage":
        try:
            msg = cls(src=d["src"], seq=int(d["seq"]), entity=d["entity"], op=d["op"], key=d["key"],
                      data=d.get("data"), owner=d.get("owner") or d["src"], ts=float(d.get("ts") or 0.0),
                      target=d.get("target") or "")
        except (ValueError, KeyError, TypeError) as exc:
            raise FederationError(f"federation message not understood ({type(exc).__name__}: {exc})") from None
        if not CENTRE_ID.match(msg.src) or msg.op not in ("upsert", "delete") or \
                (msg.op == "upsert" and not isinstance(msg.data, dict)) or not isinstance(msg.key, str):
            raise FederationError(f"federation message {msg.eid}: bad src, op, key or data")
        return msg


def encode_pack(messages: list[FedMessage]) -> bytes:
    """Several consecutive messages of one source (and one target) as one broker message: a JSON list."""
    return json.dumps([m.as_dict() for m in messages], ensure_ascii=False, separators=(",", ":")).encode()


def decode_pack(raw: bytes) -> list[FedMessage]:
    """A broker message → its messages, in order: a JSON list (a pack) or one object (a single message)."""
    try:
        d = json.loads(raw)
    except ValueError as exc:
        raise FederationError(f"federation message not understood ({type(exc).__name__}: {exc})") from None
    if isinstance(d, dict):
        return [FedMessage._from_dict(d)]
    if not isinstance(d, list) or not d or not all(isinstance(x, dict) for x in d):
        raise FederationError("federation message not understood: expected an object or a non-empty list")
    out = [FedMessage._from_dict(x) for x in d]
    if len({m.src for m in out}) != 1 or any(b.seq <= a.seq for a, b in zip(out, out[1:])):
        raise FederationError(f"federation pack {out[0].eid}: mixes sources or is not in seq order")
    return out


@dataclass
class Delivery:
    """A received message and the transport's handle to acknowledge it (after the local commit)."""

    message: FedMessage | None  # None: not decodable (kept as ``error``; acked so it does not block)
    handle: Any
    error: str = ""


@dataclass
class LinkInfo:
    """What the transport knows of the link to one centre.

    Attributes: up (connected now), pending (messages not yet delivered here), detail (broker's words).
    """

    up: bool
    pending: int = 0
    detail: str = ""
    extra: dict = field(default_factory=dict)


class Transport(ABC):
    """A broker link of one centre: publish its own events, receive the others' in order, ack after commit."""

    centre: str
    is_hub: bool

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def add_centre(self, centre: str) -> None:
        """Hub: start taking the up-stream of this sub-centre."""

    @abstractmethod
    async def last_published(self) -> int:
        """The highest own seq the broker holds (the outbox cursor), 0 if none."""

    @abstractmethod
    async def publish(self, messages: list[FedMessage]) -> None:
        """Store these, in this order, durably in the broker (up, or down to ``message.target``);
        publishing the same message twice stores it once. Raises on failure (the caller retries)."""

    @abstractmethod
    async def fetch(self, max_messages: int, timeout: float) -> list[Delivery]:
        """The next messages for this centre, in order ([] after ``timeout`` without any)."""

    @abstractmethod
    async def ack(self, deliveries: list[Delivery]) -> None:
        """These are committed locally: do not deliver them again."""

    @abstractmethod
    async def links(self) -> dict[str, LinkInfo]:
        """Per connected-to centre (the hub: each sub-centre; a leaf: the hub's centre id)."""
