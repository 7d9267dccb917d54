"""Real video sources for tests: demo clips (made once), the gst RTSP server, and the camera relay process.

    clips = test_clips()                                   # var/test-clips: cam-01…cam-04 + codec variants
    with RtspServer(clips) as rtsp:                        # /usr/bin/python3 backend/demo/rtsp_server.py
        with RelayProc(tmp_path, [{"id": "cam-01", "url": rtsp.url("cam-01")}], token="T") as relay:
            url = relay.play_url("cam-01")                 # http://127.0.0.1:P/cam/cam-01.ts?token=T
            relay.wait_state("cam-01", "live")

Fixtures (import them into a conftest): ``rtsp_clips`` (session), ``rtsp_server`` (module), ``relay_factory``.
Needs ffmpeg and python3-gi with gir1.2-gst-rtsp-server-1.0; without them the fixtures skip.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterable

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"
CLIPS_DIR = Path(os.environ.get("CC_TEST_CLIPS", ROOT / "var" / "test-clips"))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def json_status(url: str) -> int:
    """The HTTP status of a GET answered with JSON (the relay's /play, /control calls); 4xx/5xx too."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            json.loads(resp.read())
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def have_rtsp_server() -> str:
    """"" when the RTSP server can run here, else why not."""
    if shutil.which("ffmpeg") is None:
        return "ffmpeg not installed"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0'); "
                            "from gi.repository import GstRtspServer"], capture_output=True)
    return "" if probe.returncode == 0 else "python3-gi with gir1.2-gst-rtsp-server-1.0 not installed"


def test_clips(cameras: int = 4, out: Path = CLIPS_DIR) -> Path:
    """Make (once; later calls reuse them) cam-01…cam-NN H.264 clips and the h264/h265/mjpeg test clips."""
    sys.path.insert(0, str(ROOT)) if str(ROOT) not in sys.path else None
    from backend.demo import clips

    clips.make_clips(out, clips.demo_specs(cameras, seconds=8) + clips.variant_specs())
    return out


test_clips.__test__ = False  # not a test, despite the name


def _env(root: Path = ROOT) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


class RtspServer:
    """``backend/demo/rtsp_server.py`` as a subprocess. Attributes: port (kept across restart), clips, log."""

    def __init__(self, clips: Path, port: int = 0, user: str = "", password: str = "", log: Path | None = None):
        self.clips, self.port, self.user, self.password = Path(clips), port, user, password
        self.log = log or Path(os.environ.get("TMPDIR", "/tmp")) / f"cc-rtsp-{os.getpid()}-{id(self)}.log"
        self.proc: subprocess.Popen | None = None

    def url(self, name: str, user: str | None = None, password: str | None = None) -> str:
        user = self.user if user is None else user
        password = self.password if password is None else password
        cred = f"{user}:{password}@" if user else ""
        return f"rtsp://{cred}127.0.0.1:{self.port}/{name}"

    def start(self, timeout: float = 30.0) -> "RtspServer":
        cmd = [SYSTEM_PYTHON, str(ROOT / "backend" / "demo" / "rtsp_server.py"), "--clips", str(self.clips),
               "--port", str(self.port)]
        if self.user:
            cmd += ["--user", self.user, "--password", self.password]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log.read_text("utf-8", "replace")
            if "listening on rtsp://" in text:
                self.port = int(text.split("listening on rtsp://", 1)[1].split(":", 1)[1].split()[0])
                return self
            if self.proc.poll() is not None:
                if "cannot listen" in text and time.monotonic() < deadline - 1:  # port not yet released
                    time.sleep(0.3)
                    return self.start(max(1.0, deadline - time.monotonic()))
                raise RuntimeError(f"RTSP server exited ({self.proc.returncode}): {text[-2000:]}")
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"RTSP server not ready in {timeout} s: {self.log.read_text('utf-8', 'replace')}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def __enter__(self) -> "RtspServer":
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


class RelayProc:
    """``python -m backend.relay`` on a free port, configured with camera sources and one user token.

    Attributes: port, token, state_dir, log, secret (after start).
    """

    def __init__(self, state_dir: Path, cameras: Iterable[dict], token: str = "test-token", user: str = "tester",
                 settings: dict | None = None, extra_args: Iterable[str] = (), root: Path = ROOT):
        self.state_dir = Path(state_dir)
        self.root = Path(root)  # the checkout whose backend.relay runs (bench/relay_ab.py: another one)
        self.cameras, self.token, self.user = list(cameras), token, user
        self.settings = dict(settings or {})
        self.extra_args = list(extra_args)
        self.log = self.state_dir / "relay.log"
        self.port = 0
        self.secret = ""
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "RelayProc":
        self.state_dir.mkdir(parents=True, exist_ok=True)
        config = self.state_dir / "relay-config.json"
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"cameras": self.cameras, "settings": self.settings,
                       "tokens": {hashlib.sha256(self.token.encode()).hexdigest(): self.user}}, f)
        state = self.state_dir / "relay.json"
        state.unlink(missing_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "backend.relay", "--host", "127.0.0.1", "--port", str(self.port),
                 "--state-dir", str(self.state_dir), "--config", str(config), *self.extra_args],
                cwd=self.root, env=_env(self.root), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"relay exited ({self.proc.returncode}): {self.log.read_text()[-2000:]}")
            try:
                data = json.loads(state.read_text())
                self.port, self.secret = data["port"], data["secret"]
                return self
            except (OSError, ValueError, KeyError):
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"relay not ready in {timeout} s: {self.log.read_text()[-2000:]}")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def play_url(self, cam_id: str, stream: str = "main", token: str | None = None) -> str:
        extra = "&stream=sub" if stream == "sub" else ""
        return f"{self.base_url}/cam/{cam_id}.ts?token={token or self.token}{extra}"

    def control(self, method: str, path: str, body=None):
        req = urllib.request.Request(self.base_url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"X-Relay-Secret": self.secret, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def health(self, cam_id: str | None = None):
        items = self.control("GET", "/control/health")
        if cam_id is None:
            return items
        return next(item for item in items if item["id"] == cam_id)

    def wait_state(self, cam_id: str, state: str | tuple, timeout: float = 30.0, stream: str = "main") -> dict:
        """Wait until the camera (or its sub stream) is in ``state``; returns its health."""
        states = (state,) if isinstance(state, str) else tuple(state)
        deadline, item = time.monotonic() + timeout, {}
        while time.monotonic() < deadline:
            item = self.health(cam_id)
            item = item.get("sub", {}) if stream == "sub" else item
            if item.get("state") in states:
                return item
            time.sleep(0.1)
        raise TimeoutError(f"{cam_id}/{stream} not {states} within {timeout} s: {item}")

    def views(self) -> list[dict]:
        return self.control("GET", "/control/views?after=0")["views"]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> "RelayProc":
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


# ---- pytest fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def rtsp_clips() -> Path:
    why = have_rtsp_server()
    if why:
        pytest.skip(why)
    return test_clips()


@pytest.fixture(scope="module")
def rtsp_server(rtsp_clips, tmp_path_factory):
    server = RtspServer(rtsp_clips, log=tmp_path_factory.mktemp("rtsp") / "rtsp.log")
    with server:
        yield server


@pytest.fixture
def relay_factory(tmp_path):
    """``relay_factory(cameras, settings=None, token="test-token")`` → a started RelayProc (stopped after)."""
    started: list[RelayProc] = []

    def make(cameras: Iterable[dict], settings: dict | None = None, token: str = "test-token", **kw) -> RelayProc:
        proc = RelayProc(tmp_path / f"relay{len(started)}", cameras, token=token, settings=settings, **kw)
        started.append(proc)
        return proc.start()

    yield make
    for proc in started:
        proc.stop()


def check_ts_whole(data: bytes, from_key: bool = True, continuity: bool = True) -> int:
    """Assert ``data`` is whole MPEG-TS packets from its first byte (every 188th byte a sync byte) with video
    frames in it, the first a keyframe if ``from_key``; with ``continuity``, the video PID's continuity
    counter unbroken from the first frame on (nothing lost, doubled or reordered). Returns the video packets
    checked."""
    from backend.relay.ts import PACKET, TsScanner

    data = bytes(data)
    assert len(data) % PACKET == 0, f"{len(data)} bytes: a partial packet at the end"
    bad = [i for i in range(0, len(data), PACKET) if data[i] != 0x47]
    assert not bad, f"sync byte missing at {len(bad)} packet(s), first at byte {bad[0]}"
    scanner = TsScanner()
    _chunk, frames = scanner.feed(data)
    assert frames and (frames[0].key or not from_key)
    expected, checked = None, 0
    for i in range(frames[0].index * PACKET, len(data), PACKET) if continuity else ():
        pid = ((data[i + 1] & 0x1F) << 8) | data[i + 2]
        if pid != scanner.video_pid or not (data[i + 3] >> 4) & 0x1:
            continue  # not video, or no payload (the counter only moves with a payload)
        cc = data[i + 3] & 0x0F
        assert expected is None or cc == expected, \
            f"video continuity counter {cc} where {expected} was due, packet {i // PACKET}: bytes lost or doubled"
        expected, checked = (cc + 1) & 0x0F, checked + 1
    return checked


class TsClient:
    """A raw HTTP viewer in a thread: counts (and keeps the first ``keep`` bytes of) what the relay sends.

    ``rcvbuf`` makes a deliberately slow viewer when ``read=False`` (it connects and never reads);
    ``pause()``/``resume()`` stop and restart reading for a while.
    Attributes: status (HTTP status), bytes, data (kept bytes), closed (the relay ended the stream).
    """

    def __init__(self, url: str, keep: int = 4 << 20, read: bool = True, rcvbuf: int = 0):
        import threading
        from urllib.parse import urlsplit

        u = urlsplit(url)
        self.host, self.port, self.target = u.hostname, u.port, u.path + ("?" + u.query if u.query else "")
        self.keep, self.read, self.rcvbuf = keep, read, rcvbuf
        self.status = 0
        self.bytes = 0
        self.data = bytearray()
        self.closed = threading.Event()
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._reading = threading.Event()
        self._reading.set()
        self._sock = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "TsClient":
        self._thread.start()
        if not self.ready.wait(15):
            raise TimeoutError(f"no HTTP answer from {self.host}:{self.port}{self.target}")
        return self

    def _run(self) -> None:
        sock = socket.socket()
        if self.rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        self._sock = sock
        try:
            sock.settimeout(15)
            sock.connect((self.host, self.port))
            sock.sendall(f"GET {self.target} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
            head = b""
            while b"\r\n\r\n" not in head:
                part = sock.recv(1)
                if not part:
                    break
                head += part
            self.status = int(head.split(b" ", 2)[1]) if head else 0
            self.ready.set()
            if not self.read:
                self._stop.wait()
                return
            sock.settimeout(0.5)
            while not self._stop.is_set():
                if not self._reading.wait(0.5):
                    continue
                try:
                    part = sock.recv(1 << 16)
                except socket.timeout:
                    continue
                if not part:
                    break
                self.bytes += len(part)
                if len(self.data) < self.keep:
                    self.data += part[: self.keep - len(self.data)]
        except OSError:
            pass
        finally:
            self.ready.set()
            self.closed.set()
            sock.close()

    def peer_closed(self) -> bool:
        """For a non-reading client: did the relay close (or reset) the connection?"""
        import select

        if self._sock is None:
            return False
        try:
            readable, _, _ = select.select([self._sock], [], [], 0)
            if not readable:
                return False
            # drain what is buffered; an RST or FIN shows up as an error or b""
            while True:
                self._sock.setblocking(False)
                part = self._sock.recv(1 << 20)
                if not part:
                    return True
        except BlockingIOError:
            return False
        except OSError:
            return True

    def wait_bytes(self, n: int, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while self.bytes < n and time.monotonic() < deadline and not self.closed.is_set():
            time.sleep(0.05)
        if self.bytes < n:
            raise TimeoutError(f"only {self.bytes} of {n} bytes from {self.target}")
        return self.bytes

    def pause(self) -> None:
        self._reading.clear()

    def resume(self) -> None:
        self._reading.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def __enter__(self) -> "TsClient":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
