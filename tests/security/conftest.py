"""Security test helpers: a real backend with TLS material, users with password + TOTP, raw clients."""
from __future__ import annotations

import asyncio
import ssl
import time
from pathlib import Path

import pyotp
import pytest
from websockets.asyncio.client import connect

from backend_client import protocol
from backend_client.client import client_ssl_context
from tests.helpers.backend_proc import BackendProc, start_backend

PASSWORD = "correct horse 7"
TIMEOUT = 30.0


def tls_init(workdir: Path) -> Path:
    """``cc-backend --db workdir/cc.db tls init``; returns the CA file."""
    proc = BackendProc(workdir, demo=False, relay=False, cameras=None, extra_args=())
    out = proc.cli("tls", "init")
    return Path(out.stdout.strip())


def start_tls_backend(workdir: Path, host: str = "127.0.0.2", extra=()) -> tuple[BackendProc, Path]:
    ca = tls_init(workdir)
    return start_backend(workdir, extra_args=["--host", host, *extra]), ca


def wss(proc: BackendProc, host: str = "127.0.0.2") -> str:
    return f"wss://{host}:{proc.port}"


def enrol(proc: BackendProc, name: str, role: str) -> pyotp.TOTP:
    """A user with the test password and a TOTP secret; returns its TOTP."""
    proc.add_user(name, role)
    set_password(proc, name)
    uri = proc.cli("user", "totp", name).stdout.strip()
    assert uri.startswith("otpauth://totp/")
    return pyotp.parse_uri(uri)


def set_password(proc: BackendProc, name: str, password: str = PASSWORD) -> None:
    import subprocess
    import sys

    from tests.helpers.backend_proc import ROOT
    out = subprocess.run([sys.executable, "-m", "backend", "--db", str(proc.db), "user", "passwd", name],
                         input=password + "\n", cwd=ROOT, env=proc._env(), capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr


def fresh_code(totp: pyotp.TOTP, used: set[int]) -> str:
    """A code of a step newer than any used before. The hub accepts the previous, current and next
    30 s step once each, in increasing order, so three logins per user fit in one step without waiting."""
    while True:
        step = int(time.time() // totp.interval)
        for candidate in (step - 1, step, step + 1):
            if candidate > max(used, default=0):
                used.add(candidate)
                return totp.at(candidate * totp.interval)
        time.sleep(0.5)


def peek_code(totp: pyotp.TOTP, used: set[int]) -> str:
    """The code fresh_code would give, without marking it used (for attempts the hub refuses earlier)."""
    return fresh_code(totp, set(used))


async def first_answer(url: str, first: dict, ctx: ssl.SSLContext | None = None, **kw) -> tuple[dict, object]:
    """Connect, send one frame, return (the first answer, the open socket)."""
    ws = await connect(url, ssl=ctx, open_timeout=TIMEOUT, **kw)
    await ws.send(protocol.encode(first))
    msg = protocol.decode_server(await asyncio.wait_for(ws.recv(), TIMEOUT))
    return msg, ws


async def login(url: str, user: str, code: str, ctx=None, password: str = PASSWORD, **kw):
    return await first_answer(url, protocol.login(user, password, code, None, "test"), ctx, **kw)


async def closed(ws, timeout: float = TIMEOUT) -> tuple[int | None, str, list[dict]]:
    """Read until the socket closes; (close code, reason, frames seen)."""
    frames = []
    try:
        async with asyncio.timeout(timeout):
            async for raw in ws:
                frames.append(protocol.decode_server(raw))
    except TimeoutError:
        raise AssertionError(f"socket still open after {timeout} s; frames: {frames[-3:]}") from None
    except Exception:
        pass
    return ws.close_code, ws.close_reason or "", frames


@pytest.fixture
def backend(tmp_path):
    proc = start_backend(tmp_path)
    try:
        yield proc
    finally:
        proc.stop()
