"""Where the catch-up time goes (bench_federation --trace): after a link comes back, samples every 0.1 s
the hub's leaf connections, the in-streams' source state, their message counts and the consumers' cursors,
and prints when each phase ended."""
from __future__ import annotations

import asyncio
import time

import nats

from backend.federation.natsd import http_get_json
from backend.federation.ownership import CURSORS
from backend.federation.transport import decode_pack


class CatchUpTrace:
    def __init__(self, cluster, leaf: str, held_up: int, held_down: int):
        self.cluster, self.leaf = cluster, leaf
        self.held_up, self.held_down = held_up, held_down
        self.marks: dict[str, float] = {}
        self.rows: list[str] = []

    async def start(self, t0: float) -> "CatchUpTrace":
        self.t0 = t0
        self.hub_nc = await nats.connect(self.cluster.hub.server.url)
        self.leaf_nc = await nats.connect(self.cluster.leaves[self.leaf].server.url)
        self.hub_js = self.hub_nc.jetstream(domain="hub")
        self.leaf_js = self.leaf_nc.jetstream(domain=self.leaf)
        self.up0 = (await self.hub_js.stream_info("UP")).state.messages
        self.down0 = (await self.leaf_js.stream_info(f"DOWN_{self.leaf}")).state.messages
        self._held: list[tuple[float, str, int]] = []  # (t, what, last source seq the stream holds)
        self._task = asyncio.create_task(self._run())
        return self

    @staticmethod
    async def _last_seq(js, stream: str) -> int:
        info = await js.stream_info(stream)
        raw = await js.get_msg(stream, seq=info.state.last_seq)
        return decode_pack(raw.data)[-1].seq

    def _mark(self, what: str) -> None:
        if what not in self.marks:
            self.marks[what] = time.monotonic() - self.t0

    async def _run(self) -> None:
        leaf = self.cluster.leaves[self.leaf]
        hub = self.cluster.hub
        last_row = -1.0
        while True:
            t = time.monotonic() - self.t0
            leafz = await http_get_json(*hub.server.monitor_url, "/leafz") or {}
            if any(x.get("name") == self.leaf for x in leafz.get("leafs") or []):
                self._mark("leaf link up at hub")
            up = await self.hub_js.stream_info("UP")
            down = await self.leaf_js.stream_info(f"DOWN_{self.leaf}")
            src_up = next((s for s in up.sources or [] if s.name == f"UP_{self.leaf}"), None)
            src_down = next((s for s in down.sources or []), None)
            if src_up is not None and src_up.active is not None and src_up.active >= 0:
                self._mark("hub sourcing UP_a active")
            if src_down is not None and src_down.active is not None and src_down.active >= 0:
                self._mark("leaf sourcing DOWN active")
            got_up = up.state.messages - self.up0  # broker messages (packs of events)
            got_down = down.state.messages - self.down0
            if got_up > 0:
                self._mark("first up msg in hub stream")
            if got_down > 0:
                self._mark("first down msg in leaf stream")
            if got_up > 0 and "hub stream has all up" not in self.marks:
                self._held.append((t, "hub stream has all up", await self._last_seq(self.hub_js, "UP")))
            if got_down > 0 and "leaf stream has all down" not in self.marks:
                self._held.append((t, "leaf stream has all down",
                                   await self._last_seq(self.leaf_js, f"DOWN_{self.leaf}")))
            cur_up = int((hub.core.get(CURSORS, self.leaf) or {}).get("seq") or 0)
            cur_down = int((leaf.core.get(CURSORS, "city") or {}).get("seq") or 0)
            if t - last_row >= 1.0:
                last_row = t
                self.rows.append(f"  t={t:5.1f}s  up: stream +{got_up:5d} packs, cursor {cur_up:7d}  "
                                 f"down: stream +{got_down:5d} packs, cursor {cur_down:7d}")
            await asyncio.sleep(0.1)

    async def stop(self, done_at: float) -> str:
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        await self.hub_nc.close()
        await self.leaf_nc.close()
        self.marks["all committed both ways"] = done_at
        final = {"hub stream has all up": int(self.cluster.hub.core.get(CURSORS, self.leaf)["seq"]),
                 "leaf stream has all down": int(self.cluster.leaves[self.leaf].core.get(CURSORS, "city")["seq"])}
        for t, what, seq in self._held:  # the first sample whose stream held the last event applied
            if seq >= final[what]:
                self.marks.setdefault(what, t)
        lines = [f"  {v:6.2f} s  {k}" for k, v in sorted(self.marks.items(), key=lambda kv: kv[1])]
        return "catch-up timeline (from link restore):\n" + "\n".join(lines) + "\n" + "\n".join(self.rows)
