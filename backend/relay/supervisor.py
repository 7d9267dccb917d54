"""The backend's side of the camera relay: adopt or spawn it, push sources and tokens, publish health, audit views.

Lifetime (decided here): the relay is its own process in its own session, so
- SIGKILL (or a crash) of the backend leaves it playing; the next backend adopts it (its control secret in
  ``STATE_DIR/relay.json``, mode 0600, still answers) and the wall never stops;
- ``await stop()`` (SIGTERM/Ctrl-C of the backend, so ``make run``'s Ctrl-C) shuts the relay down too, so no
  orphans are left — unless ``keep_relay=True`` or the environment has ``CC_RELAY_KEEP=1`` (an operator
  restarting only the backend, e.g. an upgrade, while the wall keeps playing);
- a relay that dies is spawned again (and configured) within a couple of seconds.

Tokens: the relay accepts only unexpired session tokens (``core.token_hashes()``: an enrolment token gets 401)
and the backend's own service tokens (``service_token(name)``: minted at random in memory at each start, never
stored or logged, pushed as user ``svc:NAME``; the conference feed's ffmpeg pulls with "conference-feed").
They are pushed every SYNC_S, so an expired or ended session is refused from the next push on, and at once when
the relay sees a token it does not know (a session opened a moment ago: ``_token_loop`` long-polls
``/control/tokens/wait``), so a fresh wall's first play gets no 401.
Views: "start" records become ``camera.view.start`` audit rows (camera, stream, start, peer, transport), "end"
records ``camera.view`` rows (with duration and peer), "refused" ones (a direct camera URL asked for by a role
that may not see camera credentials) ``camera.view.start`` rows with ok false.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from backend.permissions import DIRECT_RTSP_ROLES
from backend.relay.control import ControlError, RelayControl, read_state

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
HEALTH_FIELDS = ("state", "bitrate_kbps", "fps", "keyframe_age", "viewers", "reconnects", "codec", "error")
CAMERA_OPTIONS = ("multicast", "sub_multicast", "direct_rtsp")  # public camera fields the relay needs
TOKEN_POLL_S = 20.0
END_FIELDS = ("camera", "stream", "start", "end", "bytes", "reason", "transport", "peer")
START_FIELDS = ("camera", "stream", "start", "peer", "transport", "reason")
NUMBERS_EVERY_S = 5.0
SERVICE_PREFIX = "svc:"  # the relay user name of a service token; audited views show it with role "service"


class RelaySupervisor:
    """Keeps one relay process running and in step with the Core.

    Attributes:
        base_url: ``http://HOST:PORT``, the prefix of every play URL.
        pid: the relay's process id (adopted or spawned), or None.
        adopted: True when start() found a running relay and took it over.
    """

    POLL_S = 0.5  # between attempts after a failure (and the health poll of a relay without the long poll)
    SYNC_S = 2.0
    HEALTH_WAIT_S = 2.0  # the health long poll's timeout: how often numbers (rates, keyframe age) come at most
    MIN_GAP_S = 0.05  # between health answers: a camera flapping cannot make the backend spin

    def __init__(self, core, host: str = "127.0.0.1", port: int = 8780, state_dir: str | Path = ".", *,
                 settings: dict | None = None, python: str = sys.executable, keep_relay: bool | None = None):
        self.core, self.host, self.port = core, host, port
        self.state_dir = Path(state_dir)
        self.settings = dict(settings or {})
        self._python = python
        self._keep = keep_relay if keep_relay is not None else os.environ.get("CC_RELAY_KEEP") == "1"
        self.pid: int | None = None
        self.adopted = False
        self._ctl: RelayControl | None = None
        self._proc: subprocess.Popen | None = None
        self._task: asyncio.Task | None = None
        self._pushed: dict | None = None
        self._instance = ""
        self._published: dict[str, tuple[float, dict]] = {}
        self._views_after = 0
        self._roles: dict[str, str] = {}
        self._token_task: asyncio.Task | None = None
        self._stopping = False
        self.token_pushes = 0  # pushes asked for by the relay (an unknown token)
        self._services: dict[str, str] = {}  # sha256 of a service token -> "svc:NAME" (the tokens: nowhere)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def service_token(self, name: str) -> str:
        """A new relay token for the backend's own pulls as user ``svc:NAME`` (e.g. "conference-feed"): random,
        held only by the caller and this process (its hash is pushed with the sessions); it stops working when
        the backend restarts. Each call mints another one (the caller keeps it)."""
        token = secrets.token_urlsafe(32)
        self._services[hashlib.sha256(token.encode("utf-8")).hexdigest()] = SERVICE_PREFIX + name
        return token

    def _token_hashes(self) -> dict[str, str]:
        """What the relay accepts: unexpired sessions of enabled users, and this process's service tokens."""
        return {**self.core.token_hashes(), **self._services}

    # ---- life --------------------------------------------------------------------------------
    async def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            if not await self._adopt():
                await self._spawn()
            await self._sync(force=True)
        except (RuntimeError, OSError, ControlError) as exc:  # the backend runs on; the monitor retries
            log.error("relay: %s", exc)
        self._stopping = False
        self._task = asyncio.create_task(self._monitor(), name="relay-supervisor")
        self._token_task = asyncio.create_task(self._token_loop(), name="relay-tokens")

    async def stop(self, keep_relay: bool | None = None) -> None:
        """Stop supervising; shut the relay down unless it is to be kept (see the module docstring)."""
        # Python 3.11's wait_for can lose a cancellation that lands as its inner call completes (gh-86296):
        # the loops also stop on this flag, and the wait is bounded so a stop never hangs.
        self._stopping = True
        tasks = [t for t in (self._task, self._token_task) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=TOKEN_POLL_S + 10)
            for task in pending:
                log.warning("relay: %s did not stop", task.get_name())
        self._task = self._token_task = None
        keep = self._keep if keep_relay is None else keep_relay
        try:
            await self._audit_views()
        except Exception:
            log.exception("relay: last view records not audited")
        if keep or self._ctl is None:
            return
        try:
            await self._ctl.call("POST", "/control/shutdown")
        except ControlError:
            pass
        await self._wait_gone(5.0)

    async def _wait_gone(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.pid is not None and _alive(self.pid, self._proc) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.pid is not None and _alive(self.pid, self._proc):
            log.warning("relay %d did not stop: killing it", self.pid)
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        if self._proc is not None:
            await asyncio.to_thread(self._proc.wait)

    async def _adopt(self) -> bool:
        state = read_state(self.state_dir)
        if not state or state.get("port") != self.port:
            return False
        ctl = RelayControl(self.host, self.port, state["secret"])
        answer = await ctl.ping()
        if not answer or answer.get("instance") != state.get("instance"):
            return False
        self._ctl, self.pid, self.adopted, self._proc = ctl, int(state.get("pid") or 0) or None, True, None
        self._instance, self._pushed = answer["instance"], None
        log.info("relay: adopted the running relay (pid %s) on %s", self.pid, self.base_url)
        return True

    async def _spawn(self) -> None:
        log_path = self.state_dir / "relay.log"
        cmd = [self._python, "-m", "backend.relay", "--host", self.host, "--port", str(self.port),
               "--state-dir", str(self.state_dir)]
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            (self.state_dir / "relay.json").unlink()
        except OSError:
            pass
        with open(log_path, "ab") as out:  # not a pipe: the relay outlives this process
            self._proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=out, start_new_session=True)
        self.pid, self.adopted = self._proc.pid, False
        deadline = time.monotonic() + 20.0
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"relay exited with {self._proc.returncode}; see {log_path}")
            state = read_state(self.state_dir)
            if state and state.get("pid") == self.pid:
                self._ctl = RelayControl(self.host, self.port, state["secret"])
                answer = await self._ctl.ping()
                if answer:
                    self._instance, self._pushed = answer["instance"], None
                    log.info("relay: started (pid %d) on %s", self.pid, self.base_url)
                    return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"relay did not start within 20 s; see {log_path}")

    # ---- the loop ----------------------------------------------------------------------------
    async def _monitor(self) -> None:
        """Long-poll the relay's health (``/control/health/wait``): a state change is published as soon as the
        relay sees it, numbers every HEALTH_WAIT_S at most; views are audited when there are new ones;
        sources and tokens are pushed every SYNC_S, and at once to a relay of another instance (the answer
        names it: no ping needed). A relay from before the long poll (adopted after an upgrade) answers 404
        and is polled every POLL_S instead."""
        failures, last_sync, version, long_poll = 0, 0.0, -1, True
        while not self._stopping:
            await asyncio.sleep(self.MIN_GAP_S if long_poll and not failures else self.POLL_S)
            views = None
            try:
                if self._ctl is None:
                    raise ControlError("no relay")
                instance = None
                if long_poll:
                    answer = await self._ctl.wait_health(version, self.HEALTH_WAIT_S)
                    version, health, views = answer["version"], answer["cameras"], answer["views"]
                    instance = answer.get("instance")
                else:
                    health = await self._ctl.call("GET", "/control/health")
                failures = 0
            except ControlError as exc:
                if exc.status == 404 and long_poll:
                    log.info("relay: no /control/health/wait (an older relay): polling its health")
                    long_poll = False
                    continue
                failures += 1
                version = -1
                if failures >= 3:
                    log.warning("relay not answering (%s): starting it again", exc)
                    await self._restart()
                    failures, long_poll = 0, True
                continue
            try:
                await self._publish(health)
                if time.monotonic() - last_sync >= self.SYNC_S or (instance and instance != self._instance):
                    last_sync = time.monotonic()  # another instance: configured at once (a new relay has a
                    # new secret, so the failure → restart/adopt path mostly meets it first)
                    await self._sync(instance=instance)
                    if views is None:
                        await self._audit_views()
                if views is not None and views != self._views_after:
                    await self._audit_views()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relay supervision step failed")

    async def _restart(self) -> None:
        await asyncio.sleep(1.0)  # no busy loop when the port is held by something else
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        if self._proc is not None:
            await asyncio.to_thread(self._proc.wait)
        try:
            if not await self._adopt():
                await self._spawn()
            await self._sync(force=True)
        except (RuntimeError, OSError, ControlError) as exc:
            log.error("relay: %s", exc)

    async def _sync(self, force: bool = False, instance: str | None = None) -> None:
        """Push camera sources and token hashes when they changed (or to a new relay). ``instance``: the
        relay's, from a health answer a moment ago (else a ping asks)."""
        if not isinstance(instance, str) or not instance:
            answer = await self._ctl.ping()
            instance = answer.get("instance") if answer else None
        if instance and instance != self._instance:
            self._instance, force = instance, True
            self._views_after = 0  # a new relay numbers its views from 1 again
        config = {"cameras": [{"id": s["id"], "url": s.get("url") or "", "sub_url": s.get("sub_url") or "",
                               **self._camera_options(s["id"])}
                              for s in self.core.camera_sources() if s.get("url")],
                  "tokens": self._token_hashes(), "direct_users": self._direct_users(),
                  "settings": self.settings}
        if force or config != self._pushed:
            await self._ctl.call("POST", "/control/config", config)
            self._pushed = config
            self._roles.clear()

    async def sync_now(self) -> None:
        """Push sources and tokens at once, not at the next SYNC_S tick: a source that a viewer is about to ask
        for (a conference participant just forwarded, backend/conference/warm.py)."""
        if self._ctl is not None and not self._stopping:
            try:
                await self._sync()
            except ControlError as exc:
                log.info("relay: sync: %s", exc)

    def _camera_options(self, cam_id: str) -> dict:
        """The camera's relay outputs from its record (validated by backend/cameras.py)."""
        record = self.core.get("cameras", cam_id) or {}
        return {k: record.get(k) for k in CAMERA_OPTIONS if record.get(k) not in (None, "")}

    async def _token_loop(self) -> None:
        """Push the token hashes as soon as the relay sees a token it does not know (a new session)."""
        while not self._stopping:
            ctl = self._ctl
            if ctl is None:
                await asyncio.sleep(self.POLL_S)
                continue
            try:
                poll = RelayControl(ctl.host, ctl.port, ctl.secret, timeout=TOKEN_POLL_S + 5)
                answer = await poll.call("GET", f"/control/tokens/wait?timeout={TOKEN_POLL_S:g}")
                if isinstance(answer, dict) and answer.get("wanted"):
                    tokens, users = self._token_hashes(), self._direct_users()
                    await ctl.call("POST", "/control/config", {"tokens": tokens, "direct_users": users,
                                                               "answers": answer.get("serial")})
                    self.token_pushes += 1
                    if self._pushed is not None:
                        self._pushed = {**self._pushed, "tokens": tokens, "direct_users": users}
                    await asyncio.sleep(0.1)  # a flood of bad tokens costs at most ~10 reads a second
            except asyncio.CancelledError:
                raise
            except ControlError:
                await asyncio.sleep(self.POLL_S)
            except Exception:
                log.exception("relay token push failed")
                await asyncio.sleep(self.POLL_S)

    def _direct_users(self) -> list[str]:
        """Enabled users whose role may see camera credentials (backend/permissions.py DIRECT_RTSP_ROLES)."""
        roles = sorted(DIRECT_RTSP_ROLES)
        if not roles:
            return []
        try:
            conn = sqlite3.connect(f"file:{self.core.db_path}?mode=ro", uri=True, timeout=5)
            try:
                rows = conn.execute(f"SELECT name FROM users WHERE NOT disabled AND role IN "
                                    f"({','.join('?' * len(roles))}) ORDER BY name", roles).fetchall()
            finally:
                conn.close()
        except (sqlite3.Error, AttributeError):
            return []
        return [name for (name,) in rows]

    async def _publish(self, health: list) -> None:
        """camera health → the cameras records: at once on a state change, numbers every ~5 s."""
        if not isinstance(health, list):
            return
        now = time.monotonic()
        reported: set[str] = set()
        for item in health:
            cam_id = item.get("id")
            if not isinstance(cam_id, str):
                continue
            reported.add(cam_id)
            fields = {k: item.get(k) for k in HEALTH_FIELDS}
            sub = item.get("sub") if isinstance(item.get("sub"), dict) else {}
            if fields["state"] == "idle" and sub and sub.get("state") != "idle":
                fields = {k: sub.get(k) for k in HEALTH_FIELDS}  # only the sub stream is watched
            # the groups a wall PC joins (configured or from the relay's range): play URLs, no secret
            fields["multicast_url"] = str(item.get("group") or "")
            fields["sub_multicast_url"] = str(sub.get("group") or "")
            last_t, last = self._published.get(cam_id, (0.0, {}))
            if fields == last:
                continue
            if fields.get("state") == last.get("state") and fields.get("error") == last.get("error") \
                    and now - last_t < NUMBERS_EVERY_S:
                continue
            # only a camera the store has, as last published: one deleted meanwhile (its delete maybe not
            # committed yet) is not brought back
            if await self.core.update("cameras", cam_id, fields, actor="relay", create=False) is not None:
                self._published[cam_id] = (now, fields)
            else:
                self._published.pop(cam_id, None)
        for gone in self._published.keys() - reported:  # the relay reports every camera it has
            del self._published[gone]

    async def _audit_views(self) -> None:
        if self._ctl is None:
            return
        views = await self._ctl.views(self._views_after)
        for view in views:
            user = str(view.get("user", ""))
            event = view.get("event", "end")
            if event in ("start", "refused"):  # who, which camera and stream, when, from where
                await self.core.audit(user, self._role(user), "camera.view.start",
                                      {k: view.get(k) for k in START_FIELDS}, event == "start",
                                      "" if event == "start" else str(view.get("reason") or "refused"))
            else:  # the end, with its duration
                args = {k: view.get(k) for k in END_FIELDS}
                if isinstance(args["start"], (int, float)) and isinstance(args["end"], (int, float)):
                    args["duration"] = round(args["end"] - args["start"], 3)
                await self.core.audit(user, self._role(user), "camera.view", args, True)
            self._views_after = max(self._views_after, int(view.get("seq", 0)))
        if views:
            await self._ctl.ack_views(self._views_after)

    def _role(self, user: str) -> str:
        if user.startswith(SERVICE_PREFIX):
            return "service"
        if user not in self._roles:
            role = ""
            try:
                conn = sqlite3.connect(f"file:{self.core.db_path}?mode=ro", uri=True, timeout=5)
                try:
                    row = conn.execute("SELECT role FROM users WHERE name = ?", (user,)).fetchone()
                finally:
                    conn.close()
                role = row[0] if row else ""
            except (sqlite3.Error, AttributeError):
                pass
            self._roles[user] = role
        return self._roles[user]


def _alive(pid: int, proc: subprocess.Popen | None) -> bool:
    if proc is not None:
        return proc.poll() is None
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
