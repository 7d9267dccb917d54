"""Secrets at rest: camera and device credentials and TOTP secrets sealed with AES-256-GCM, the key in a 0600 file.

The key lives beside the database (``<state dir>/secrets.key``, created on first use, mode 0600); the
sealed text is ``enc:v1:<base64 of nonce + ciphertext>``. The Core keeps camera sources sealed and opens
them only for the relay's control channel (``Core.camera_sources()``); clients never see them.
Users' TOTP secrets are sealed with the same key, bound to the user name (``seal_totp``/``open_totp``);
losing the key means re-enrolling them (``cc-backend user totp NAME``).
Losing the key loses only the stored sources: re-import the camera list (``--cameras FILE``).
"""
from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

KEY_FILE = "secrets.key"
PREFIX = "enc:v1:"
_AAD = b"cc-camera-source"
_TOTP_AAD = b"cc-totp:"


class SecretError(ValueError):
    """A sealed value could not be opened (wrong key or damaged text); the message names no secret."""


def key_path(state_dir: str | Path) -> Path:
    return Path(state_dir) / KEY_FILE


def load_key(state_dir: str | Path) -> bytes:
    """The 32-byte key of this state dir, created (0600, written atomically) if missing."""
    path = key_path(state_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = AESGCM.generate_key(bit_length=256)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, base64.b64encode(key) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # never replaces a key another process just created
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        log.debug("new key for camera sources in %s", path)
        return load_key(state_dir)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
        log.warning("secrets: %s was readable by others; made it 0600", path)
    try:
        key = base64.b64decode(data.strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise SecretError(f"{path}: not a key written by cc-backend (expected 32 bytes, base64)")
    return key


class Sealer:
    """Seal and open short strings with one key."""

    def __init__(self, key: bytes):
        self._aead = AESGCM(key)

    @classmethod
    def for_state_dir(cls, state_dir: str | Path) -> "Sealer":
        return cls(load_key(state_dir))

    def seal(self, text: str, aad: bytes = _AAD) -> str:
        if not text:
            return text
        nonce = os.urandom(12)
        blob = nonce + self._aead.encrypt(nonce, text.encode("utf-8"), aad)
        return PREFIX + base64.b64encode(blob).decode("ascii")

    def open(self, value: str, aad: bytes = _AAD) -> str:
        """Plain text of a sealed value; a value that is not sealed (an older database) is returned as is."""
        if not isinstance(value, str) or not value.startswith(PREFIX):
            return value
        try:
            blob = base64.b64decode(value[len(PREFIX):], validate=True)
            return self._aead.decrypt(blob[:12], blob[12:], aad).decode("utf-8")
        except (ValueError, InvalidTag) as exc:
            raise SecretError("a stored secret cannot be opened with this key (wrong secrets.key?)") from exc

    # -- TOTP secrets (bound to the user: a sealed secret copied to another user's row does not open) ---
    def seal_totp(self, user: str, secret: str) -> str:
        return self.seal(secret, _TOTP_AAD + user.encode("utf-8"))

    def open_totp(self, user: str, value: str) -> str:
        return self.open(value, _TOTP_AAD + user.encode("utf-8"))

    # -- camera sources ({"id", "url", "sub_url", "ptz"}) ----------------------------------------------
    def seal_source(self, source: dict) -> dict:
        ptz = source.get("ptz")
        return {"id": source["id"], "url": self.seal(source.get("url") or ""),
                "sub_url": self.seal(source.get("sub_url") or ""),
                "ptz": self.seal(json.dumps(ptz, ensure_ascii=False)) if ptz is not None else None}

    def open_source(self, row: dict) -> dict:
        ptz = row.get("ptz")
        if isinstance(ptz, str):
            ptz = json.loads(self.open(ptz))
        return {"id": row["id"], "url": self.open(row.get("url") or ""),
                "sub_url": self.open(row.get("sub_url") or ""), "ptz": ptz}


def is_sealed(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)
