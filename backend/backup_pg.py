"""``cc-backend backup`` / ``restore`` for a PostgreSQL store: pg_dump's custom format, checked both ways.

A backup is ``pg_dump -Fc`` of the whole database (consistent: pg_dump reads one snapshot while the backend
keeps writing), then read back with ``pg_restore --list`` before it replaces the target file. A restore is
refused while a backend holds the database's writer lock; it replaces the database's tables in one
transaction (``pg_restore --clean --if-exists --single-transaction``), then checks the audit chain.
Connection URLs may carry a password: it is never printed (``store_pg.redact``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from backend.backup import BackupError

PG_BIN = Path(os.environ.get("CC_PG_BIN", "/usr/lib/postgresql/15/bin"))
TIMEOUT_S = 3600


def _tool(name: str) -> str:
    found = PG_BIN / name
    if found.exists():
        return str(found)
    which = shutil.which(name)
    if which is None:
        raise BackupError(f"{name} not found (Debian package postgresql-client); set CC_PG_BIN to its folder")
    return which


def _run(args: list[str], url: str) -> subprocess.CompletedProcess:
    from backend.store_pg import redact

    try:
        res = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{Path(args[0]).name} did not finish within {TIMEOUT_S} s") from exc
    if res.returncode != 0:
        detail = res.stderr.strip().replace(url, redact(url))[-800:]
        raise BackupError(f"{Path(args[0]).name} failed (exit {res.returncode}): {detail}")
    return res


def _tables_in(dump: Path, url: str) -> set[str]:
    listing = _run([_tool("pg_restore"), "--list", str(dump)], url).stdout
    return {parts[-2] for line in listing.splitlines()
            if not line.startswith(";") and " TABLE DATA " in line and len(parts := line.split()) >= 2}


def backup(url: str, out: str | Path) -> dict:
    """Dump the store at ``url`` to ``out`` (checked); returns {"path", "bytes", "seconds", "tables"}."""
    out = Path(out)
    started = time.monotonic()
    part = out.with_name(out.name + ".part")
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={part}",
          f"--dbname={url}"], url)
    tables = _tables_in(part, url)
    missing = {"events", "audit"} - tables
    if missing:
        part.unlink(missing_ok=True)
        raise BackupError(f"backup has no data for {', '.join(sorted(missing))}: is this a command-centre store?")
    os.replace(part, out)
    return {"path": str(out), "bytes": out.stat().st_size, "seconds": time.monotonic() - started,
            "tables": len(tables)}


def restore(file: str | Path, url: str) -> dict:
    """Replace the store at ``url`` with the dump ``file`` (refused while a backend writes to it)."""
    import psycopg

    from backend import audit
    from backend.store_pg import LOCK_KEY, PgConnection, redact

    file = Path(file)
    if not file.is_file():
        raise BackupError(f"{file}: no such backup file")
    started = time.monotonic()
    tables = _tables_in(file, url)  # also refuses a file that is not a pg_dump archive
    if not {"events", "audit"} <= tables:
        raise BackupError(f"{file}: not a command-centre store dump (no events/audit data)")
    try:
        guard = PgConnection(url)
    except psycopg.Error as exc:
        raise BackupError(f"{redact(url)}: cannot connect ({exc})".strip()) from exc
    try:
        if not guard.execute("SELECT pg_try_advisory_lock(%d)" % LOCK_KEY).fetchone()[0]:
            raise BackupError(f"{redact(url)}: a backend is running on this database; stop it first")
        # The lock is held by this session until the restore is done, so no backend starts meanwhile.
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", f"--dbname={url}", str(file)], url)
        problems = audit.verify(guard)
    finally:
        guard.close()
    if problems:
        raise BackupError("restored database failed the audit chain check: " + "; ".join(problems[:5]))
    return {"path": redact(url), "seconds": time.monotonic() - started}
