"""Users and credentials: token hashes, scrypt passwords, TOTP, lockout records, role/disable/logout.

Only hashes of tokens are stored (SHA-256 of a 256-bit random token; of a session token too). The token
``user add`` prints is an *enrolment* credential: a socket that presents it gets a session token with the
same sliding expiry as a password login (backend/sessions.py); ``user token`` replaces it, ``user revoke``
withdraws it. Passwords are hashed with scrypt (memory-hard, 32 MiB per guess). A TOTP secret is sealed
with AES-GCM under the state dir's ``secrets.key`` (backend/secrets.py), bound to the user name; rows
from before that are sealed on the hub's start (``seal_totp_secrets``).
Every change that must end a user's live sessions (logout, role change, disable, new password) bumps
the user's ``epoch``; the hub watches epochs and closes that user's sockets.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from backend.secrets import Sealer, SecretError, is_sealed
from backend_client.models import ROLES

USER_NAME = re.compile(r"^[\w.@-]{1,64}$")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1  # 32 MiB and ~0.1 s per guess
MIN_PASSWORD = 10


@dataclass(frozen=True)
class User:
    """An authenticated user. Attributes: name, role (one of backend_client.models.ROLES)."""

    name: str
    role: str


class UserError(ValueError):
    """A user could not be created or changed: the message says why."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


# -- schema ---------------------------------------------------------------------------------------
_USER_COLUMNS = {"pw_hash": "TEXT", "totp_secret": "TEXT", "totp_last": "INTEGER NOT NULL DEFAULT 0",
                 "epoch": "INTEGER NOT NULL DEFAULT 0"}


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Add the credential columns and tables to a store's schema (idempotent; users must exist)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
    for column, decl in _USER_COLUMNS.items():
        if column not in have:
            try:
                conn.execute(f"ALTER TABLE users ADD COLUMN {column} {decl}")
            except sqlite3.OperationalError as exc:  # another process added it meanwhile
                if "duplicate column" not in str(exc):
                    raise
    conn.execute("CREATE TABLE IF NOT EXISTS auth_sessions (token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL,"
                 " created REAL NOT NULL, expires REAL NOT NULL)")
    conn.execute("CREATE TABLE IF NOT EXISTS auth_failures (name TEXT NOT NULL, ts REAL NOT NULL)")
    conn.execute("CREATE INDEX IF NOT EXISTS auth_failures_name ON auth_failures (name, ts)")


# -- passwords and TOTP -----------------------------------------------------------------------------
def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str | None) -> bool:
    if not stored or not isinstance(password, str):
        return False
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        n, r, p = int(n), int(r), int(p)
        want = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=n, r=r, p=p,
                             maxmem=256 * r * n, dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def check_totp(secret: str | None, code: str, last_step: int, now: float) -> int | None:
    """The time step a 6-digit ``code`` matches (±1 step of 30 s), if that step is newer than
    ``last_step`` (a code is accepted once: replay refused); else None."""
    import pyotp

    if not secret or not isinstance(code, str) or not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    step = int(now // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if candidate > last_step and hmac.compare_digest(totp.at(candidate * totp.interval), code):
            return candidate
    return None


# -- users ----------------------------------------------------------------------------------------
def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}")


def add_user(conn: sqlite3.Connection, name: str, role: str) -> str:
    """Create a user and return its new token (shown once; only its hash is kept)."""
    if not USER_NAME.match(name):
        raise UserError(f"user name {name!r}: use 1-64 letters, digits, '.', '@', '_' or '-'")
    _check_role(role)
    token = new_token()
    try:
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            conn.execute("ROLLBACK")
            raise UserError(f"user {name!r} already exists")
        conn.execute(
            "INSERT INTO users (name, role, token_sha256, created, disabled) VALUES (?,?,?,?,0)",
            (name, role, hash_token(token), time.time()),
        )
        conn.execute("COMMIT")
    except sqlite3.Error:
        conn.execute("ROLLBACK")
        raise
    return token


def _change(conn: sqlite3.Connection, name: str, sql: str, params: tuple, end_sessions: bool = True) -> None:
    """Run one UPDATE on user ``name`` (bumping its epoch) and, if asked, drop its sessions."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        cur = conn.execute(f"UPDATE users SET {sql}, epoch = epoch + 1 WHERE name = ?", (*params, name))
        if cur.rowcount == 0:
            raise UserError(f"user {name!r} does not exist")
        if end_sessions:
            conn.execute("DELETE FROM auth_sessions WHERE name = ?", (name,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def set_password(conn: sqlite3.Connection, name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password: at least {MIN_PASSWORD} characters")
    _change(conn, name, "pw_hash = ?", (hash_password(password),))


def sealer_for(conn: sqlite3.Connection) -> Sealer:
    """The Sealer of the state dir holding this connection's database file (its secrets.key)."""
    files = [row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main" and row[2]]
    if not files:
        raise SecretError("an in-memory database has no secrets.key beside it")
    return Sealer.for_state_dir(Path(files[0]).resolve().parent)


def new_totp(conn: sqlite3.Connection, name: str, issuer: str = "command-centre",
             sealer: Sealer | None = None) -> str:
    """Give the user a new TOTP secret (stored sealed); return its otpauth:// URI (for an authenticator
    app's QR code) — the only place the secret ever appears in the clear."""
    import pyotp

    secret = pyotp.random_base32()
    sealed = (sealer or sealer_for(conn)).seal_totp(name, secret)
    _change(conn, name, "totp_secret = ?, totp_last = 0", (sealed,))
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=issuer)


def open_totp(sealer: Sealer, name: str, stored: str | None) -> str | None:
    """The TOTP secret of ``name`` from its stored (sealed) form; SecretError with the wrong key."""
    return sealer.open_totp(name, stored) if stored else None


def seal_totp_secrets(conn: sqlite3.Connection, sealer: Sealer) -> int:
    """Seal TOTP secrets still stored in the clear (a database from before sealing) and check that
    every sealed one opens with this key. Returns how many were sealed; SecretError (naming the users,
    never a secret) if some do not open."""
    rows = conn.execute("SELECT name, totp_secret FROM users WHERE totp_secret IS NOT NULL").fetchall()
    plain = [(name, value) for name, value in rows if not is_sealed(value)]
    bad = []
    for name, value in rows:
        if is_sealed(value):
            try:
                sealer.open_totp(name, value)
            except SecretError:
                bad.append(name)
    if bad:
        raise SecretError(f"the one-time-code secrets of {len(bad)} user(s) ({', '.join(sorted(bad)[:5])}) do not "
                          "open with this secrets.key: put the original secrets.key back beside the database, "
                          "or enrol them again (cc-backend user totp NAME)")
    if plain:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for name, value in plain:
                conn.execute("UPDATE users SET totp_secret = ? WHERE name = ? AND totp_secret = ?",
                             (sealer.seal_totp(name, value), name, value))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(plain)


def new_enrolment_token(conn: sqlite3.Connection, name: str) -> str:
    """Replace the user's enrolment token (the old one stops working; live sessions end)."""
    token = new_token()
    _change(conn, name, "token_sha256 = ?", (hash_token(token),))
    return token


def revoke_token(conn: sqlite3.Connection, name: str) -> None:
    """Withdraw the user's enrolment token (a kiosk taken out of service); its sessions end."""
    # token_sha256 is NOT NULL UNIQUE: a value no SHA-256 hex digest can equal
    _change(conn, name, "token_sha256 = ?", ("revoked:" + secrets.token_hex(16),))


def set_role(conn: sqlite3.Connection, name: str, role: str) -> None:
    _check_role(role)
    _change(conn, name, "role = ?", (role,))


def set_disabled(conn: sqlite3.Connection, name: str, disabled: bool) -> None:
    _change(conn, name, "disabled = ?", (1 if disabled else 0,))


def logout(conn: sqlite3.Connection, name: str) -> None:
    """End every session of ``name``: its sockets close; a long-lived token may log in again."""
    _change(conn, name, "epoch = epoch", ())


def unlock(conn: sqlite3.Connection, name: str) -> None:
    """Forget recorded login failures (an admin lifting a lockout)."""
    if conn.execute("DELETE FROM auth_failures WHERE name = ?", (name,)).rowcount == 0 and \
            not conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
        raise UserError(f"user {name!r} does not exist")


def list_users(conn: sqlite3.Connection) -> list[dict]:
    rows = conn.execute("SELECT name, role, disabled, pw_hash IS NOT NULL, totp_secret IS NOT NULL,"
                        " token_sha256 NOT LIKE 'revoked:%' FROM users ORDER BY name")
    return [{"name": n, "role": r, "disabled": bool(d), "password": bool(p), "totp": bool(t), "token": bool(k)}
            for n, r, d, p, t, k in rows]


def lookup(conn: sqlite3.Connection, token: str) -> User | None:
    """The enabled user holding this enrolment token, or None."""
    if not isinstance(token, str) or not token:
        return None
    row = conn.execute(
        "SELECT name, role FROM users WHERE token_sha256 = ? AND NOT disabled", (hash_token(token),)
    ).fetchone()
    return User(row[0], row[1]) if row else None


def token_hashes(conn: sqlite3.Connection, now: float | None = None) -> dict[str, str]:
    """{sha256 hex of token: user name} for every unexpired session of an enabled user (what the camera
    relay accepts). Enrolment tokens are not in it: they never expire, so they only open a hub session."""
    try:
        return dict(conn.execute(
            "SELECT s.token_sha256, s.name FROM auth_sessions s JOIN users u ON u.name = s.name"
            " WHERE s.expires > ? AND NOT u.disabled", (time.time() if now is None else now,)))
    except sqlite3.OperationalError:  # no session table yet: nobody has a session
        return {}
