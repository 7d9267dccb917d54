"""Dispatch benchmark: time from pressing a one-key button on the dispatch pad to the AT command's bytes
arriving at the far end of the radio gateway's serial port, through the real client store, websocket hub,
backend process, radio coordinator and a real PTY (socat). Baseline, side by side in the same run: a direct
SerialTransport write of the same line to the same PTY, timed to the same far-end reader.
"""
from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import figure, median, percentile, write_result

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PRESSES = 200
RADIO = 3307001
PACE = 0.15  # s between presses: two commands per press stay under the hub's 20 frames/s per connection


class FarEnd:
    """The gateway side of the PTY: a thread that timestamps each received line and answers like the gateway."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        self.arrivals: list[tuple[float, str]] = []
        self.answer = True
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from devices import radio_gw
        buf = b""
        while not self._stop:
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                return
            now = time.perf_counter()
            buf += chunk
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                text = line.decode()
                self.arrivals.append((now, text))
                if not self.answer:
                    continue
                out = radio_gw.ok()
                if text.startswith("AT+CALL=P,"):
                    out += radio_gw.call_event("P", int(text.split(",")[1]), 0, "START")
                elif text == "AT+HANG":
                    out += radio_gw.call_event("P", RADIO, 0, "END")
                os.write(self.fd, out)

    def wait_for(self, prefix: str, after: float, timeout: float = 10.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, text in reversed(self.arrivals):
                if t >= after and text.startswith(prefix):
                    return t
            time.sleep(0.0002)
        raise TimeoutError(f"{prefix} did not arrive within {timeout} s; reader alive {self.thread.is_alive()}, "
                           f"last lines {[t for _, t in self.arrivals[-6:]]}")

    def close(self) -> None:
        self._stop = True
        os.close(self.fd)


def main() -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    from backend_client.store import ClientStore
    from devices import radio_gw
    from devices.transport import SerialTransport
    from tests.helpers.backend_proc import start_backend
    from tests.helpers.pty import PtyPair
    from widgets.dispatch_pad import DispatchPad

    work = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    pair = PtyPair(work / "pty").start()
    far = FarEnd(pair.b)
    backend = start_backend(work, extra_args=["--radio", pair.a, "--dispatch-demo-directory"])
    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app, already_running=False)
    asyncio.set_event_loop(loop)
    store = ClientStore()
    pad = DispatchPad(store)
    pad.resize(900, 700)
    pad.show()
    key = f"radio-{RADIO}"
    store.command_failed.connect(lambda action, msg: print(f"command failed: {action}: {msg}", file=sys.stderr))
    via_pad: list[float] = []
    direct: list[float] = []

    async def until(cond, timeout=60.0):
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError("not ready")
            await asyncio.sleep(0.01)

    async def run() -> None:
        store.start(backend.url, backend.token("duty_officer"))
        await until(lambda: store.connection == "online" and store.can("dispatch.call") and key in pad.buttons)
        for i in range(PRESSES + 10):
            await until(lambda: key in pad.buttons)
            t0 = time.perf_counter()
            pad.buttons[key].click()  # the operator's press: button → pad → store → hub → backend → PTY
            t1 = await asyncio.to_thread(far.wait_for, f"AT+CALL=P,{RADIO}", t0)
            if i >= 10:  # warm-up presses are not counted
                via_pad.append((t1 - t0) * 1000)
            await store.command("dispatch.hangup", {})
            await asyncio.to_thread(far.wait_for, "AT+HANG", t1)
            await asyncio.sleep(PACE)  # the hub allows 20 frames/s per connection (rate limit); not timed
        await store.stop()

    try:
        loop.run_until_complete(run())
        backend.stop()
        # baseline: the same line written straight to the PTY by a SerialTransport in this process
        far.answer = False
        line = radio_gw.call("P", RADIO)

        async def baseline() -> None:
            async with SerialTransport(pair.a, 115200) as t:
                for i in range(PRESSES + 10):
                    t0 = time.perf_counter()
                    await t.write(line)
                    t1 = await asyncio.to_thread(far.wait_for, f"AT+CALL=P,{RADIO}", t0)
                    if i >= 10:
                        direct.append((t1 - t0) * 1000)
        loop.run_until_complete(baseline())
    finally:
        if backend.running:
            backend.stop()
        far.close()
        pair.stop()
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        asyncio.set_event_loop(None)
        loop.close()
    p50, p99 = median(via_pad), percentile(via_pad, 99)
    b50, b99 = median(direct), percentile(direct, 99)
    write_result("dispatch", [
        figure("pad key → AT bytes on the serial port: p50", round(p50, 2), "ms", "<= 100", round(b50, 3),
               round(p50 / b50, 1), presses=len(via_pad)),
        figure("pad key → AT bytes on the serial port: p99", round(p99, 2), "ms", "<= 250", round(b99, 3),
               round(p99 / b99, 1)),
        figure("direct SerialTransport write → far end: p50", round(b50, 3), "ms", None),
        figure("direct SerialTransport write → far end: p99", round(b99, 3), "ms", None),
    ], notes="baseline = direct SerialTransport write of the same AT+CALL line to the same socat PTY, same run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
