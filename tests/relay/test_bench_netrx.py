"""bench/netrx.py, which the relay benchmark uses to show where loopback puts the viewers' TCP receive: traced
on this kernel, a process writing to a TCP socket on 127.0.0.1 is charged the NET_RX softirq of the reader's
receive path, and the parser pairs entries with exits per CPU."""
import importlib.util
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.helpers.backend_proc import ROOT

spec = importlib.util.spec_from_file_location("netrx", ROOT / "bench" / "netrx.py")
netrx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(netrx)


def test_parser_pairs_entry_and_exit_per_cpu():
    t = netrx.NetRxTrace()
    t._parse("""# tracer: nop
          python-100     [000] ..s1.  10.000010: softirq_entry: vec=3 [action=NET_RX]
   ffmpeg -x-200     [001] ..s1.  10.000012: softirq_entry: vec=3 [action=NET_RX]
          python-100     [000] ..s1.  10.000018: softirq_exit: vec=3 [action=NET_RX]
   ffmpeg -x-200     [001] ..s1.  10.000015: softirq_exit: vec=3 [action=NET_RX]
          python-100     [000] ..s1.  10.000030: softirq_exit: vec=3 [action=NET_RX]
          <idle>-0       [000] ..s1.  10.000040: softirq_entry: vec=1 [action=TIMER]
""")
    assert t.by_pid == pytest.approx({100: 8e-6, 200: 3e-6})  # an exit without its entry counts nothing


@pytest.mark.skipif(netrx.NetRxTrace.available() is not None, reason="tracefs needs root")
def test_loopback_writer_pays_the_readers_receive():
    srv = socket.create_server(("127.0.0.1", 0))
    reader = subprocess.Popen([sys.executable, "-c", (
        "import socket, sys\n"
        "s = socket.create_connection(('127.0.0.1', int(sys.argv[1]))); n = 0\n"
        "while data := s.recv(1 << 16): n += len(data)\n"
        "print(n)\n"), str(srv.getsockname()[1])], stdout=subprocess.PIPE, text=True)
    out, _ = srv.accept()
    with netrx.NetRxTrace(name="cc-test-netrx") as trace:
        for _ in range(300):
            out.sendall(b"x" * 4000)
            time.sleep(0.001)
    out.close()
    assert int(reader.communicate(timeout=10)[0]) == 300 * 4000
    assert trace.lost == 0
    writer, reader_rx = trace.seconds([os.getpid()]), trace.by_pid.get(reader.pid, 0.0)
    # each write ran the reader's receive path in this process's softirq: microseconds each, not nothing and
    # not the whole window; the reader's own NET_RX is this socket taking its acknowledgements
    assert 300 * 0.5e-6 < writer < trace.wall / 2
    assert 0 < reader_rx < writer
    assert not (netrx.TRACEFS / "instances" / "cc-test-netrx").exists()
