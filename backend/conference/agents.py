"""Invitations to terminals: the backend calls a terminal's agent (a WebSocket it serves) and keeps the channel.

A conference-capable directory entry (``terminals`` entity) carries ``"agent": "ws://HOST:PORT"``.
Protocol (JSON text messages):
- backend → terminal: {"type": "invite", "conference", "title", "janus", "room", "pin", "id", "display"}
  (the pin goes to the invited terminal only, never onto the change stream);
  {"type": "end"} when the conference ends or the terminal was removed;
  {"type": "feed", "camera", "mountpoint", "on", "pin", "janus"} when a camera is fed in (watch the streaming
  mountpoint with the pin) or taken out.
- terminal → backend: {"type": "accepted"} or {"type": "declined", "reason"} (answer to the invite);
  later {"type": "hand", "up": true|false} to raise or lower its hand.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Awaitable, Callable

import websockets

log = logging.getLogger(__name__)

INVITE_TIMEOUT = 3.0
HandCallback = Callable[[str, bool], Awaitable[None]]


class AgentError(Exception):
    """The terminal could not be invited; the message says why (unreachable, declined, bad answer)."""


class AgentChannel:
    """An open channel to one terminal's agent.  Attributes: terminal, url."""

    def __init__(self, terminal: str, url: str, ws, on_hand: HandCallback):
        self.terminal, self.url, self._ws, self._on_hand = terminal, url, ws, on_hand
        self._reader = asyncio.create_task(self._read(), name=f"agent-{terminal}")

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    log.warning("terminal %s: non-JSON message ignored", self.terminal)
                    continue
                if isinstance(msg, dict) and msg.get("type") == "hand":
                    try:
                        await self._on_hand(self.terminal, bool(msg.get("up", True)))
                    except Exception:
                        log.exception("terminal %s: hand not recorded", self.terminal)
        except websockets.ConnectionClosed:
            pass

    async def send(self, message: dict) -> None:
        """One JSON message to the terminal (e.g. {"type": "feed", ...}: a camera fed into the conference)."""
        await asyncio.wait_for(self._ws.send(json.dumps(message, ensure_ascii=False)), 2.0)

    async def close(self, send_end: bool = True) -> None:
        if send_end:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.send(json.dumps({"type": "end"})), 2.0)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._ws.close(), 2.0)
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader


async def invite(terminal: dict, invitation: dict, on_hand: HandCallback,
                 timeout: float = INVITE_TIMEOUT) -> AgentChannel:
    """Send the invitation to the terminal's agent and wait for its answer; AgentError if it does not accept."""
    url = terminal.get("agent")
    if not isinstance(url, str) or not url.startswith(("ws://", "wss://")):
        raise AgentError("no conference agent in the directory")
    try:
        ws = await asyncio.wait_for(websockets.connect(url, open_timeout=timeout, ping_interval=20), timeout)
    except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake, websockets.InvalidURI) as exc:
        raise AgentError(f"unreachable ({type(exc).__name__})") from None
    try:
        await ws.send(json.dumps({"type": "invite", **invitation}, ensure_ascii=False))
        answer = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    except (asyncio.TimeoutError, websockets.ConnectionClosed, ValueError, TypeError) as exc:
        with contextlib.suppress(Exception):
            await ws.close()
        raise AgentError(f"no answer to the invitation ({type(exc).__name__})") from None
    if not isinstance(answer, dict) or answer.get("type") != "accepted":
        with contextlib.suppress(Exception):
            await ws.close()
        reason = answer.get("reason", "") if isinstance(answer, dict) else ""
        raise AgentError(f"declined{': ' + str(reason)[:200] if reason else ''}")
    return AgentChannel(terminal["id"], url, ws, on_hand)
