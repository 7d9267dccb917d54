"""Telephony bridge: places and ends phone calls through SIP by driving a baresip user agent process.

baresip (Debian `baresip-core`) runs as a child process with a config we write: no registration
(calls go straight to ``sip:<number>@<target>``, e.g. a PBX trunk or, in the tests, sipp), g711, a
test-tone source (a real console would use alsa), the sndfile module recording both directions of each
call to WAV, and ctrl_tcp for control: netstring-framed JSON commands (``dial``, ``hangup``) and events
(CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED). One phone call at a time.
"""
from __future__ import annotations

import asyncio
import json
import logging
import shutil
import socket
import time
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)

NUMBER_CHARS = set("0123456789*#+abcdefghijklmnopqrstuvwxyz._-")


class SipError(Exception):
    """The bridge cannot do it: ``reason`` is "unavailable", "busy" (a call is up) or "bad_number"."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def outcome(reason: str, established: bool) -> str:
    """A CALL_CLOSED reason → the call's final state: ended | busy | no_answer | failed."""
    text = reason.lower()
    if established:
        return "ended"
    if "486" in text or "busy" in text or "600" in text:
        return "busy"
    if any(s in text for s in ("408", "480", "487", "timeout", "timed out", "no answer", "terminated")):
        return "no_answer"
    return "failed"


def netstring(obj: dict) -> bytes:
    data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
    return str(len(data)).encode() + b":" + data + b","


def split_netstrings(buf: bytearray) -> list[dict]:
    """Take every complete netstring off the front of ``buf``; bad JSON is skipped."""
    out = []
    while True:
        colon = buf.find(b":")
        if colon < 0 or not buf[:colon].isdigit():
            if colon < 0 and len(buf) <= 20:
                return out  # a length prefix still coming
            del buf[:1]  # resync on garbage, one byte at a time
            continue
        n = int(buf[:colon])
        if len(buf) < colon + 1 + n + 1:
            return out
        payload = bytes(buf[colon + 1:colon + 1 + n])
        del buf[:colon + 1 + n + 1]
        try:
            out.append(json.loads(payload))
        except ValueError:
            log.warning("baresip: bad JSON from ctrl_tcp: %r", payload[:80])


class SipBridge:
    """A baresip child process and its control connection.

    ``on_state(state, detail, recordings)`` is called for the current call: "ringing", "active", then one
    final state ("ended", "busy", "no_answer", "failed") with the WAV files of the call (may be []).

    Attributes:
        target: "host:port" that numbers are dialled at.
        recordings_dir: where the WAV files go.
        ring_timeout: seconds without an answer before the call is cancelled (state no_answer).
        busy: a call is in progress.
    """

    def __init__(self, target: str, state_dir: Path, *, on_state: Callable[[str, str, list[str]], Any] | None = None,
                 ring_timeout: float = 30.0, binary: str = "baresip") -> None:
        self.target = target
        self.state_dir = Path(state_dir)
        self.recordings_dir = self.state_dir / "recordings"
        self.ring_timeout = ring_timeout
        self.on_state = on_state
        self._binary = binary
        self._proc: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._call: dict | None = None   # {"uri", "established", "started", "files_before", "timed_out"}
        self._responses: list[asyncio.Future] = []

    @property
    def busy(self) -> bool:
        return self._call is not None

    # -- life ------------------------------------------------------------------------------------
    async def start(self) -> None:
        exe = shutil.which(self._binary)
        if exe is None:
            raise SipError("unavailable", f"{self._binary} is not installed (Debian package baresip-core)")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.recordings_dir.mkdir(parents=True, exist_ok=True)
        sip_port, ctrl_port = free_port(), free_port()
        (self.state_dir / "config").write_text("\n".join([
            "poll_method epoll", f"sip_listen 127.0.0.1:{sip_port}",
            "audio_source ausine,440", "ausrc_srate 48000", "ausrc_channels 2",
            "auplay_srate 48000", "auplay_channels 2",
            "module_path /usr/lib/baresip/modules",
            "module g711.so", "module ausine.so", "module sndfile.so",
            "module_app account.so", "module_app menu.so", "module_app ctrl_tcp.so",
            f"ctrl_tcp_listen 127.0.0.1:{ctrl_port}", f"snd_path {self.recordings_dir}", ""]))
        (self.state_dir / "accounts").write_text("<sip:dispatch@127.0.0.1>;regint=0\n")
        (self.state_dir / "contacts").write_text("")
        logf = open(self.state_dir / "baresip.log", "ab")
        try:
            self._proc = await asyncio.create_subprocess_exec(
                exe, "-f", str(self.state_dir), stdin=asyncio.subprocess.DEVNULL, stdout=logf, stderr=logf)
        finally:
            logf.close()
        deadline = time.monotonic() + 10
        while True:
            try:
                reader, self._writer = await asyncio.open_connection("127.0.0.1", ctrl_port)
                break
            except OSError:
                if self._proc.returncode is not None or time.monotonic() > deadline:
                    await self.stop()
                    raise SipError("unavailable", f"baresip did not start (see {self.state_dir / 'baresip.log'})")
                await asyncio.sleep(0.05)
        self._reader_task = asyncio.create_task(self._read(reader), name="baresip-ctrl")
        log.info("SIP bridge: baresip on 127.0.0.1:%d, dialling at %s", sip_port, self.target)

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._reader_task is not None:
            self._reader_task.cancel()
            await asyncio.gather(self._reader_task, return_exceptions=True)
            self._reader_task = None
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()

    # -- commands --------------------------------------------------------------------------------
    async def _command(self, command: str, params: str = "") -> dict:
        if self._writer is None or self._proc is None or self._proc.returncode is not None:
            raise SipError("unavailable", "the SIP user agent is not running")
        fut = asyncio.get_running_loop().create_future()
        self._responses.append(fut)
        self._writer.write(netstring({"command": command, "params": params, "token": command}))
        await self._writer.drain()
        try:
            return await asyncio.wait_for(fut, 5)
        except asyncio.TimeoutError:
            raise SipError("unavailable", f"baresip did not answer {command!r}") from None
        finally:
            if fut in self._responses:
                self._responses.remove(fut)

    async def dial(self, number: str) -> str:
        """Start a call to ``number`` at the target; returns the SIP URI. State changes follow via on_state."""
        if not isinstance(number, str) or not number or len(number) > 64 \
                or not set(number.lower()) <= NUMBER_CHARS:
            raise SipError("bad_number", f"{str(number)[:64]!r} is not a phone number or SIP user")
        if self._call is not None:
            raise SipError("busy", f"a phone call to {self._call['uri']} is in progress")
        uri = f"sip:{number}@{self.target}"
        self._call = {"uri": uri, "established": False, "started": time.time(), "timed_out": False,
                      "files_before": set(self.recordings_dir.glob("*.wav"))}
        reply = await self._command("dial", uri)
        if not reply.get("ok", False):
            self._call = None
            raise SipError("unavailable", f"baresip refused to dial {uri}: {reply.get('data', '')}")
        self._timer = asyncio.get_running_loop().call_later(self.ring_timeout, self._ring_timeout)
        return uri

    async def hangup(self) -> None:
        if self._call is None:
            return
        await self._command("hangup")

    def _ring_timeout(self) -> None:
        if self._call is not None and not self._call["established"]:
            self._call["timed_out"] = True
            asyncio.ensure_future(self._safe_hangup())

    async def _safe_hangup(self) -> None:
        try:
            await self.hangup()
        except SipError as exc:
            log.warning("SIP bridge: hangup after ring timeout failed: %s", exc)

    # -- events ----------------------------------------------------------------------------------
    async def _read(self, reader: asyncio.StreamReader) -> None:
        buf = bytearray()
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                log.error("SIP bridge: baresip closed its control connection")
                self._finish("failed", "the SIP user agent stopped")
                return
            buf += chunk
            for msg in split_netstrings(buf):
                if msg.get("response"):
                    while self._responses:
                        fut = self._responses.pop(0)
                        if not fut.done():
                            fut.set_result(msg)
                            break
                elif msg.get("event"):
                    self._event(msg)

    def _event(self, msg: dict) -> None:
        kind, param = msg.get("type", ""), str(msg.get("param", ""))
        if self._call is None:
            return
        if kind == "CALL_RINGING":
            self._notify("ringing", param, [])
        elif kind == "CALL_ESTABLISHED":
            self._call["established"] = True
            if self._timer is not None:
                self._timer.cancel()
            self._notify("active", param, [])
        elif kind == "CALL_CLOSED":
            if self._call["timed_out"]:
                param = f"no answer within {self.ring_timeout:g} s"
            self._finish(outcome(param, self._call["established"]), param)

    def _finish(self, state: str, detail: str) -> None:
        call, self._call = self._call, None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if call is None:
            return
        files = sorted(str(p) for p in set(self.recordings_dir.glob("*.wav")) - call["files_before"]
                       if p.stat().st_size > 44) if call["established"] else []
        self._notify(state, detail, files)

    def _notify(self, state: str, detail: str, files: list[str]) -> None:
        if self.on_state is None:
            return
        try:
            result = self.on_state(state, detail, files)
            if asyncio.iscoroutine(result):
                asyncio.ensure_future(result)
        except Exception:
            log.exception("SIP bridge: on_state failed")
