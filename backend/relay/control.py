"""Client of the relay's control API (asyncio, no dependencies): what the backend uses to drive its relay."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

STATE_FILE = "relay.json"


class ControlError(Exception):
    """The relay did not answer (``status`` 0), or answered with an error ``status``."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


def read_state(state_dir: str | Path) -> dict | None:
    """The relay's control file ({"secret", "host", "port", "pid", "instance"}) or None."""
    try:
        data = json.loads((Path(state_dir) / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("secret"), str) else None


class RelayControl:
    """Calls on one relay: ``await ctl.call("GET", "/control/health")`` → decoded JSON."""

    def __init__(self, host: str, port: int, secret: str, timeout: float = 3.0):
        self.host, self.port, self.secret, self.timeout = host, port, secret, timeout

    async def call(self, method: str, path: str, body=None, timeout: float | None = None):
        try:
            return await asyncio.wait_for(self._call(method, path, body), timeout or self.timeout)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
            raise ControlError(f"relay {self.host}:{self.port} {path}: {type(exc).__name__}: {exc}") from None

    async def _call(self, method: str, path: str, body):
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            payload = json.dumps(body).encode("utf-8") if body is not None else b""
            head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nX-Relay-Secret: {self.secret}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                    f"Connection: close\r\n\r\n")
            writer.write(head.encode("latin-1") + payload)
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
        head, _, data = raw.partition(b"\r\n\r\n")
        try:
            status = int(head.split(b" ", 2)[1])
            value = json.loads(data.decode("utf-8")) if data else None
        except (IndexError, ValueError):
            raise ControlError(f"relay {self.host}:{self.port} {path}: not an HTTP/JSON answer") from None
        if status != 200:
            message = value.get("error") if isinstance(value, dict) else value
            raise ControlError(f"relay {path}: {status}: {message}", status)
        return value

    async def wait_health(self, after: int, wait_s: float) -> dict:
        """The relay's health once it differs from version ``after`` (a state, error, viewer count, codec,
        multicast group or new view record changed), or after ``wait_s`` with fresh numbers:
        {"version", "views" (the last view record's number), "cameras": [health items]}. ``after`` -1 (or
        a version of another relay instance) answers at once."""
        answer = await self.call("GET", f"/control/health/wait?after={int(after)}&timeout={wait_s:g}",
                                 timeout=wait_s + self.timeout)
        if not isinstance(answer, dict) or not isinstance(answer.get("version"), int) \
                or not isinstance(answer.get("cameras"), list) or not isinstance(answer.get("views"), int):
            raise ControlError(f"relay {self.host}:{self.port} /control/health/wait: unexpected answer")
        return answer

    async def views(self, after: int) -> list[dict]:
        """The view records numbered above ``after`` (oldest first; each has its ``seq``)."""
        answer = await self.call("GET", f"/control/views?after={int(after)}")
        views = answer.get("views") if isinstance(answer, dict) else None
        return [v for v in views if isinstance(v, dict)] if isinstance(views, list) else []

    async def ack_views(self, upto: int) -> None:
        """The records up to ``upto`` are audited: the relay forgets them."""
        await self.call("POST", f"/control/views/ack?upto={int(upto)}")

    async def ping(self) -> dict | None:
        try:
            answer = await self.call("GET", "/control/ping")
        except ControlError:
            return None
        return answer if isinstance(answer, dict) and answer.get("ok") else None
