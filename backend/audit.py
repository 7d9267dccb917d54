"""The hash-chained audit log: append inside a write transaction, verify the whole chain later.

Each row's ``hash`` is SHA-256 over the canonical JSON of the row (seq, ts, user, role, action, args,
ok, detail, prev_hash); ``prev_hash`` is the previous row's hash (``GENESIS`` for the first). Editing a
row breaks its hash, deleting or reordering rows breaks the ``seq``/``prev_hash`` links, and the head
(seq, hash) kept in ``meta`` in the same transaction reveals rows cut from the end.

Retention: ``prune`` removes rows older than the cut-off (never younger than ``MIN_RETENTION_DAYS``),
writing them to an archive file first, and keeps the last removed row's (seq, hash) as the chain's
**anchor** in ``meta``: the first remaining row must link to it, so the chain is never cut.
``export`` writes rows with their hashes (JSON lines or CSV); ``verify_rows`` checks such a file.
"""
from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

GENESIS = "0" * 64
HEAD_KEY = "audit_head"
ANCHOR_KEY = "audit_anchor"
MIN_RETENTION_DAYS = 180
COLUMNS = ("seq", "ts", "user", "role", "action", "args", "ok", "detail", "prev_hash", "hash")
# "user" is quoted: a column name to SQLite, CURRENT_USER to PostgreSQL unquoted. The SQL here runs on a
# sqlite3 connection or on backend/store_pg.py's facade (same ``?`` placeholders), so the chain is one code.
_SELECT = ", ".join(f'"{c}"' if c == "user" else c for c in COLUMNS)


def canonical(record: dict[str, Any]) -> str:
    """One fixed text per record: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def row_hash(seq: int, ts: float, user: str, role: str, action: str, args: Any, ok: bool,
             detail: str, prev_hash: str) -> str:
    record = {"seq": seq, "ts": ts, "user": user, "role": role, "action": action, "args": args,
              "ok": bool(ok), "detail": detail, "prev_hash": prev_hash}
    return hashlib.sha256(canonical(record).encode("utf-8")).hexdigest()


def append(conn: sqlite3.Connection, ts: float, user: str, role: str, action: str, args: Any,
           ok: bool, detail: str = "") -> dict[str, Any]:
    """Append one row; the caller holds a write transaction (BEGIN IMMEDIATE) and commits it."""
    head = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    args_text = canonical(args)
    args = json.loads(args_text)  # hash exactly what verify will read back
    digest = row_hash(seq, ts, user, role, action, args, ok, detail, prev)
    conn.execute(
        'INSERT INTO audit (seq, ts, "user", role, action, args, ok, detail, prev_hash, hash)'
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
        (seq, ts, user, role, action, args_text, 1 if ok else 0, detail, prev, digest),
    )
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (HEAD_KEY, json.dumps({"seq": seq, "hash": digest})),
    )
    return {"seq": seq, "ts": ts, "user": user, "role": role, "action": action, "args": args,
            "ok": bool(ok), "detail": detail, "prev_hash": prev, "hash": digest}


def verify(conn: sqlite3.Connection) -> list[str]:
    """Check the whole chain; return the problems found (empty list: the log is intact)."""
    problems: list[str] = []
    prev, expected_seq = GENESIS, 1
    anchor = conn.execute("SELECT value FROM meta WHERE key = ?", (ANCHOR_KEY,)).fetchone()
    if anchor is not None:
        a = json.loads(anchor[0])
        prev, expected_seq = a["hash"], a["seq"] + 1
    rows = conn.execute(
        f"SELECT {_SELECT} FROM audit ORDER BY seq"
    )
    for seq, ts, user, role, action, args_text, ok, detail, prev_hash, digest in rows:
        if seq != expected_seq:
            problems.append(f"audit seq {seq}: expected seq {expected_seq} (row missing or reordered)")
        if prev_hash != prev:
            problems.append(f"audit seq {seq}: prev_hash does not match the hash of the row before")
        try:
            args = json.loads(args_text)
        except (TypeError, ValueError):
            problems.append(f"audit seq {seq}: args is not JSON")
            args = args_text
        if row_hash(seq, ts, user, role, action, args, bool(ok), detail, prev_hash) != digest:
            problems.append(f"audit seq {seq}: hash does not match the row's content (row edited)")
        prev, expected_seq = digest, seq + 1
    head = conn.execute("SELECT value FROM meta WHERE key = ?", (HEAD_KEY,)).fetchone()
    last_seq = expected_seq - 1
    if head is not None:
        want = json.loads(head[0])
        if want.get("seq") != last_seq or (last_seq and want.get("hash") != prev):
            problems.append(f"audit head: meta says seq {want.get('seq')}, the log ends at seq {last_seq}"
                            " (rows cut from the end)")
    elif last_seq:
        problems.append("audit head: missing from meta")
    return problems


def _row_problems(row: dict, prev: str | None, expected_seq: int | None) -> list[str]:
    seq = row["seq"]
    out = []
    if expected_seq is not None and seq != expected_seq:
        out.append(f"audit seq {seq}: expected seq {expected_seq} (row missing or reordered)")
    if prev is not None and row["prev_hash"] != prev:
        out.append(f"audit seq {seq}: prev_hash does not match the hash of the row before")
    if row_hash(seq, row["ts"], row["user"], row["role"], row["action"], row["args"], bool(row["ok"]),
                row["detail"], row["prev_hash"]) != row["hash"]:
        out.append(f"audit seq {seq}: hash does not match the row's content (row edited)")
    return out


def verify_rows(rows: Iterable[dict]) -> tuple[int, list[str]]:
    """Check an exported run of rows (each row's hash, and the links between consecutive rows)."""
    problems: list[str] = []
    prev = expected = None
    count = 0
    for row in rows:
        count += 1
        problems += _row_problems(row, prev, expected)
        prev, expected = row["hash"], row["seq"] + 1
    return count, problems


def _parse_time(value: str | float | None, default: float) -> float:
    """Seconds since the epoch from a number or an ISO date/time ("2025-06-01", "2025-06-01T08:00")."""
    if value is None or value == "":
        return default
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except ValueError:
        pass
    from datetime import datetime

    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise ValueError(f"{value!r}: expected seconds since the epoch or an ISO date such as 2025-06-01") from None


def rows_between(conn: sqlite3.Connection, since: float | None = None, until: float | None = None) -> Iterator[dict]:
    cur = conn.execute(f"SELECT {_SELECT} FROM audit WHERE ts >= ? AND ts < ? ORDER BY seq",
                       (since if since is not None else float("-inf"), until if until is not None else float("inf")))
    for values in cur:
        row = dict(zip(COLUMNS, values))
        row["args"], row["ok"] = json.loads(row["args"]), bool(row["ok"])
        yield row


def write_rows(rows: Iterable[dict], out: str | Path, fmt: str | None = None) -> int:
    """Write rows as JSON lines (default) or CSV (``fmt="csv"`` or a .csv name); returns the count."""
    out = Path(out)
    fmt = fmt or ("csv" if out.suffix.lower() == ".csv" else "jsonl")
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"format {fmt!r}: expected jsonl or csv")
    count = 0
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        if fmt == "csv":
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow([repr(row["ts"]) if c == "ts" else canonical(row["args"]) if c == "args"
                                 else int(row["ok"]) if c == "ok" else row[c] for c in COLUMNS])
                count += 1
        else:
            for row in rows:
                fh.write(canonical(row) + "\n")
                count += 1
        fh.flush()
    tmp.replace(out)
    return count


def read_rows(path: str | Path) -> list[dict]:
    """Rows of an export file (JSON lines or CSV, told apart by the first line)."""
    text = Path(path).read_text(encoding="utf-8")
    if text.startswith("seq,"):
        rows = []
        for rec in csv.DictReader(text.splitlines()):
            rows.append({"seq": int(rec["seq"]), "ts": float(rec["ts"]), "user": rec["user"], "role": rec["role"],
                         "action": rec["action"], "args": json.loads(rec["args"]), "ok": rec["ok"] == "1",
                         "detail": rec["detail"], "prev_hash": rec["prev_hash"], "hash": rec["hash"]})
        return rows
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def export(conn: sqlite3.Connection, out: str | Path, since=None, until=None, fmt: str | None = None) -> int:
    return write_rows(rows_between(conn, _parse_time(since, float("-inf")), _parse_time(until, float("inf"))),
                      out, fmt)


def prune(conn: sqlite3.Connection, archive: str | Path, older_than_days: float = MIN_RETENTION_DAYS,
          now: float | None = None) -> int:
    """Move rows older than ``older_than_days`` (>= 180) to ``archive``; keep the chain's anchor."""
    if older_than_days < MIN_RETENTION_DAYS:
        raise ValueError(f"retention is at least {MIN_RETENTION_DAYS} days (asked {older_than_days:g})")
    cutoff = (time.time() if now is None else now) - older_than_days * 86400
    conn.execute("BEGIN IMMEDIATE")
    try:
        last = conn.execute("SELECT MAX(seq) FROM audit").fetchone()[0] or 0
        # Only a run of old rows from the start goes (a clock jump never takes a young row with it), and
        # the newest row always stays: the head must keep a row to point at.
        young = conn.execute("SELECT MIN(seq) FROM audit WHERE ts >= ?", (cutoff,)).fetchone()[0]
        first = conn.execute("SELECT MIN(seq) FROM audit").fetchone()[0]
        upto = min(last - 1, (young if young is not None else last + 1) - 1)
        if first is None or upto < first:
            conn.execute("ROLLBACK")
            return 0
        rows = [r for r in rows_between(conn) if r["seq"] <= upto]
        count = write_rows(rows, archive)
        end = rows[-1]
        conn.execute("DELETE FROM audit WHERE seq <= ?", (upto,))
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     (ANCHOR_KEY, json.dumps({"seq": end["seq"], "hash": end["hash"], "ts": end["ts"],
                                              "archive": str(archive)})))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return count
