"""RTP port pairs are reserved machine-wide: two processes (two backends, tests in parallel) with the same range
never get the same port, a port pair someone has bound is skipped, and a dead holder's ports come free."""
from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import pytest

from backend.conference.ports import PortError, PortPool, parse_range

RANGE = (47600, 47699)  # a range of this test's own (the lock dir is private too)

HOLDER = textwrap.dedent("""
    import sys
    from backend.conference.ports import PortPool
    pool = PortPool(int(sys.argv[1]), int(sys.argv[2]), lock_dir=sys.argv[3])
    print(" ".join(str(pool.take()) for _ in range(3)), flush=True)
    sys.stdin.read()   # holds them (nothing bound: as between the forward and ffmpeg's bind) until killed
""")


def test_two_pools_in_one_process_never_share_a_port(tmp_path):
    a, b = PortPool(*RANGE, lock_dir=tmp_path), PortPool(*RANGE, lock_dir=tmp_path)
    got_a = [a.take() for _ in range(5)]
    got_b = [b.take() for _ in range(5)]
    assert not set(got_a) & set(got_b)
    assert all(p % 2 == 0 for p in got_a + got_b)
    a.give_back(got_a[0])
    assert b.take() == got_a[0]  # given back: free for the other pool
    a.close()
    b.close()


def test_another_process_holding_ports_is_respected_until_it_dies(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(RANGE[0]), str(RANGE[1]), str(tmp_path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        theirs = [int(p) for p in child.stdout.readline().split()]
        assert len(theirs) == 3
        mine = PortPool(*RANGE, lock_dir=tmp_path)
        got = [mine.take() for _ in range(3)]
        assert not set(got) & set(theirs), (got, theirs)  # the old pool (bind check only) gave the same ones
        mine.close()
    finally:
        child.kill()
        child.wait(timeout=10)
    again = PortPool(*RANGE, lock_dir=tmp_path)
    assert again.take() == min(theirs)  # the kernel dropped the dead holder's locks
    again.close()


def test_a_bound_port_or_its_rtcp_port_is_skipped(tmp_path):
    low = RANGE[0]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rtp, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rtcp:
        rtp.bind(("0.0.0.0", low))          # someone's ffmpeg on the first pair
        rtcp.bind(("127.0.0.1", low + 3))   # someone's RTCP on the second pair
        pool = PortPool(*RANGE, lock_dir=tmp_path)
        assert pool.take() == low + 4
        pool.close()


def test_range_errors_and_exhaustion(tmp_path):
    assert parse_range("42000-42999") == (42000, 42999)
    for bad in ("42000", "a-b", "5-10", "43000-42000", "60000-70000"):
        with pytest.raises(ValueError, match="expected"):
            parse_range(bad)
    pool = PortPool(RANGE[0], RANGE[0] + 4, lock_dir=tmp_path)
    pool.take()
    pool.take()
    with pytest.raises(PortError, match=f"{RANGE[0]}-{RANGE[0] + 4}"):
        pool.take()
    pool.close()
