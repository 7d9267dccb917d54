"""Time the kernel spends in its network receive softirq (NET_RX), per process it interrupted, from the
kernel's own ``irq:softirq_entry``/``softirq_exit`` tracepoints (tracefs, root only).

Why the relay benchmark needs it: this kernel has no IRQ time accounting (``CONFIG_IRQ_TIME_ACCOUNTING`` is
not set), so softirq work is charged to whichever task was running. On 127.0.0.1 a ``write()`` to a viewer's
TCP socket runs the viewer's whole receive path (IP and TCP input, queueing, waking the viewer) in the
writer's own softirq, at the end of its system call: the relay pays for its viewers' receive. On a LAN that
work runs on the wall PC. The viewer's acknowledgements go the other way: on loopback the viewer pays for the
relay's TCP processing them, which on a LAN the relay's machine would do. With both figures per process the
benchmark can show the relay's CPU as measured and with that work put where a LAN puts it.

Each event costs a fraction of a microsecond; both measured groups run under the same tracing.
"""
from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from pathlib import Path

TRACEFS = Path("/sys/kernel/tracing")
NET_RX = 3
_LINE = re.compile(r"^\s*.*?-(\d+)\s+\[(\d+)\].*?\s(\d+\.\d+): softirq_(entry|exit): vec=(\d+)")


class NetRxTrace:
    """``with NetRxTrace() as t: ...`` then ``t.seconds(pids)``: NET_RX softirq seconds that ran in the
    context of those processes (any of their threads) during the block, and ``t.wall`` its length."""

    def __init__(self, name: str = "cc-bench-netrx", buffer_kb: int = 16384):
        self.dir = TRACEFS / "instances" / name
        self.buffer_kb = buffer_kb
        self.by_pid: dict[int, float] = {}
        self.wall = 0.0
        self.lost = 0

    @staticmethod
    def available() -> str | None:
        """None if tracing can be used here, else why not."""
        if os.geteuid() != 0:
            return "needs root (tracefs)"
        if not (TRACEFS / "instances").is_dir():
            os.system(f"mount -t tracefs nodev {TRACEFS} 2>/dev/null")
        if not (TRACEFS / "events" / "irq" / "softirq_entry").is_dir():
            return "no tracefs with irq:softirq_entry on this kernel"
        return None

    def _write(self, rel: str, value: str) -> None:
        (self.dir / rel).write_text(value)

    def __enter__(self) -> "NetRxTrace":
        if not self.dir.is_dir():
            self.dir.mkdir()
        self._write("tracing_on", "0")
        self._write("trace_clock", "mono")
        self._write("buffer_size_kb", str(self.buffer_kb))
        for ev in ("softirq_entry", "softirq_exit"):
            self._write(f"events/irq/{ev}/filter", f"vec == {NET_RX}")
            self._write(f"events/irq/{ev}/enable", "1")
        self._write("trace", "")
        self._t0 = time.monotonic()
        self._write("tracing_on", "1")
        return self

    def __exit__(self, *exc) -> None:
        self._write("tracing_on", "0")
        self.wall = time.monotonic() - self._t0
        try:
            self._parse((self.dir / "trace").read_text(errors="replace"))
            for line in (self.dir / "per_cpu").glob("cpu*/stats"):
                m = re.search(r"overrun: (\d+)", line.read_text())
                self.lost += int(m.group(1)) if m else 0
        finally:
            for ev in ("softirq_entry", "softirq_exit"):
                self._write(f"events/irq/{ev}/enable", "0")
            self._write("trace", "")
            self.dir.rmdir()

    def _parse(self, text: str) -> None:
        open_ = {}  # cpu -> (pid, start)
        totals = defaultdict(float)
        for line in text.splitlines():
            m = _LINE.match(line)
            if not m or int(m.group(5)) != NET_RX:
                continue
            pid, cpu, ts, kind = int(m.group(1)), int(m.group(2)), float(m.group(3)), m.group(4)
            if kind == "entry":
                open_[cpu] = (pid, ts)
            elif cpu in open_:
                start_pid, start = open_.pop(cpu)
                totals[start_pid] += ts - start
        self.by_pid = dict(totals)

    def seconds(self, pids) -> float:
        """NET_RX seconds charged to these processes: events carry the thread's id, so a process's threads are
        looked up under /proc/<pid>/task as well (for threads alive at the end)."""
        tids = set()
        for pid in pids:
            tids.add(pid)
            try:
                tids.update(int(t) for t in os.listdir(f"/proc/{pid}/task"))
            except OSError:
                pass
        return sum(s for tid, s in self.by_pid.items() if tid in tids)
