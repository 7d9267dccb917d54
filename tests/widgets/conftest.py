"""Widget test fixtures: ``live_ts``, a live MPEG-TS-over-HTTP source (ffmpeg test pattern, fanned out).

It stands in for the camera relay's ``/cam/<id>.ts`` where the relay is not wanted; ``stop()`` cuts the
stream and refuses connections (a camera or relay going away), ``start()`` brings it back on the same port.
"""
from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

FFMPEG = shutil.which("ffmpeg")
XVFB = bool(os.environ.get("CC_TEST_XVFB"))


class LiveTs:
    """Attributes: url (http://127.0.0.1:PORT/cam/test.ts), running."""

    def __init__(self, size: str = "640x360", rate: int = 25):
        self.size, self.rate = size, rate
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/cam/test.ts"
        self._clients: set[queue.Queue] = set()
        self._lock = threading.Lock()
        self._ffmpeg: subprocess.Popen | None = None
        self._server: ThreadingHTTPServer | None = None
        self.running = False

    def start(self) -> "LiveTs":
        if FFMPEG is None:
            raise RuntimeError("ffmpeg is not installed")
        self._ffmpeg = subprocess.Popen(
            [FFMPEG, "-loglevel", "error", "-re", "-f", "lavfi", "-i", f"testsrc2=size={self.size}:rate={self.rate}",
             "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", str(self.rate),
             "-pix_fmt", "yuv420p", "-f", "mpegts", "pipe:1"],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        threading.Thread(target=self._pump, args=(self._ffmpeg,), daemon=True).start()
        source = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "video/mp2t")
                self.end_headers()
                q: queue.Queue = queue.Queue(512)
                with source._lock:
                    source._clients.add(q)
                try:
                    while (chunk := q.get()) is not None:
                        self.wfile.write(chunk)
                except OSError:
                    pass
                finally:
                    with source._lock:
                        source._clients.discard(q)

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.running = True
        return self

    def _pump(self, proc: subprocess.Popen) -> None:
        while chunk := proc.stdout.read(188 * 64):
            with self._lock:
                for q in list(self._clients):
                    try:
                        q.put_nowait(chunk)
                    except queue.Full:
                        pass

    def stop(self) -> None:
        """Cut every connection and refuse new ones."""
        self.running = False
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._ffmpeg is not None:
            self._ffmpeg.kill()
            self._ffmpeg.wait(timeout=10)
            self._ffmpeg = None
        with self._lock:
            for q in self._clients:
                try:
                    q.put_nowait(None)
                except queue.Full:
                    pass


@pytest.fixture
def live_ts():
    """A running LiveTs; stopped at teardown."""
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed (Debian package ffmpeg)")
    source = LiveTs().start()
    try:
        yield source
    finally:
        source.stop()
