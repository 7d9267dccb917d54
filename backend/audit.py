"""The hash-chained audit log: append inside a write transaction, verify the whole chain later.

Each row's ``hash`` is SHA-256 over the canonical JSON of the row (seq, ts, user, role, action, args,
ok, detail, prev_hash); ``prev_hash`` is the previous row's hash (``GENESIS`` for the first). Editing a
row breaks its hash, deleting or reordering rows breaks the ``seq``/``prev_hash`` links, and the head
(seq, hash) kept in ``meta`` in the same transaction reveals rows cut from the end.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

GENESIS = "0" * 64
HEAD_KEY = "audit_head"


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
        "INSERT INTO audit (seq, ts, user, role, action, args, ok, detail, prev_hash, hash)"
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
    rows = conn.execute(
        "SELECT seq, ts, user, role, action, args, ok, detail, prev_hash, hash FROM audit ORDER BY seq"
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
