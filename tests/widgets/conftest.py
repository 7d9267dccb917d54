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


class RelayChain:
    """The real video chain: a demo clip → gst RTSP server (the camera) → camera relay → HTTP-TS play URL.

    ``stop_camera()`` kills the RTSP server (the camera goes away), ``start_camera()`` brings it back on
    the same port; the relay and the tile must both recover by themselves.
    Attributes: url (the play URL of camera cam-01 with a valid token).
    """

    TOKEN = "wall-test-token"

    def __init__(self, workdir):
        import hashlib
        import json
        import sys
        from pathlib import Path

        self.workdir = Path(workdir)
        self.root = Path(__file__).resolve().parents[2]
        self.python = sys.executable
        self.rtsp_port = _free_port()
        self.relay_port = _free_port()
        clips = self.workdir / "clips"
        subprocess.run([self.python, "-m", "backend.demo.clips", "--out", str(clips), "--cameras", "1",
                        "--seconds", "4"], cwd=self.root, check=True, capture_output=True, timeout=120)
        self.clips = clips
        config = {"cameras": [{"id": "cam-01", "url": f"rtsp://127.0.0.1:{self.rtsp_port}/cam-01"}],
                  "tokens": {hashlib.sha256(self.TOKEN.encode()).hexdigest(): "wall-tester"}}
        (self.workdir / "relay.config.json").write_text(json.dumps(config), "utf-8")
        self.url = f"http://127.0.0.1:{self.relay_port}/cam/cam-01.ts?token={self.TOKEN}"
        self.camera: subprocess.Popen | None = None
        self.relay: subprocess.Popen | None = None

    def _spawn(self, args, ready: str, log_name: str, timeout: float = 60.0) -> subprocess.Popen:
        import time

        log_path = self.workdir / log_name
        offset = log_path.stat().st_size if log_path.exists() else 0
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(args, cwd=self.root, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(log_path, "rb") as log:
                log.seek(offset)
                if ready in log.read().decode("utf-8", "replace"):
                    return proc
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.kill()
        raise RuntimeError(f"{args[:3]} did not start: {log_path.read_text('utf-8', 'replace')[-2000:]}")

    def start_camera(self) -> None:
        self.camera = self._spawn(["/usr/bin/python3", "backend/demo/rtsp_server.py", "--port", str(self.rtsp_port),
                                   "--clips", str(self.clips)], "rtsp server listening", "rtsp.log")

    def stop_camera(self) -> None:
        if self.camera is not None:
            self.camera.kill()
            self.camera.wait(timeout=30)
            self.camera = None

    def start(self) -> "RelayChain":
        self.start_camera()
        self.relay = self._spawn([self.python, "-m", "backend.relay", "--host", "127.0.0.1", "--port",
                                  str(self.relay_port), "--state-dir", str(self.workdir / "relay"),
                                  "--config", str(self.workdir / "relay.config.json")],
                                 "relay listening on", "relay.log")
        return self

    def stop(self) -> None:
        self.stop_camera()
        if self.relay is not None:
            self.relay.terminate()
            try:
                self.relay.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.relay.kill()
                self.relay.wait(timeout=10)
            self.relay = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chain_missing() -> str:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for part in ("backend/relay/__main__.py", "backend/demo/rtsp_server.py", "backend/demo/clips.py"):
        if not (root / part).exists():
            return f"{part} is not there yet"
    if FFMPEG is None:
        return "ffmpeg is not installed"
    probe = subprocess.run(["/usr/bin/python3", "-c", "import gi; gi.require_version('GstRtspServer', '1.0')"],
                           capture_output=True)
    if probe.returncode != 0:
        return "gst-rtsp-server is missing (python3-gi, gir1.2-gst-rtsp-server-1.0)"
    return ""


@pytest.fixture
def relay_chain(tmp_path):
    """A running RelayChain (RTSP demo camera → relay); stopped at teardown."""
    missing = _chain_missing()
    if missing:
        pytest.skip(f"real video chain unavailable: {missing}")
    chain = RelayChain(tmp_path).start()
    try:
        yield chain
    finally:
        chain.stop()
