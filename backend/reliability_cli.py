"""``cc-backend`` subcommands for the store's safety: backup, restore, audit export / prune / verify --file.

Also the running-backend lock (an flock on ``DB.lock`` for the life of the process), which ``restore``
and a second backend on the same database respect.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path

_held: list[int] = []


def add_parsers(sub: argparse._SubParsersAction, audit: argparse._SubParsersAction) -> None:
    b = sub.add_parser("backup", help="copy the live store to FILE (SQLite online backup or pg_dump, checked)")
    b.add_argument("--out", type=Path, required=True, help="the backup file to write")
    r = sub.add_parser("restore", help="replace the store with a backup FILE (backend must be stopped)")
    r.add_argument("file", type=Path)
    verify = audit.choices.get("verify")
    if verify is not None:
        verify.add_argument("--file", type=Path, default=None,
                            help="check an exported file (JSON lines or CSV) instead of the database")
    e = audit.add_parser("export", help="write audit rows with their chain hashes (JSON lines or CSV)")
    e.add_argument("--since", default=None, help="from this time (epoch seconds or ISO date), inclusive")
    e.add_argument("--until", default=None, help="up to this time (epoch seconds or ISO date), exclusive")
    e.add_argument("--out", type=Path, required=True, help="FILE.jsonl or FILE.csv")
    e.add_argument("--format", choices=("jsonl", "csv"), default=None, help="default: from the file name")
    p = audit.add_parser("prune", help="archive and remove rows older than the retention (>= 180 days)")
    p.add_argument("--older-than-days", type=float, default=180.0)
    p.add_argument("--archive", type=Path, required=True, help="where the removed rows are written first")


def _err(msg: str) -> int:
    print(f"cc-backend: {msg}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int | None:
    """Handle the subcommands of this module; None for anything else."""
    from backend import audit, backup

    db: Path = args.db
    store_url = getattr(args, "store_url", None)  # a PostgreSQL store (backend/cli.py resolve_db)
    if store_url and args.command in ("backup", "restore"):
        return _backup_pg(args, store_url)
    if args.command == "backup":
        try:
            info = backup.backup(db, args.out)
        except (backup.BackupError, sqlite3.Error, OSError) as exc:
            return _err(str(exc))
        print(f"backup: {info['path']} ({info['bytes']} bytes, {info['seconds']:.1f} s), integrity ok")
        return 0
    if args.command == "restore":
        try:
            info = backup.restore(args.file, db)
        except (backup.BackupError, sqlite3.Error, OSError) as exc:
            return _err(str(exc))
        kept = f"; previous database kept as {info['previous']}" if info["previous"] else ""
        print(f"restore: {info['path']} from {args.file} ({info['seconds']:.1f} s), integrity ok{kept}")
        return 0
    if args.command != "audit":
        return None
    sub = args.audit_command
    if sub == "verify" and getattr(args, "file", None) is not None:
        try:
            count, problems = audit.verify_rows(audit.read_rows(args.file))
        except (OSError, ValueError, KeyError) as exc:
            return _err(f"{args.file}: not an audit export ({type(exc).__name__}: {exc})")
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"audit export: {count} rows, {'OK' if not problems else f'{len(problems)} problems'}")
        return 1 if problems else 0
    if sub not in ("export", "prune"):
        return None
    if store_url:
        return _run_pg(args, sub, store_url)
    if not db.is_file():
        return _err(f"{db}: no such database")
    if sub == "export":
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            count = audit.export(conn, args.out, args.since, args.until, args.format)
        except (ValueError, OSError) as exc:
            return _err(str(exc))
        finally:
            conn.close()
        print(f"audit export: {count} rows to {args.out}")
        return 0
    from backend import store

    conn = store.connect(db)
    try:
        count = audit.prune(conn, args.archive, args.older_than_days)
        problems = audit.verify(conn)
    except (ValueError, OSError) as exc:
        return _err(str(exc))
    finally:
        conn.close()
    print(f"audit prune: {count} rows archived to {args.archive}; chain {'OK' if not problems else 'BROKEN'}")
    return 1 if problems else 0


def _backup_pg(args: argparse.Namespace, url: str) -> int:
    """backup / restore of a PostgreSQL store: pg_dump's custom format (backend/backup_pg.py)."""
    from backend import backup, backup_pg

    try:
        if args.command == "backup":
            info = backup_pg.backup(url, args.out)
            print(f"backup: {info['path']} ({info['bytes']} bytes, {info['tables']} tables, "
                  f"{info['seconds']:.1f} s), read back ok")
        else:
            info = backup_pg.restore(args.file, url)
            print(f"restore: {info['path']} from {args.file} ({info['seconds']:.1f} s), audit chain ok")
    except (backup.BackupError, OSError) as exc:
        return _err(str(exc))
    return 0


def _run_pg(args: argparse.Namespace, sub: str, url: str) -> int:
    """audit export / prune on a PostgreSQL store: the same SQL through backend/store_pg.py's facade."""
    from backend import audit
    from backend.store_pg import PgStore

    pg = PgStore(url)
    try:
        with pg.connect() as conn:
            if sub == "export":
                conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                count = audit.export(conn, args.out, args.since, args.until, args.format)
                conn.execute("COMMIT")
                print(f"audit export: {count} rows to {args.out}")
                return 0
            count = audit.prune(conn, args.archive, args.older_than_days)
            problems = audit.verify(conn)
    except (ValueError, OSError) as exc:
        return _err(str(exc))
    except Exception as exc:  # psycopg.Error: unreachable, no such database
        return _err(f"{pg.location}: {type(exc).__name__}: {str(exc).strip()}")
    print(f"audit prune: {count} rows archived to {args.archive}; chain {'OK' if not problems else 'BROKEN'}")
    return 1 if problems else 0


def lock_or_refuse(db: Path) -> int | None:
    """Take the running-backend lock for this process's life; an exit code if another backend holds it."""
    import fcntl

    path = Path(str(db) + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return _err(f"{db}: another backend is running on this database")
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    _held.append(fd)  # released by the kernel when the process ends, however it ends
    return None
