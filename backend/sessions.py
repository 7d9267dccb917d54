"""Who may connect: password + TOTP logins with lockout, expiring session tokens, the long-lived token policy.

Rules (backend/PROTOCOL.md, "Authentication"):
- ``login`` (user, password, TOTP code) gives a session token that expires ``session_ttl`` (30 min) after
  its last use; any frame on a connection using it refreshes it. TOTP is required for every role that
  may command (has at least one action) and for every user who has enrolled one; a code is accepted once.
- ``max_failures`` (5) failed logins within ``failure_window`` (5 min) lock the name for ``lockout``
  (15 min): even the right password fails until then. Attempts while locked are refused but not counted.
- An enrolment token (``cc-backend user add``; revocable, only its hash stored) is exchanged at auth for a
  session token with the same sliding expiry: every credential a socket runs on expires. An enrolment
  token of a commanding role is accepted only from a loopback peer (a kiosk or the demo on this
  machine), unless ``allow_remote_tokens``; watch-only roles (wall kiosks, bridges) may use one from anywhere.
- Unlocking an idle console needs the password, and a fresh TOTP code where a login needs one
  (``check_unlock``); a user without a password cannot unlock (the app shows the login dialog instead).
- TOTP secrets are stored sealed (backend/secrets.py); plaintext rows are sealed at ``start``, which
  raises SecretError if the key does not open them.
All database work runs on one worker thread with its own connection; scrypt runs on the default pool.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from backend import auth, store
from backend.auth import User
from backend.secrets import Sealer, SecretError

log = logging.getLogger(__name__)
_UNREADABLE = "\0unreadable"  # a sealed TOTP secret this key does not open
LOOPBACK_PEERS = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """A hash to check against for unknown names, so they take as long as known ones."""
    if not _DUMMY:
        _DUMMY.append(auth.hash_password("not a password"))
    return _DUMMY[0]


@dataclass
class Policy:
    session_ttl: float = 1800.0
    max_failures: int = 5
    failure_window: float = 300.0
    lockout: float = 900.0
    allow_remote_tokens: bool = False


class LoginRefused(Exception):
    """``code``: auth_failed | locked | totp_required | session_expired | token_not_allowed | secret_unreadable."""

    def __init__(self, code: str, message: str, user: str = "", role: str = ""):
        super().__init__(message)
        self.code, self.message, self.user, self.role = code, message, user, role


def locked_until(failures: list[float], now: float, policy: Policy) -> float | None:
    """When the lock that covers ``now`` ends, or None. A lock starts at the failure that makes
    ``max_failures`` within ``failure_window`` and lasts ``lockout``."""
    ts = sorted(failures)
    k = policy.max_failures
    for i in range(len(ts) - k + 1):
        start = ts[i + k - 1]
        if start - ts[i] <= policy.failure_window and start <= now < start + policy.lockout:
            return start + policy.lockout
    return None


@dataclass
class _Session:
    name: str
    expires: float
    persisted: float


class Sessions:
    """Logins, session tokens and the token policy of one hub.

    Attributes:
        policy: the Policy. clock: a ``time.time``-like callable (tests inject their own).
        users: name -> (role, disabled, epoch) as last read by ``poll_users``.
    """

    def __init__(self, db_path: str | Path, policy: Policy | None = None, *,
                 commanding: Callable[[str], bool] = lambda role: True, clock: Callable[[], float] = time.time):
        self.db_path, self.policy, self.clock, self._commanding = Path(db_path), policy or Policy(), clock, commanding
        self._db = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="auth-db")
        self._conn: sqlite3.Connection | None = None
        self._sealer: Sealer | None = None
        self._sessions: dict[str, _Session] = {}  # token sha256 -> session
        self.users: dict[str, tuple[str, bool, int]] = {}

    # -- life ---------------------------------------------------------------------------------------
    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    async def start(self) -> "Sessions":
        def open_() -> list[tuple]:
            self._conn = store.connect(self.db_path)
            auth.ensure_schema(self._conn)
            self._sealer = Sealer.for_state_dir(self.db_path.resolve().parent)
            sealed = auth.seal_totp_secrets(self._conn, self._sealer)  # SecretError: the wrong key
            if sealed:
                log.info("sealed the one-time-code secrets of %d user(s) stored in the clear", sealed)
            return self._conn.execute("SELECT token_sha256, name, expires FROM auth_sessions WHERE expires > ?",
                                      (self.clock(),)).fetchall()
        for digest, name, expires in await self._run(open_):
            self._sessions[digest] = _Session(name, expires, expires)
        await self.poll_users()
        return self

    async def close(self) -> None:
        def close_() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        await self._run(close_)
        self._db.shutdown(wait=True)

    # -- logins -------------------------------------------------------------------------------------
    async def login(self, name: str, password: str, code: str) -> tuple[User, str, float]:
        """(user, session token, expiry) or LoginRefused."""
        now = self.clock()
        failures, row = await self._run(self._read_login, name, now)
        until = locked_until(failures, now, self.policy)
        if until is not None:
            raise LoginRefused("locked", f"too many failed logins: locked for {int(until - now) // 60 + 1} min "
                                         "(an admin can lift it: cc-backend user unlock NAME)", name)
        role, disabled, pw_hash, secret, last_step = row or ("", True, None, None, 0)
        ok = await asyncio.to_thread(lambda: auth.check_password(password, pw_hash or _dummy_hash()))
        if not ok or row is None or disabled or not pw_hash:
            await self._fail(name, now, "password")
            raise LoginRefused("auth_failed", "wrong user name, password or code", name, role)
        if secret == _UNREADABLE:
            raise LoginRefused("secret_unreadable", "this user's one-time-code secret does not open with the hub's "
                                                    "secrets.key: an admin must restore the key or re-enrol "
                                                    "(cc-backend user totp NAME)", name, role)
        if secret is None and self._commanding(role):
            raise LoginRefused("totp_required", f"role {role} needs a one-time code: enrol with "
                                                "cc-backend user totp NAME", name, role)
        if secret is not None:
            step = auth.check_totp(secret, code, last_step, now)
            if step is None or not await self._run(self._use_step, name, step):
                await self._fail(name, now, "code")
                raise LoginRefused("auth_failed", "wrong user name, password or code", name, role)
        token = auth.new_token()
        digest = auth.hash_token(token)
        expires = now + self.policy.session_ttl
        await self._run(self._insert_session, digest, name, now, expires)
        self._sessions[digest] = _Session(name, expires, now)
        return User(name, role), token, expires

    async def _new_session(self, name: str) -> tuple[str, str]:
        """(token, digest) of a new session of ``name`` (an enrolment token exchanged at auth)."""
        now = self.clock()
        token = auth.new_token()
        digest = auth.hash_token(token)
        expires = now + self.policy.session_ttl
        try:
            await self._run(self._insert_session, digest, name, now, expires, False)
        except sqlite3.Error as exc:  # the store is failing (disk full …): the session lives in memory only
            log.warning("session of %s not saved (%s): it will not survive a restart", name[:64], exc)
        self._sessions[digest] = _Session(name, expires, now)
        return token, digest

    def _read_login(self, name: str, now: float):
        """(recent failure times, (role, disabled, pw_hash, TOTP secret opened, totp_last) or None)."""
        conn = self._require()
        horizon = now - self.policy.failure_window - self.policy.lockout
        failures = [t for (t,) in conn.execute("SELECT ts FROM auth_failures WHERE name = ? AND ts > ?",
                                               (name, horizon))]
        row = conn.execute("SELECT role, disabled, pw_hash, totp_secret, totp_last FROM users WHERE name = ?",
                           (name,)).fetchone()
        if row is not None and row[3] is not None:
            try:
                secret = auth.open_totp(self._sealer, name, row[3])
            except SecretError:
                log.error("the one-time-code secret of %r does not open with this secrets.key", name[:64])
                secret = _UNREADABLE
            row = (*row[:3], secret, row[4])
        return failures, row

    async def _fail(self, name: str, now: float, what: str) -> None:
        log.warning("login failed for %r (%s)", name[:64], what)
        horizon = now - self.policy.failure_window - self.policy.lockout

        def record() -> None:
            conn = self._require()
            conn.execute("DELETE FROM auth_failures WHERE ts < ?", (horizon,))
            conn.execute("INSERT INTO auth_failures (name, ts) VALUES (?, ?)", (name[:64], now))
        await self._run(record)

    def _use_step(self, name: str, step: int) -> bool:
        cur = self._require().execute("UPDATE users SET totp_last = ? WHERE name = ? AND totp_last < ?",
                                      (step, name, step))
        return cur.rowcount == 1

    def _insert_session(self, digest: str, name: str, now: float, expires: float, login: bool = True) -> None:
        conn = self._require()
        if login:  # a successful password login clears the failure record (an enrolment token does not)
            conn.execute("DELETE FROM auth_failures WHERE name = ?", (name,))
        conn.execute("DELETE FROM auth_sessions WHERE expires < ?", (now,))
        conn.execute("INSERT INTO auth_sessions (token_sha256, name, created, expires) VALUES (?,?,?,?)",
                     (digest, name, now, expires))

    # -- tokens -------------------------------------------------------------------------------------
    async def authenticate(self, token: str, peer: str) -> tuple[User, str, str]:
        """(user, session digest, new session token or "") or LoginRefused. A session token resumes its
        session; an enrolment token is exchanged for a new session (its token is returned)."""
        digest = auth.hash_token(token) if isinstance(token, str) and token else ""
        session = self._sessions.get(digest)
        if session is not None:
            if session.expires <= self.clock():
                await self.end(digest)
                raise LoginRefused("session_expired", "the session expired: log in again", session.name)
            role, disabled, _epoch = self.users.get(session.name, ("", True, 0))
            if disabled or not role:
                raise LoginRefused("auth_failed", "unknown or disabled token", session.name)
            return User(session.name, role), digest, ""
        user = await self._run(lambda: auth.lookup(self._require(), token))
        if user is None:
            raise LoginRefused("auth_failed", "unknown or disabled token")
        if not self.policy.allow_remote_tokens and peer not in LOOPBACK_PEERS and self._commanding(user.role):
            raise LoginRefused("token_not_allowed", f"role {user.role}: from another machine log in with "
                                                    "password and one-time code", user.name, user.role)
        new, digest = await self._new_session(user.name)
        return user, digest, new

    def touch(self, digest: str | None) -> None:
        """The session is in use: push its expiry out to now + ttl (persisted at most once a minute)."""
        session = self._sessions.get(digest) if digest else None
        if session is None:
            return
        now = self.clock()
        if session.expires <= now:
            return  # expired: the hub's watcher closes it
        session.expires = now + self.policy.session_ttl
        if now - session.persisted >= min(60.0, self.policy.session_ttl / 4):
            session.persisted = now
            self._db.submit(self._persist, digest, session.expires)

    def _persist(self, digest: str, expires: float) -> None:
        try:
            self._require().execute("UPDATE auth_sessions SET expires = ? WHERE token_sha256 = ?", (expires, digest))
        except sqlite3.Error as exc:
            log.warning("session expiry not saved: %s", exc)

    def expired(self, digest: str | None) -> bool:
        session = self._sessions.get(digest) if digest else None
        return digest is not None and (session is None or session.expires <= self.clock())

    def expires(self, digest: str | None) -> float | None:
        session = self._sessions.get(digest) if digest else None
        return session.expires if session else None

    async def end(self, digest: str) -> None:
        """Log one session out."""
        self._sessions.pop(digest, None)
        await self._run(lambda: self._require().execute("DELETE FROM auth_sessions WHERE token_sha256 = ?",
                                                        (digest,)))

    async def check_password(self, name: str, password: str) -> bool:
        """Is this the user's password? (Failures count towards the lockout.)"""
        return await self.check_unlock(name, password, None)

    async def check_unlock(self, name: str, password: str, code: str | None) -> bool:
        """For the idle lock: the user's password, and a fresh TOTP code where a login needs one
        (``code`` None: the password only). Failures count towards the lockout; False while locked."""
        now = self.clock()
        failures, row = await self._run(self._read_login, name, now)
        if locked_until(failures, now, self.policy) is not None:
            return False
        stored = row[2] if row else None
        ok = await asyncio.to_thread(lambda: auth.check_password(password, stored or _dummy_hash()))
        if not ok or row is None or not row[2]:
            await self._fail(name, now, "unlock")
            return False
        role, _disabled, _pw, secret, last_step = row
        if code is None:
            return True
        if secret is None and not self._commanding(role):
            return True
        step = auth.check_totp(secret, code, last_step, now) if secret not in (None, _UNREADABLE) else None
        if step is None or not await self._run(self._use_step, name, step):
            await self._fail(name, now, "unlock code")
            return False
        return True

    async def unlock_needs(self, name: str, role: str) -> str:
        """What unlocking an idle session of ``name`` takes: "password+totp", "password", or "" (no
        password: the session cannot be re-authenticated on the spot; the app asks for a login)."""
        row = await self._run(lambda: self._require().execute(
            "SELECT pw_hash IS NOT NULL, totp_secret IS NOT NULL FROM users WHERE name = ?", (name,)).fetchone())
        if row is None or not row[0]:
            return ""
        return "password+totp" if row[1] or self._commanding(role) else "password"

    # -- watching users -------------------------------------------------------------------------------
    async def poll_users(self) -> dict[str, tuple[str, bool, int]]:
        """Re-read (role, disabled, epoch) of every user; drop in-memory sessions of users whose epoch
        changed (the CLI already deleted their rows). Returns the new table."""
        rows = await self._run(lambda: self._require().execute(
            "SELECT name, role, disabled, epoch FROM users").fetchall())
        new = {name: (role, bool(disabled), epoch) for name, role, disabled, epoch in rows}
        changed = [n for n, (_r, _d, epoch) in new.items() if n in self.users and self.users[n][2] != epoch]
        if changed:  # keep only the sessions still in the table (one may be newer than the change)
            marks = ",".join("?" * len(changed))
            alive = {d for (d,) in await self._run(lambda: self._require().execute(
                f"SELECT token_sha256 FROM auth_sessions WHERE name IN ({marks})", changed).fetchall())}
            for digest in [d for d, s in self._sessions.items() if s.name in changed and d not in alive]:
                del self._sessions[digest]
        self.users = new
        return new

    def _require(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("Sessions not started")
        return self._conn
