"""The pump on real pipes: every byte in order, one batch serves all pipes, EOF leaves the fd to its owner."""
import asyncio
import os

from backend.relay.pump import Pump, make_pipe


async def _wait(cond, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        assert asyncio.get_running_loop().time() < deadline, "condition not met"
        await asyncio.sleep(0.01)


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


def test_a_pipe_gone_quiet_is_reported_once_until_data_comes_back():
    async def main():
        pump = Pump(interval_s=0.04, quiet_after_s=0.5)
        (r1, w1), (r2, w2) = make_pipe(), make_pipe()
        quiet = []
        for r in (r1, r2):
            pump.add(r, lambda data: None, lambda: None, lambda r=r: quiet.append(r))
        for _ in range(30):  # 1.2 s: the first keeps sending, the second has said nothing since it was added
            os.write(w1, b"G" * 188)
            await asyncio.sleep(0.04)
        assert quiet == [r2]  # reported once, not at every check
        added = pump.last_read(r2)
        assert pump.last_read(r1) > added
        os.write(w2, b"G" * 188)  # back: it is watched again
        await _wait(lambda: pump.last_read(r2) > added)
        await _wait(lambda: quiet == [r2, r1, r2], timeout=3)  # now both silent: each reported
        before = pump.last_read(r1)
        os.write(w1, b"G" * 188)
        await _wait(lambda: pump.last_read(r1) > before)
        os.close(w1)  # then it ends: an ended pipe is not quiet (EOF goes to its owner)
        await asyncio.sleep(0.8)
        assert quiet == [r2, r1, r2]
        for r, w in ((r1, None), (r2, w2)):
            pump.remove(r)
            if w is not None:
                os.close(w)
        assert pump.last_read(r1) is None
        pump.close()

    asyncio.run(main())
