"""The pump on real pipes: every byte in order, one batch serves all pipes, EOF leaves the fd to its owner; its C
lane on real pipes and sockets."""
import asyncio
import errno
import os
import socket
import threading

import pytest

from backend.relay import pump as pumps
from backend.relay.pump import Pump, make_pipe

native = pytest.mark.skipif(not pumps.native_available(), reason="the C lane (_fanout.c) is not built")


async def _wait(cond, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        assert asyncio.get_running_loop().time() < deadline, "condition not met"
        await asyncio.sleep(0.01)


def _add(pump, fd, on_data=lambda data: None, on_quiet=None, laned=False):
    """``pump.add(fd, …)``; laned, the pipe is also handed to the C lane with no viewers (its loop reads it)."""
    pump.add(fd, on_data, lambda: None, on_quiet)
    if laned:
        with pumps.LOCK:
            pump.lane.set(fd, ())


def _two_watched(pump, laned):
    """Two new pipes added to ``pump``; the list their quiet reports go to."""
    pipes, quiet = [make_pipe(), make_pipe()], []
    for r, _w in pipes:
        _add(pump, r, on_quiet=lambda r=r: quiet.append(r), laned=laned)
    return pipes, quiet


def test_pipes_are_read_in_order_in_shared_batches_and_eof_keeps_the_fd():
    async def main():
        pump = Pump(interval_s=0.05)
        pipes = [make_pipe() for _ in range(4)]
        got = {r: bytearray() for r, _ in pipes}
        eofs = []
        for r, _ in pipes:
            pump.add(r, got[r].extend, lambda r=r: eofs.append(r))
        sent = {r: bytearray() for r, _ in pipes}
        for i in range(40):  # 4 writers, 25 chunks a second each, for 1.6 s
            for r, w in pipes:
                chunk = bytes([i % 256]) * (188 * (1 + (i + r) % 7))
                os.write(w, chunk)
                sent[r] += chunk
            await asyncio.sleep(0.04)
        await _wait(lambda: all(got[r] == sent[r] for r, _ in pipes))
        assert pump.batches <= 2 * 40 < 4 * 40  # the 4 pipes' chunks share wakeups (per-chunk reads: 160)
        r0, w0 = pipes[0]
        os.close(w0)
        await _wait(lambda: eofs == [r0])
        os.fstat(r0)  # still open: only its owner closes it
        for r, w in pipes:
            pump.remove(r)
            if r != r0:
                os.close(w)
        try:
            os.fstat(r0)
            raise AssertionError("remove() did not close the fd")
        except OSError:
            pass
        pump.close()

    asyncio.run(main())


def test_a_lone_chunk_is_not_held_back():
    async def main():
        pump = Pump(interval_s=5.0)  # a long batch interval must not delay data after a quiet spell
        r, w = make_pipe()
        got = bytearray()
        pump.add(r, got.extend, lambda: None)
        os.write(w, b"G" * 188)
        await _wait(lambda: len(got) == 188, timeout=2.5)  # well before the 5 s batch interval
        pump.remove(r)
        os.close(w)
        pump.close()

    asyncio.run(main())


@pytest.mark.parametrize("laned", [False, pytest.param(True, marks=native)], ids=["python", "c-lane"])
def test_a_pipe_gone_quiet_is_reported_once_until_data_comes_back(laned):
    async def main():
        pump = Pump(interval_s=0.04, quiet_after_s=0.5)
        [(r1, w1), (r2, w2)], quiet = _two_watched(pump, laned)  # laned: the C loop notes the reads
        for _ in range(30):  # 1.2 s: the first keeps sending, the second has said nothing since it was added
            os.write(w1, b"G" * 188)
            await asyncio.sleep(0.04)
        assert quiet == [r2]  # reported once, not at every check
        added = pump.last_read(r2)
        assert pump.last_read(r1) > added
        os.write(w2, b"G" * 188)  # back: it is watched again
        await _wait(lambda: pump.last_read(r2) > added)
        await _wait(lambda: quiet == [r2, r1, r2], timeout=3)  # now both silent: each reported
        os.write(w1, b"G" * 188)  # back (no longer quiet), and then it ends at once: an ended pipe is not quiet
        os.close(w1)  # (EOF goes to its owner): without that, 0.5 s after its data it would be reported again
        await asyncio.sleep(0.8)
        assert quiet == [r2, r1, r2]
        for r, w in ((r1, None), (r2, w2)):
            pump.remove(r)
            if w is not None:
                os.close(w)
        assert pump.last_read(r1) is None
        pump.close()

    asyncio.run(main())


@native
def test_a_laned_pipe_s_last_read_is_current_while_the_lane_loop_runs(monkeypatch):
    monkeypatch.setattr(pumps, "QUIET_CHECK_S", 30.0)  # the C loop returns only at its deadline, 30 s out

    async def main():
        pump = Pump(interval_s=0.04, quiet_after_s=30.0)
        r, w = make_pipe()
        _add(pump, r, laned=True)
        added = pump.last_read(r)
        await _wait(lambda: pump._next_check > 0)  # the first check is done: the loop now waits on its own, 30 s
        os.write(w, b"G" * 188)
        await _wait(lambda: pump.last_read(r) > added)  # the watchdog's backup check reads this
        assert pump._seen[r] == added  # known from the lane itself: the loop has not returned
        pump.remove(r)
        os.close(w)
        pump.close()

    asyncio.run(main())


@native
def test_a_pipe_removed_while_the_lane_loop_runs_is_forgotten(monkeypatch):
    monkeypatch.setattr(pumps, "QUIET_CHECK_S", 30.0)  # the C loop returns only at its deadline or for Python

    async def main():
        pump = Pump(interval_s=0.0, quiet_after_s=0.3)
        [(r1, w1), (r2, w2)], quiet = _two_watched(pump, laned=True)
        await _wait(lambda: sorted(quiet) == sorted([r1, r2]))  # both quiet: a check every 0.3 s from now
        await _remove_while_a_read_is_not_handed_over(pump, r1, w1)
        batches = pump.batches
        pump._wake()  # the loop returns: the reads it made are handed over, the removed pipe's too
        await _wait(lambda: pump.batches > batches)  # handed over, then the wake-up read
        assert r1 not in pump._seen and pump.last_read(r1) is None
        os.write(w2, b"G" * 188)  # and the pump goes on: the other pipe is read, and found quiet again
        await _wait(lambda: quiet.count(r2) == 2, timeout=5)
        assert pump._thread is not None and pump._thread.is_alive()
        pump.remove(r2)
        for w in (w1, w2):
            os.close(w)
        pump.close()

    asyncio.run(main())


async def _remove_while_a_read_is_not_handed_over(pump, r, w):
    """Write to laned pipe ``r`` and remove it once the running C loop has read that but not handed the read over
    (it returns at its next check). Looked at under LOCK, which the loop needs to hand reads over; written again
    when the loop handed this one over first (the test was late: a loaded machine)."""
    for _ in range(50):
        seen = pump._seen[r]
        os.write(w, b"G" * 188)
        for _ in range(200):
            await asyncio.sleep(0.005)
            with pumps.LOCK:
                if pump._seen[r] != seen:
                    break  # handed over already
                if pump.last_read(r) > seen:  # read by the C loop, which still runs
                    pump.remove(r)
                    return
    raise AssertionError("the C loop always handed its read over before the test looked")


@pytest.mark.parametrize("laned", [False, pytest.param(True, marks=native)], ids=["python", "c-lane"])
def test_a_failure_in_the_pump_s_loop_is_logged_and_the_loop_goes_on(laned, monkeypatch, caplog):
    async def main():
        pump = Pump(interval_s=0.0, quiet_after_s=0.2)
        r, w = make_pipe()
        got = bytearray()
        _add(pump, r, got.extend, laned=laned)
        check, failed = pump._check_quiet, []

        def broken(now):  # a bug in the loop itself, once
            if not failed:
                failed.append(now)
                raise RuntimeError("a bug in the pump")
            check(now)

        monkeypatch.setattr(pump, "_check_quiet", broken)
        await _wait(lambda: failed)
        before = pump.last_read(r)
        os.write(w, b"G" * 188)
        await _wait(lambda: pump.last_read(r) > before)  # still read after the failure
        assert pump._thread.is_alive()
        assert "its loop failed" in caplog.text and "a bug in the pump" in caplog.text
        if not laned:
            assert bytes(got) == b"G" * 188
        pump.remove(r)
        os.close(w)
        pump.close()

    asyncio.run(main())


class Peer:
    """The far end of a viewer's socket pair, read by a thread (or not at all, until ``start``)."""

    def __init__(self, rcvbuf: int = 0):
        self.mine, self.far = socket.socketpair()
        self.mine.setblocking(False)
        if rcvbuf:
            self.mine.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, rcvbuf)
            self.far.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.data = bytearray()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def start(self) -> "Peer":
        self._thread.start()
        return self

    def _read(self):
        while part := self.far.recv(1 << 16):
            self.data += part


@native
def test_the_c_lane_writes_whole_chunks_and_hands_back_a_full_or_failed_viewer_with_what_it_missed():
    async def main():
        pump = Pump(interval_s=0.0)
        r, w = make_pipe()
        left_calls, python_path = [], bytearray()
        pump.add(r, python_path.extend, lambda: None, None, lambda: left_calls.append(1))
        fast, slow, gone = Peer().start(), Peer(rcvbuf=4096), Peer()
        gone.far.close()  # a viewer that went away: the first write fails
        with pytest.raises(RuntimeError):  # only with pump.LOCK held
            pump.lane.set(r, (fast.mine.fileno(),))
        with pumps.LOCK:
            assert pump.lane.set(r, (fast.mine.fileno(), slow.mine.fileno(), gone.mine.fileno())) == {}
        data = bytes(range(256)) * 4096  # 1 MiB
        for i in range(0, len(data), 5000):
            os.write(w, data[i:i + 5000])
            await asyncio.sleep(0.001)
        await _wait(lambda: len(fast.data) == len(data))
        assert fast.data == data and python_path == b""  # all of it through the lane, to the one that keeps up
        with pumps.LOCK:
            assert pump.lane.take(r) == data  # what the tick scans: every byte, in order
            left = {fd: (sent, unsent, err) for fd, sent, unsent, err in pump.lane.left(r)}
            counts = pump.lane.set(r, None)
        assert left_calls and set(left) == {slow.mine.fileno(), gone.mine.fileno()}
        sent, unsent, err = left[gone.mine.fileno()]
        assert (sent, err) == (0, errno.EPIPE) and data.startswith(unsent)
        sent, unsent, err = left[slow.mine.fileno()]
        assert err == 0 and 0 < sent < len(data) and data[sent:].startswith(unsent) and unsent
        slow.start()  # what its socket held is exactly the bytes before the ones it missed
        await _wait(lambda: len(slow.data) == sent)
        assert slow.data == data[:sent]
        assert counts == {fast.mine.fileno(): len(data)}  # the byte count of the one still in the lane
        for peer in (fast, slow, gone):
            peer.mine.close()
        pump.remove(r)
        os.close(w)
        pump.close()

    asyncio.run(main())
