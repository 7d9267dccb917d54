"""The websocket message envelope: pure encode/decode with precise errors (see backend/PROTOCOL.md).

Both ends use this module; it has no I/O and no Qt, so it is tested with plain strings.
"""
from __future__ import annotations

import json
from typing import Any

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 64 * 1024

# type -> required fields and their JSON types
_CLIENT_TYPES: dict[str, dict[str, tuple[type, ...]]] = {
    "auth": {"token": (str,)},
    "login": {"user": (str,), "password": (str,)},
    "command": {"id": (str,), "action": (str,)},
    "ping": {},
    "session": {},
    "unlock": {"id": (str,), "password": (str,)},
    "logout": {},
}
_SERVER_TYPES: dict[str, dict[str, tuple[type, ...]]] = {
    "auth_ok": {"user": (str,), "role": (str,), "centre": (str,)},
    "snapshot": {"seq": (int,), "state": (dict,)},
    "event": {"seq": (int,), "eid": (str,), "entity": (str,), "op": (str,), "key": (str,)},
    "result": {"id": (str,), "ok": (bool,)},
    "error": {"code": (str,), "message": (str,)},
    "pong": {},
    "status": {"store": (str,)},
    "session": {},
}
EVENT_OPS = ("upsert", "delete")


class ProtocolError(ValueError):
    """A message that does not follow the protocol. ``code`` is machine-readable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def encode(msg: dict[str, Any]) -> str:
    """Serialise one message, adding the version; compact, UTF-8 kept readable."""
    out = {"v": PROTOCOL_VERSION, **msg}
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _decode(raw: str | bytes, types: dict[str, dict[str, tuple[type, ...]]], limit: int) -> dict[str, Any]:
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > limit:
        raise ProtocolError("too_large", f"message of {size} bytes exceeds the limit of {limit}")
    try:
        msg = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("bad_json", f"not JSON: {exc}") from None
    if not isinstance(msg, dict):
        raise ProtocolError("bad_envelope", f"expected a JSON object, got {type(msg).__name__}")
    version = msg.get("v")
    if version != PROTOCOL_VERSION or isinstance(version, bool):
        raise ProtocolError("bad_version", f"v: expected {PROTOCOL_VERSION}, got {version!r}")
    kind = msg.get("type")
    if not isinstance(kind, str) or kind not in types:
        raise ProtocolError("bad_type", f"type: unknown message type {kind!r}")
    for name, allowed in types[kind].items():
        value = msg.get(name)
        if not isinstance(value, allowed) or (bool not in allowed and isinstance(value, bool)):
            want = "/".join(t.__name__ for t in allowed)
            raise ProtocolError("bad_field", f"{kind}.{name}: expected {want}, got {value!r:.60}")
    if kind == "command":
        args = msg.get("args", {})
        if not isinstance(args, dict):
            raise ProtocolError("bad_field", f"command.args: expected object, got {args!r:.60}")
        msg["args"] = args
    if kind == "login":
        totp = msg.get("totp", "")
        if not isinstance(totp, str) or len(totp) > 16 or len(msg["user"]) > 64 or len(msg["password"]) > 1024:
            raise ProtocolError("bad_field", "login: user <= 64, password <= 1024, totp <= 16 characters")
    if kind in ("auth", "login"):
        since = msg.get("since")
        if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
            raise ProtocolError("bad_field", f"auth.since: expected a seq >= 0 or null, got {since!r:.60}")
    if kind == "event" and msg["op"] not in EVENT_OPS:
        raise ProtocolError("bad_field", f"event.op: expected one of {EVENT_OPS}, got {msg['op']!r:.60}")
    return msg


def decode_client(raw: str | bytes, limit: int = MAX_MESSAGE_BYTES) -> dict[str, Any]:
    """Decode a frame a client sent to the hub; raise ProtocolError naming the fault."""
    return _decode(raw, _CLIENT_TYPES, limit)


def decode_server(raw: str | bytes, limit: int = 64 * 1024 * 1024) -> dict[str, Any]:
    """Decode a frame the hub sent (snapshots may be large)."""
    return _decode(raw, _SERVER_TYPES, limit)


def auth(token: str, since: int | None = None, client: str = "") -> dict[str, Any]:
    return {"type": "auth", "token": token, "since": since, "client": client}


def login(user: str, password: str, totp: str = "", since: int | None = None, client: str = "") -> dict[str, Any]:
    return {"type": "login", "user": user, "password": password, "totp": totp, "since": since, "client": client}


def command(cmd_id: str, action: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "command", "id": cmd_id, "action": action, "args": args or {}}


def result_ok(cmd_id: str, result: Any = None) -> dict[str, Any]:
    return {"type": "result", "id": cmd_id, "ok": True, "result": result}


def result_error(cmd_id: str, code: str, message: str) -> dict[str, Any]:
    return {"type": "result", "id": cmd_id, "ok": False, "error": {"code": code, "message": message}}


def error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def status_frame(status: dict[str, Any]) -> dict[str, Any]:
    """The hub's transient backend status: ``store`` "ok" or "fault" with ``reason`` (disk_full, read_only,
    io_error), ``detail`` and ``since`` (epoch seconds). Not an event: it has no seq and is not replayed."""
    return {"type": "status", "store": str(status.get("state", "ok")), "reason": str(status.get("reason", "")),
            "detail": str(status.get("detail", "")), "since": float(status.get("since") or 0.0)}
