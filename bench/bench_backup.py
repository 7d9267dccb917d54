"""Backup and restore of a 1 GB store (``cc-backend backup`` / ``restore`` code paths), side by side with a
plain file copy of the same file (the floor any restore has to pay).

Restore = check the backup (integrity_check + audit chain), copy it page by page with the online backup
API, check the copy again, rename. Goal: restore of 1 GB in under 10 minutes.
    python bench/bench_backup.py [--gb 1.0]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import figure, write_result

from backend import backup, store


def build(db: Path, gb: float) -> None:
    """A store of about ``gb`` GiB: event rows of ~1 KB (what years of events look like to SQLite)."""
    store.create_schema(db)
    conn = store.connect(db)
    rows = int(gb * 1024 ** 3 / 1100)
    conn.execute("BEGIN")
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        " INSERT INTO events (seq, eid, ts, actor, entity, op, key, data)"
        " SELECT i, 'yk-' || i, 1.7e9 + i, 'bench', 'alerts', 'upsert', 'A-' || (i % 50000),"
        " '{\"id\":\"A-' || (i % 50000) || '\",\"pad\":\"' || hex(randomblob(500)) || '\"}' FROM n", (rows,))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=1.0)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cc-bench-backup-", dir="/var/tmp") as tmp:
        tmp = Path(tmp)
        db = tmp / "cc.db"
        t0 = time.perf_counter()
        build(db, args.gb)
        size = db.stat().st_size
        print(f"built {size / 1024 ** 3:.2f} GiB in {time.perf_counter() - t0:.0f} s", flush=True)
        t0 = time.perf_counter()
        shutil.copyfile(db, tmp / "plain-copy.db")
        copy_s = time.perf_counter() - t0
        (tmp / "plain-copy.db").unlink()
        info = backup.backup(db, tmp / "backup.db")
        target = tmp / "restored" / "cc.db"
        target.parent.mkdir()
        rinfo = backup.restore(tmp / "backup.db", target)
    gib = size / 1024 ** 3
    figures = [
        figure("store size", round(gib, 2), "GiB"),
        figure("backup (online, checked)", round(info["seconds"], 1), "s", baseline=round(copy_s, 1),
               ratio=round(info["seconds"] / copy_s, 1) if copy_s else None),
        figure("restore (checked before and after)", round(rinfo["seconds"], 1), "s", goal="< 600 per GiB",
               baseline=round(copy_s, 1), ratio=round(rinfo["seconds"] / copy_s, 1) if copy_s else None),
        figure("restore rate", round(gib * 60 / rinfo["seconds"], 2) if rinfo["seconds"] else None, "GiB/min"),
    ]
    write_result("backup", figures, notes="baseline: shutil.copyfile of the same file in the same run")
    return 0 if rinfo["seconds"] / max(gib, 1e-9) < 600 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
