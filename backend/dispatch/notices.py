"""Text notices to a group (一令智行) through a pluggable remote gateway, with delivery state per recipient.

Gateway protocol (websocket, JSON text frames), the same for our demo gateway and a real one:
    → {"type": "notice", "id": "yk-NTC-…", "text": "…", "recipients": [{"id": terminal id, "address": …}]}
    ← {"type": "accepted", "id": …}
    ← {"type": "delivery", "id": …, "recipient": terminal id, "state": "sent" | "delivered" | "read" | "failed",
       "detail": "…"}
The `notices` entity (shared with the incident loop's plan notices, whose fields it keeps): {"id", "incident",
"to": group id, "kind": "group", "to_name", "text", "created", "by", "group", "gateway",
"recipients": {terminal id: {"state": "queued" | "sent" | "delivered" | "read" | "failed", "at": t, "detail"}}}.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import time

import websockets

from backend.core import Change, Core

log = logging.getLogger(__name__)
ENTITY = "notices"
RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 3}


class NoticeGatewayError(Exception):
    pass


class NoticeService:
    """Keeps a websocket to the gateway, sends notices and folds delivery reports into `notices` records."""

    def __init__(self, core: Core, url: str) -> None:
        self.core, self.url = core, url
        self._ws = None
        self._task: asyncio.Task | None = None
        self._n = 0
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notice-gateway")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        delay = 0.2
        while True:
            try:
                async with websockets.connect(self.url, open_timeout=5) as ws:
                    self._ws, delay = ws, 0.2
                    log.info("notice gateway %s connected", self.url)
                    async for raw in ws:
                        await self._on_frame(raw)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("notice gateway %s: %s; retrying in %.1f s", self.url, exc, delay)
            finally:
                self._ws = None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def _on_frame(self, raw) -> None:
        try:
            msg = json.loads(raw)
            nid, rid, state = msg["id"], msg.get("recipient"), msg.get("type")
        except (ValueError, KeyError, TypeError):
            log.warning("notice gateway: bad frame %r", str(raw)[:100])
            return
        if state != "delivery" or msg.get("state") not in RANK:
            return
        async with self._lock:
            record = self.core.get(ENTITY, nid)
            if record is None or rid not in record.get("recipients", {}):
                return
            cur = record["recipients"][rid]
            if RANK[msg["state"]] < RANK.get(cur.get("state"), 0):
                return  # reports may overtake each other; a state never goes back
            recipients = {**record["recipients"], rid: {"state": msg["state"], "at": time.time(),
                                                        "detail": str(msg.get("detail", ""))[:200]}}
            await self.core.update(ENTITY, nid, {"recipients": recipients}, actor="notice-gateway")

    def _next_id(self) -> str:
        self._n += 1
        return f"{self.core.centre}-NTC-{int(time.time() * 1000)}-{self._n}"

    async def send(self, *, group: str, recipients: list[dict], text: str, by: str, incident_id: str = "",
                   group_name: str = "") -> dict:
        """Publish the notice (every recipient "queued"), then hand it to the gateway."""
        if self._ws is None:
            raise NoticeGatewayError(f"notice gateway {self.url} is not connected")
        nid = self._next_id()
        now = time.time()
        record = {"id": nid, "incident": incident_id, "to": group, "kind": "group", "to_name": group_name or group,
                  "group": group, "text": text, "by": by, "created": now, "gateway": self.url,
                  "recipients": {r["id"]: {"state": "queued", "at": now, "detail": ""} for r in recipients}}
        await self.core.publish([Change(ENTITY, "upsert", nid, record)], actor=by)
        try:
            await self._ws.send(json.dumps({"type": "notice", "id": nid, "text": text, "recipients": recipients},
                                           ensure_ascii=False))
        except Exception as exc:
            failed = {rid: {"state": "failed", "at": time.time(), "detail": f"gateway: {exc}"}
                      for rid in record["recipients"]}
            await self.core.update(ENTITY, nid, {"recipients": failed}, actor="notice-gateway")
            raise NoticeGatewayError(f"notice gateway {self.url}: send failed: {exc}") from None
        return record


class DemoNoticeGateway:
    """Our demo gateway on 127.0.0.1: "sent" at once, "delivered" soon to online terminals, some "read";
    recipients without an address or marked offline get "failed"."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, seed: int | None = None) -> None:
        self.host, self.port = host, port
        self.rng = random.Random(seed)
        self._server = None
        self.received: list[dict] = []

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    async def start(self) -> None:
        self._server = await websockets.serve(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, ws) -> None:
        async for raw in ws:
            try:
                msg = json.loads(raw)
                nid, recipients = msg["id"], list(msg["recipients"])
            except (ValueError, KeyError, TypeError):
                await ws.send(json.dumps({"type": "error", "detail": "bad notice frame"}))
                continue
            self.received.append(msg)
            await ws.send(json.dumps({"type": "accepted", "id": nid}))
            asyncio.ensure_future(self._deliver(ws, nid, recipients))

    async def _deliver(self, ws, nid: str, recipients: list[dict]) -> None:
        async def report(rid: str, state: str, detail: str = "") -> None:
            await ws.send(json.dumps({"type": "delivery", "id": nid, "recipient": rid, "state": state,
                                      "detail": detail}, ensure_ascii=False))
        try:
            for r in recipients:
                await report(r["id"], "sent")
            await asyncio.sleep(0.05 + self.rng.random() * 0.2)
            for r in recipients:
                if not r.get("address") or r.get("presence") == "offline":
                    await report(r["id"], "failed", "终端离线或无号码")
                else:
                    await report(r["id"], "delivered")
            await asyncio.sleep(0.1 + self.rng.random() * 0.5)
            for r in recipients:
                if r.get("address") and r.get("presence") != "offline" and self.rng.random() < 0.6:
                    await report(r["id"], "read")
        except websockets.ConnectionClosed:
            pass
