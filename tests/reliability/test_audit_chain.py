"""The audit chain: 1,000 random tamperings all detected; export is verifiable; prune keeps an anchor."""
import json
import random
import sqlite3
import subprocess
import sys
import time

import pytest

from backend import audit, store
from tests.helpers.backend_proc import ROOT

DAY = 86400.0


def _make_log(path, rows=120, start=None, step=60.0):
    store.create_schema(path)
    conn = store.connect(path)
    start = time.time() - rows * step if start is None else start
    rng = random.Random(7)
    for i in range(rows):
        conn.execute("BEGIN IMMEDIATE")
        audit.append(conn, start + i * step, f"user{i % 5}", rng.choice(["duty_officer", "leader", "admin"]),
                     rng.choice(["alert.ack", "wall.take", "camera.view", "login"]),
                     {"id": f"A-{i}", "note": "值班" * (i % 3)}, i % 7 != 0, "" if i % 7 else "forbidden")
        conn.execute("COMMIT")
    return conn


def _copy(conn):
    mem = sqlite3.connect(":memory:", isolation_level=None)
    conn.backup(mem)
    return mem


FIELDS = ("ts", "user", "role", "action", "args", "ok", "detail", "prev_hash", "hash")


def _tamper(conn, rng):
    """Apply one random tampering; return a description of it."""
    seqs = [r[0] for r in conn.execute("SELECT seq FROM audit ORDER BY seq")]
    kind = rng.choice(["edit", "delete", "swap", "truncate", "insert"])
    if kind == "edit":
        seq, field = rng.choice(seqs), rng.choice(FIELDS)
        row = dict(zip(audit.COLUMNS, conn.execute(f"SELECT {', '.join(audit.COLUMNS)} FROM audit WHERE seq = ?",
                                                    (seq,)).fetchone()))
        new = {"ts": row["ts"] + rng.choice([-1, 1]) * rng.uniform(0.001, 1e5),
               "user": row["user"] + rng.choice(["x", "_", "王"]),
               "role": "admin" if row["role"] != "admin" else "leader",
               "action": row["action"] + ".x",
               "args": json.dumps({"id": "forged", "n": rng.randint(0, 9)}),
               "ok": 1 - row["ok"],
               "detail": row["detail"] + rng.choice([" ", "ok", "x"]),
               "prev_hash": "%064x" % rng.getrandbits(256),
               "hash": "%064x" % rng.getrandbits(256)}[field]
        conn.execute(f'UPDATE audit SET "{field}" = ? WHERE seq = ?', (new, seq))
        return f"edit {field} of {seq}"
    if kind == "delete":
        seq = rng.choice(seqs)
        conn.execute("DELETE FROM audit WHERE seq = ?", (seq,))
        return f"delete {seq}"
    if kind == "swap":  # reorder: two rows trade places (their seqs)
        a, b = rng.sample(seqs, 2)
        conn.execute("UPDATE audit SET seq = -1 WHERE seq = ?", (a,))
        conn.execute("UPDATE audit SET seq = ? WHERE seq = ?", (a, b))
        conn.execute("UPDATE audit SET seq = ? WHERE seq = -1", (b,))
        return f"swap {a} {b}"
    if kind == "truncate":
        keep = rng.randrange(0, len(seqs))
        conn.execute("DELETE FROM audit WHERE seq > ?", (seqs[keep - 1] if keep else 0,))
        return f"truncate after {keep}"
    # insert a forged, correctly hashed row at a random place; later rows are renumbered
    pos = rng.choice(seqs + [seqs[-1] + 1])
    for seq in sorted((s for s in seqs if s >= pos), reverse=True):
        conn.execute("UPDATE audit SET seq = ? WHERE seq = ?", (seq + 1, seq))
    prev_row = conn.execute("SELECT hash, ts FROM audit WHERE seq = ?", (pos - 1,)).fetchone()
    prev, ts = (prev_row[0], prev_row[1] + 0.5) if prev_row else (audit.GENESIS, 1.0)
    args = {"id": "forged"}
    digest = audit.row_hash(pos, ts, "mallory", "admin", "alert.ack", args, True, "", prev)
    conn.execute("INSERT INTO audit (seq, ts, user, role, action, args, ok, detail, prev_hash, hash)"
                 " VALUES (?,?,?,?,?,?,?,?,?,?)",
                 (pos, ts, "mallory", "admin", "alert.ack", audit.canonical(args), 1, "", prev, digest))
    return f"insert at {pos}"


def test_1000_random_tamperings_are_all_detected(tmp_path):
    conn = _make_log(tmp_path / "cc.db")
    assert audit.verify(conn) == []
    rng = random.Random(20250610)
    kinds = {}
    for _ in range(1000):
        copy = _copy(conn)
        what = _tamper(copy, rng)
        kinds[what.split()[0]] = kinds.get(what.split()[0], 0) + 1
        assert audit.verify(copy), f"tampering not detected: {what}"
        copy.close()
    assert set(kinds) == {"edit", "delete", "swap", "truncate", "insert"}


def test_tampering_after_a_prune_is_detected_too(tmp_path):
    now = time.time()
    conn = _make_log(tmp_path / "cc.db", rows=60, start=now - 300 * DAY, step=5 * DAY)
    removed = audit.prune(conn, tmp_path / "archive.jsonl", 180, now=now)
    assert removed > 0 and audit.verify(conn) == []
    rng = random.Random(3)
    for _ in range(200):
        copy = _copy(conn)
        what = _tamper(copy, rng)
        assert audit.verify(copy), f"tampering not detected after prune: {what}"
    # and the anchor itself: a forged anchor does not fit the first remaining row
    copy = _copy(conn)
    anchor = json.loads(copy.execute("SELECT value FROM meta WHERE key = ?", (audit.ANCHOR_KEY,)).fetchone()[0])
    copy.execute("UPDATE meta SET value = ? WHERE key = ?",
                 (json.dumps({**anchor, "seq": anchor["seq"] - 1}), audit.ANCHOR_KEY))
    assert audit.verify(copy)


def test_prune_keeps_180_days_archives_first_and_never_cuts_the_chain(tmp_path):
    now = time.time()
    conn = _make_log(tmp_path / "cc.db", rows=100, start=now - 400 * DAY, step=4 * DAY)
    with pytest.raises(ValueError, match="180 days"):
        audit.prune(conn, tmp_path / "a.jsonl", 30, now=now)
    before = [dict(r) for r in audit.rows_between(conn)]
    removed = audit.prune(conn, tmp_path / "archive.jsonl", 180, now=now)
    kept = list(audit.rows_between(conn))
    assert removed + len(kept) == len(before)
    assert all(r["ts"] < now - 180 * DAY for r in before[:removed])
    assert all(r["ts"] >= now - 180 * DAY for r in kept)
    assert audit.verify(conn) == []
    archived = audit.read_rows(tmp_path / "archive.jsonl")
    assert archived == before[:removed]
    # archive + what is left is one unbroken chain
    assert audit.verify_rows(archived + kept) == (len(before), [])
    # new rows still chain on
    conn.execute("BEGIN IMMEDIATE")
    audit.append(conn, now, "wang", "duty_officer", "alert.ack", {"id": "A-1"}, True)
    conn.execute("COMMIT")
    assert audit.verify(conn) == []
    # a second prune with nothing old left does nothing
    assert audit.prune(conn, tmp_path / "archive2.jsonl", 180, now=now) == 0


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_is_verifiable_and_catches_edits(tmp_path, fmt):
    conn = _make_log(tmp_path / "cc.db", rows=50, start=1_700_000_000.0, step=100.0)
    conn.close()
    out = tmp_path / f"audit.{fmt}"
    run = lambda *a: subprocess.run([sys.executable, "-m", "backend", "--db", str(tmp_path / "cc.db"), *a],  # noqa: E731
                                    cwd=ROOT, capture_output=True, text=True, timeout=60)
    res = run("audit", "export", "--since", "1700001000", "--until", "1700003000", "--out", str(out))
    assert res.returncode == 0, res.stderr
    rows = audit.read_rows(out)
    assert [r["seq"] for r in rows] == list(range(11, 31))
    assert run("audit", "verify", "--file", str(out)).returncode == 0
    text = out.read_text(encoding="utf-8")
    out.write_text(text.replace("user3", "user9", 1), encoding="utf-8")
    res = run("audit", "verify", "--file", str(out))
    assert res.returncode == 1 and "row edited" in res.stderr
    assert run("audit", "export", "--since", "yesterday-ish", "--out", str(out)).returncode == 1
