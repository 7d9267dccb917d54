"""Open rooms' pins and secrets kept across a backend restart: sealed (AES-GCM, the state dir's secrets.key, as
TOTP secrets and camera credentials), in a 0600 file beside the database, never in the change stream or a log.

    pins = RoomPins.for_state_dir(state_dir)      # <state dir>/conference-pins.json
    pins.put("CF-0001", pin, secret)              # when a room is created
    pins.get("CF-0001")                           # -> (pin, secret) or None; after a restart
    pins.drop("CF-0001")                          # when it ends

Each value is sealed with the room id bound in (a sealed pair copied to another room's entry does not open).
A file that cannot be read or opened (damaged, wrong key) is reported and treated as empty: those rooms end.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from backend.secrets import Sealer, SecretError

log = logging.getLogger(__name__)

FILE = "conference-pins.json"
_AAD = b"cc-conference-room:"


class RoomPins:
    """Attributes: path (the sealed file)."""

    def __init__(self, path: str | Path, sealer: Sealer):
        self.path = Path(path)
        self._sealer = sealer

    @classmethod
    def for_state_dir(cls, state_dir: str | Path) -> "RoomPins":
        return cls(Path(state_dir) / FILE, Sealer.for_state_dir(state_dir))

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.error("conference pins: %s unreadable (%s): open rooms cannot be restored", self.path,
                      type(exc).__name__)
            return {}
        if not isinstance(data, dict):
            log.error("conference pins: %s: expected an object of sealed entries", self.path)
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}

    def _write(self, entries: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps(entries, sort_keys=True).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def put(self, room: str, pin: str, secret: str) -> None:
        entries = self._read()
        entries[room] = self._sealer.seal(json.dumps({"pin": pin, "secret": secret}), _AAD + room.encode("utf-8"))
        self._write(entries)

    def get(self, room: str) -> tuple[str, str] | None:
        value = self._read().get(room)
        if value is None:
            return None
        try:
            data = json.loads(self._sealer.open(value, _AAD + room.encode("utf-8")))
            return str(data["pin"]), str(data["secret"])
        except (SecretError, ValueError, KeyError, TypeError):
            log.error("conference pins: the entry of %s does not open (wrong secrets.key or damaged)", room)
            return None

    def drop(self, room: str) -> None:
        entries = self._read()
        if entries.pop(room, None) is not None:
            self._write(entries)

    def rooms(self) -> list[str]:
        return sorted(self._read())
