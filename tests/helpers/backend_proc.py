"""Start the REAL backend (``python -m backend``) as a subprocess on a free loopback port, for tests.

    proc = start_backend(tmp_path)            # --no-demo --no-relay by default
    token = proc.token("duty_officer")        # creates a user through the CLI (its enrolment token)
    play = proc.session_token("wall_operator")  # a hub session's token: what the relay accepts
    ... connect to proc.url ...
    proc.kill(); proc.restart(); proc.stop()
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"hub listening on wss?://([\d.]+):(\d+)")
START_TIMEOUT = 60.0


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (for the relay; the hub itself binds port 0)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def read_audit_rows(db) -> list[dict]:
    """The audit log of a backend's SQLite file, oldest first (args decoded, ok as bool)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute("SELECT * FROM audit ORDER BY seq")]
    finally:
        conn.close()
    for row in rows:
        row["args"] = json.loads(row["args"])
        row["ok"] = bool(row["ok"])
    return rows


class BackendProc:
    """A running backend process.

    Attributes:
        url: ws://127.0.0.1:PORT of the hub.  port: the hub port (kept across restarts).
        db: the SQLite file.  log: the file receiving the backend's stderr.  relay_port: or None.
    """

    def __init__(self, workdir: Path, *, demo: bool, relay: bool, cameras: str | os.PathLike | None,
                 extra_args: Sequence[str]):
        self.workdir = Path(workdir)
        self.db = self.workdir / "cc.db"
        self.log = self.workdir / "backend.log"
        self.port = 0
        self.relay_port = free_port() if relay else None
        args = ["--db", str(self.db), "--host", "127.0.0.1"]
        args += [] if demo else ["--no-demo"]
        args += ["--relay-port", str(self.relay_port)] if relay else ["--no-relay"]
        if cameras is not None:
            args += ["--cameras", str(cameras)]
        self._args = args + list(extra_args)
        self._tokens: dict[str, str] = {}
        self.users: dict[str, str] = {}  # role -> name of the user ``token(role)`` made
        self._users = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self, timeout: float = START_TIMEOUT) -> "BackendProc":
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("backend already running")
        offset = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "backend", *self._args, "--port", str(self.port)],
                cwd=ROOT, env=self._env(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log, "rb") as log:
                log.seek(offset)
                match = READY.search(log.read().decode("utf-8", "replace"))
            if match:
                self.port = int(match.group(2))
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"backend exited with {self.proc.returncode}:\n{self.log_tail()}")
            time.sleep(0.05)
        self.kill()
        raise TimeoutError(f"backend not ready within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return ""

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``python -m backend --db DB ARGS…`` and return the completed process (text)."""
        return subprocess.run([sys.executable, "-m", "backend", "--db", str(self.db), *args], cwd=ROOT,
                              env=self._env(), capture_output=True, text=True, timeout=60, check=check)

    def add_user(self, name: str, role: str) -> str:
        return self.cli("user", "add", name, role).stdout.strip()

    def token(self, role: str) -> str:
        """A token of a user with this role (one user per role, created on first use)."""
        if role not in self._tokens:
            self._users += 1
            self.users[role] = f"{role}-{self._users}"
            self._tokens[role] = self.add_user(self.users[role], role)
        return self._tokens[role]

    def session_token(self, role: str, timeout: float = 30.0) -> str:
        """A new session token of the ``token(role)`` user: authenticate over the hub's websocket with the
        enrolment token and return auth_ok's ``session`` (the only kind of token the camera relay accepts;
        it expires ``--session-ttl`` after this, as nothing refreshes it)."""
        from websockets.sync.client import connect

        from backend_client import protocol

        with connect(self.url, open_timeout=timeout, max_size=None) as ws:
            ws.send(protocol.encode(protocol.auth(self.token(role), None, "pytest-session")))
            answer = json.loads(ws.recv(timeout=timeout))
        if answer.get("type") != "auth_ok" or not isinstance(answer.get("session"), str):
            raise RuntimeError(f"no session for {role}: {answer}")
        return answer["session"]

    def audit_rows(self) -> list[dict]:
        return read_audit_rows(self.db)

    def audit_last(self) -> dict | None:
        rows = self.audit_rows()
        return rows[-1] if rows else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, like a power cut of the process."""
        if self.running:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM and wait (SIGKILL after ``timeout``); returns the exit code."""
        if self.proc is None:
            return None
        if self.running:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def restart(self, timeout: float = START_TIMEOUT) -> "BackendProc":
        """Stop if running, then start again on the same port and database."""
        if self.running:
            self.stop()
        deadline = time.monotonic() + timeout
        while True:  # the port may be briefly unavailable right after a kill
            try:
                return self.start(timeout=max(5.0, deadline - time.monotonic()))
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def __enter__(self) -> "BackendProc":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_backend(tmp_path: str | os.PathLike, *, demo: bool = False, relay: bool = False,
                  cameras: str | os.PathLike | None = None, extra_args: Sequence[str] = ()) -> BackendProc:
    """Start a real backend with its database in ``tmp_path``; wait until the hub listens."""
    return BackendProc(Path(tmp_path), demo=demo, relay=relay, cameras=cameras, extra_args=extra_args).start()
