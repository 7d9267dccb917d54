"""Users and tokens: only the SHA-256 of a token is stored; roles decide what a user may do."""
from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass

from backend_client.models import ROLES

USER_NAME = re.compile(r"^[\w.@-]{1,64}$")


@dataclass(frozen=True)
class User:
    """An authenticated user. Attributes: name, role (one of backend_client.models.ROLES)."""

    name: str
    role: str


class UserError(ValueError):
    """A user could not be created: the message says why."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def add_user(conn: sqlite3.Connection, name: str, role: str) -> str:
    """Create a user and return its new token (shown once; only its hash is kept)."""
    if not USER_NAME.match(name):
        raise UserError(f"user name {name!r}: use 1-64 letters, digits, '.', '@', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}")
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


def lookup(conn: sqlite3.Connection, token: str) -> User | None:
    """The enabled user holding this token, or None."""
    if not isinstance(token, str) or not token:
        return None
    row = conn.execute(
        "SELECT name, role FROM users WHERE token_sha256 = ? AND NOT disabled", (hash_token(token),)
    ).fetchone()
    return User(row[0], row[1]) if row else None


def token_hashes(conn: sqlite3.Connection) -> dict[str, str]:
    """{sha256 hex of token: user name} for every enabled user."""
    return dict(conn.execute("SELECT token_sha256, name FROM users WHERE NOT disabled"))
