"""Run the Janus WebRTC server for the conference engine: our own config in a state dir, loopback API, supervised.

    janus = JanusProcess(state_dir)            # writes state_dir/conf/*.jcfg, logs to state_dir/janus.log
    await janus.start()                        # returns once Janus answers {"janus": "info"} on ws_url
    janus.ws_url, janus.room_admin_key         # ws://127.0.0.1:PORT; the key that creating a room needs
    janus.on_restart(callback)                 # async callback() after Janus died and was started again
    await janus.stop()

Janus itself listens only on 127.0.0.1 (WebSockets transport; HTTP, MQTT, RabbitMQ, Unix-socket transports
and the admin API are off). Media (ICE/RTP) uses host candidates in ``rtp_port_range``.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import socket
import time
from pathlib import Path
from typing import Awaitable, Callable

from backend.children import end_leftover, killed_with_parent

log = logging.getLogger(__name__)

JANUS_BIN = os.environ.get("CC_JANUS_BIN", "/usr/bin/janus")
LIB_DIR = Path(os.environ.get("CC_JANUS_LIB", "/usr/lib/x86_64-linux-gnu/janus"))
KEEP_PLUGINS = ("libjanus_videoroom.so", "libjanus_streaming.so")
KEEP_TRANSPORTS = ("libjanus_websockets.so",)
START_TIMEOUT = 20.0
RESTART_BACKOFF = (0.5, 1.0, 2.0, 5.0)


class JanusStartError(RuntimeError):
    """Janus could not be started (binary missing, bad config, did not answer in time)."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _disabled(folder: Path, keep: tuple[str, ...]) -> str:
    """Every .so in ``folder`` except ``keep``, as Janus's comma-separated ``disable`` list."""
    if not folder.is_dir():
        return ""
    names = sorted(p.name for p in folder.glob("*.so") if p.name not in keep)
    return ",".join(names)


def _q(value: str) -> str:
    return json.dumps(value)  # libconfig strings accept JSON's escaping of quotes and backslashes


def render_configs(conf_dir: Path, *, ws_port: int, rtp_port_range: str, room_admin_key: str,
                   admin_secret: str, debug_level: int = 4, server_name: str = "cc-conference",
                   recordings_dir: Path | None = None) -> None:
    """Write janus.jcfg and the plugin/transport configs we use into ``conf_dir``."""
    conf_dir.mkdir(parents=True, exist_ok=True)
    main = f"""general: {{
    configs_folder = {_q(str(conf_dir))}
    plugins_folder = {_q(str(LIB_DIR / "plugins"))}
    transports_folder = {_q(str(LIB_DIR / "transports"))}
    events_folder = {_q(str(LIB_DIR / "events"))}
    loggers_folder = {_q(str(LIB_DIR / "loggers"))}
    debug_level = {int(debug_level)}
    server_name = {_q(server_name)}
    session_timeout = 60
    admin_secret = {_q(admin_secret)}
    protected_folders = ["/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sbin", "/sys", "/usr", "/var"]
}}
certificates: {{
}}
media: {{
    rtp_port_range = {_q(rtp_port_range)}
}}
nat: {{
    nice_debug = false
    ice_ignore_list = "vmnet,ifb"
}}
plugins: {{
    disable = {_q(_disabled(LIB_DIR / "plugins", KEEP_PLUGINS))}
}}
transports: {{
    disable = {_q(_disabled(LIB_DIR / "transports", KEEP_TRANSPORTS))}
}}
loggers: {{
    disable = {_q(_disabled(LIB_DIR / "loggers", ()))}
}}
events: {{
    broadcast = false
}}
"""
    websockets = f"""general: {{
    json = "plain"
    ws = true
    ws_port = {int(ws_port)}
    ws_ip = "127.0.0.1"
    wss = false
}}
admin: {{
    admin_ws = false
    admin_wss = false
}}
"""
    rec = "\n    # recordings of rooms that ask for them\n" if recordings_dir else ""
    videoroom = f"""general: {{
    admin_key = {_q(room_admin_key)}
    lock_rtp_forward = true
    string_ids = true
    events = false{rec}
}}
"""
    streaming = f"""general: {{
    admin_key = {_q(room_admin_key)}
    string_ids = true
    events = false
}}
"""
    files = {"janus.jcfg": main, "janus.transport.websockets.jcfg": websockets,
             "janus.plugin.videoroom.jcfg": videoroom, "janus.plugin.streaming.jcfg": streaming}
    for name, text in files.items():
        path = conf_dir / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, "utf-8")
        os.chmod(tmp, 0o600)  # holds the room admin key
        tmp.replace(path)


class JanusProcess:
    """One supervised Janus.

    Attributes:
        state_dir: holds conf/ (generated configs), janus.log, recordings/.
        ws_port, ws_url: the loopback WebSockets API.
        rtp_port_range: "min-max" for media.
        room_admin_key: needed to create videoroom/streaming rooms; only the backend has it.
        restarts: how many times it was started again after dying.
    """

    def __init__(self, state_dir: str | os.PathLike, *, ws_port: int = 0, rtp_port_range: str = "20000-40000",
                 debug_level: int = 4, binary: str = JANUS_BIN):
        self.state_dir = Path(state_dir)
        self.conf_dir = self.state_dir / "conf"
        self.log_path = self.state_dir / "janus.log"
        self.recordings_dir = self.state_dir / "recordings"
        self.ws_port = ws_port or free_port()
        self.rtp_port_range = rtp_port_range
        self.debug_level = debug_level
        self.binary = binary
        self.room_admin_key = secrets.token_urlsafe(24)
        self._admin_secret = secrets.token_urlsafe(24)
        self.restarts = 0
        self._proc: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task | None = None
        self._stopping = False
        self._restart_callbacks: list[Callable[[], Awaitable[None]]] = []

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    def on_restart(self, callback: Callable[[], Awaitable[None]]) -> None:
        """``await callback()`` after Janus was restarted (rooms are gone: recreate them)."""
        self._restart_callbacks.append(callback)

    async def start(self) -> "JanusProcess":
        if shutil.which(self.binary) is None and not Path(self.binary).exists():
            raise JanusStartError(f"janus binary {self.binary!r} not found (Debian package 'janus')")
        self._stopping = False
        self.state_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self._end_leftover)
        self.recordings_dir.mkdir(exist_ok=True)
        render_configs(self.conf_dir, ws_port=self.ws_port, rtp_port_range=self.rtp_port_range,
                       room_admin_key=self.room_admin_key, admin_secret=self._admin_secret,
                       debug_level=self.debug_level, recordings_dir=self.recordings_dir)
        await self._spawn()
        self._watch = asyncio.create_task(self._supervise(), name="janus-supervisor")
        return self

    async def _spawn(self) -> None:
        config = self.conf_dir / "janus.jcfg"
        with open(self.log_path, "ab") as logf:
            logf.write(f"\n--- cc: starting janus at {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
            self._proc = await asyncio.create_subprocess_exec(
                self.binary, "--config", str(config), "--configs-folder", str(self.conf_dir),
                "--disable-colors", "--debug-timestamps", "--rtp-port-range", self.rtp_port_range,
                stdin=asyncio.subprocess.DEVNULL, stdout=logf, stderr=logf, cwd=str(self.state_dir),
                start_new_session=True, preexec_fn=killed_with_parent)
        self.pid_path.write_text(str(self._proc.pid), "ascii")
        try:
            await self._wait_ready()
        except BaseException:
            await self._terminate()
            raise
        log.info("janus pid %d answering on %s", self._proc.pid, self.ws_url)

    @property
    def pid_path(self) -> Path:
        """The running Janus's pid, so that a backend started after a crash ends the one it left."""
        return self.state_dir / "janus.pid"

    def _end_leftover(self) -> None:
        """SIGKILL the Janus a previous backend left running with this state folder (``end_leftover``: it is
        touched only if its command line names this folder's config). Killed with its backend, Janus gets
        SIGTERM and may hang for good after "Bye!" (seen in the tests)."""
        pid = end_leftover(self.pid_path, str(self.conf_dir / "janus.jcfg"))
        if pid is not None:
            log.warning("janus pid %d left by a previous backend was still there: ended it", pid)

    async def _wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        from backend.conference.janus_api import JanusClient, JanusError

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.returncode is not None:
                raise JanusStartError(f"janus exited with {self._proc.returncode if self._proc else '?'}; "
                                      f"see {self.log_path}:\n{self.log_tail()}")
            try:
                async with JanusClient(self.ws_url, timeout=2.0) as client:
                    info = await client.info()
                if "janus.plugin.videoroom" not in info.get("plugins", {}):
                    raise JanusStartError(f"janus at {self.ws_url} has no videoroom plugin")
                return
            except (OSError, JanusError, asyncio.TimeoutError) as exc:
                last = exc
                await asyncio.sleep(0.1)
        raise JanusStartError(f"janus did not answer on {self.ws_url} within {timeout:.0f} s ({last}); "
                              f"see {self.log_path}:\n{self.log_tail()}")

    async def _supervise(self) -> None:
        attempt = 0
        while not self._stopping:
            proc = self._proc
            if proc is None:
                return
            await proc.wait()
            if self._stopping:
                return
            log.error("janus pid %d exited with %s; restarting", proc.pid, proc.returncode)
            while not self._stopping:
                await asyncio.sleep(RESTART_BACKOFF[min(attempt, len(RESTART_BACKOFF) - 1)])
                attempt += 1
                try:
                    await self._spawn()
                    break
                except (JanusStartError, OSError) as exc:
                    log.error("janus restart failed: %s", exc)
            if self._stopping:
                return
            attempt = 0
            self.restarts += 1
            for callback in list(self._restart_callbacks):
                try:
                    await callback()
                except Exception:
                    log.exception("janus restart callback %r failed", callback)

    async def _terminate(self) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 5.0)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    def kill(self) -> None:
        """SIGKILL Janus (tests: the supervisor restarts it)."""
        if self._proc is not None and self._proc.returncode is None:
            self._proc.kill()

    async def stop(self) -> None:
        self._stopping = True
        watch, self._watch = self._watch, None
        await self._terminate()
        with contextlib.suppress(OSError):
            self.pid_path.unlink()
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def __aenter__(self) -> "JanusProcess":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()
