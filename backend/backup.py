"""``cc-backend backup`` / ``restore``: SQLite online backup of the store, checked before and after.

Backup runs while the backend runs (the online backup API copies a consistent snapshot page by page,
writers keep going); the copy is written to ``FILE.part``, checked with ``PRAGMA integrity_check`` and
the audit chain, then renamed. Restore refuses while a backend holds the database (its lock file), and
refuses a file that is not a valid store; it copies into ``DB.restore-part``, checks it, keeps the old
database as ``DB.before-restore`` and renames. The secrets key (``secrets.key``) is not in the file:
copy it with the backup, or re-import the camera list after a restore on another machine.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from pathlib import Path
from typing import Callable

from backend import audit

LOCK_SUFFIX = ".lock"
PAGES_PER_STEP = 4096


class BackupError(RuntimeError):
    """Backup or restore refused or failed; the message says why and names the file."""


def lock_path(db: str | Path) -> Path:
    return Path(str(db) + LOCK_SUFFIX)


def backend_running(db: str | Path) -> bool:
    """Whether a backend holds ``DB.lock`` (taken by ``reliability_cli.lock_or_refuse`` for its whole life)."""
    path = lock_path(db)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def check(path: str | Path) -> list[str]:
    """Problems of a store file: not SQLite, integrity_check, missing tables, broken audit chain."""
    path = Path(path)
    if not path.is_file():
        return [f"{path}: no such file"]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [f"{path}: cannot open: {exc}"]
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if rows != ["ok"]:
            return [f"{path}: integrity_check: {'; '.join(rows[:5])}"]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = {"events", "audit", "meta", "users"} - tables
        if missing:
            return [f"{path}: not a command-centre store (missing tables: {', '.join(sorted(missing))})"]
        return [f"{path}: {p}" for p in audit.verify(conn)]
    except sqlite3.DatabaseError as exc:
        return [f"{path}: not a valid SQLite database ({exc})"]
    finally:
        conn.close()


def _copy(src: sqlite3.Connection, dst_path: Path, progress: Callable[[int, int], None] | None) -> None:
    dst_path.unlink(missing_ok=True)
    dst = sqlite3.connect(str(dst_path))
    try:
        def step(_status, remaining, total):
            if progress is not None:
                progress(total - remaining, total)

        src.backup(dst, pages=PAGES_PER_STEP, progress=step)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()


def backup(db: str | Path, out: str | Path, progress: Callable[[int, int], None] | None = None) -> dict:
    """Copy the live store to ``out`` (checked); returns {"path", "bytes", "seconds"}."""
    db, out = Path(db), Path(out)
    if not db.is_file():
        raise BackupError(f"{db}: no such database")
    if out.resolve() == db.resolve():
        raise BackupError(f"{out}: is the database itself")
    started = time.monotonic()
    part = out.with_name(out.name + ".part")
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        _copy(src, part, progress)
    finally:
        src.close()
    problems = check(part)
    if problems:
        part.unlink(missing_ok=True)
        raise BackupError("backup copy failed its check: " + "; ".join(problems))
    os.replace(part, out)
    return {"path": str(out), "bytes": out.stat().st_size, "seconds": time.monotonic() - started}


def restore(file: str | Path, db: str | Path, progress: Callable[[int, int], None] | None = None) -> dict:
    """Replace the store at ``db`` with the backup ``file`` (the backend must be stopped)."""
    file, db = Path(file), Path(db)
    if backend_running(db):
        raise BackupError(f"{db}: a backend is running on this database; stop it first")
    started = time.monotonic()
    problems = check(file)
    if problems:
        raise BackupError("refused: " + "; ".join(problems))
    part = db.with_name(db.name + ".restore-part")
    src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        _copy(src, part, progress)
    finally:
        src.close()
    conn = sqlite3.connect(str(part))
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    problems = check(part)
    if problems:
        part.unlink(missing_ok=True)
        raise BackupError("restored copy failed its check: " + "; ".join(problems))
    kept = None
    if db.exists():
        kept = db.with_name(db.name + ".before-restore")
        src = sqlite3.connect(str(db))  # folds the old WAL into the file that is kept
        try:
            src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            src.close()
        os.replace(db, kept)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    os.replace(part, db)
    for suffix in ("-wal", "-shm"):
        Path(str(part) + suffix).unlink(missing_ok=True)
    return {"path": str(db), "bytes": db.stat().st_size, "seconds": time.monotonic() - started,
            "previous": str(kept) if kept else None}
