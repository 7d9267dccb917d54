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
