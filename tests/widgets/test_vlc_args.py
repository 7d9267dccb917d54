"""libvlc takes the wall's options, and its HTTP read-ahead uses the small ring they ask for (issue 9: with
libvlc's default 16 MiB prefetch ring a player's RSS grew by the bytes it received, ~0.1 MB/s a stream)."""
from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from widgets import video_player

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(video_player.vlc is None, reason="libvlc not installed")

PROBE = r"""
import sys, time, vlc
from widgets.video_player import VLC_ARGS
args = [a for a in VLC_ARGS if a != "--quiet"] + ["--verbose=2", "--vout=dummy"]
inst = vlc.Instance(args)
if inst is None:
    sys.exit("libvlc refused the options")
player = inst.media_player_new()
player.set_media(inst.media_new(sys.argv[1]))
player.play()
time.sleep(3)
player.stop()
"""


class _Bytes(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - a few MB of MPEG-TS null packets: something to read ahead
        packet = b"\x47\x1f\xff\x10" + b"\xff" * 184
        self.send_response(200)
        self.send_header("Content-Type", "video/mp2t")
        self.end_headers()
        try:
            self.wfile.write(packet * 20000)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


def test_libvlc_takes_the_options_and_reads_ahead_into_a_small_ring():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Bytes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/cam/x.ts"
        out = subprocess.run([sys.executable, "-c", PROBE, url], cwd=ROOT, capture_output=True, text=True, timeout=60,
                             env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    finally:
        server.shutdown()
    assert out.returncode == 0, out.stderr[-2000:]
    ring = [ln for ln in out.stderr.splitlines() if "bytes buffer" in ln and "bytes read" in ln]
    assert ring, "libvlc's prefetch filter did not report its ring:\n" + out.stderr[-3000:]
    assert "using 65536 bytes buffer, 4096 bytes read" in ring[0], ring
