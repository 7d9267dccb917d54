"""The durable store: one SQLite file (WAL), or PostgreSQL (backend/store_pg.py), with a group-committing
writer thread.

``open_store(target)`` gives the ``Store`` for a file path or a ``postgresql://`` URL: what the Core needs
(schema, load state, read events, connections for the writer, how to tell a fault of the disk from one of
the data). SQLite's schema is created through sqlite-utils. All writes of the running backend go through ``Writer``: a
dedicated thread with its own connection that takes queued ``WriteItem``s, commits up to 500 changes
(or whatever arrived within 10 ms) in ONE transaction with synchronous=FULL, assigns the event seqs
inside that transaction, and only then hands the committed items back to the event loop, in order.
"""
from __future__ import annotations

import contextlib
import errno
import json
import logging
import queue
import re
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable

import sqlite_utils

from backend import audit as audit_log

log = logging.getLogger(__name__)

STANDARD_ENTITIES = ("alerts", "incidents", "units", "cameras", "sensors", "walls")
RESERVED_TABLES = frozenset({"events", "layouts", "users", "audit", "camera_sources", "meta", "quarantine"})
ENTITY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
MAX_BATCH_CHANGES = 500
# Refused inputs (CAP documents …) with the reason and the first 64 KiB; never sent to clients.
QUARANTINE_DDL = (
    'CREATE TABLE IF NOT EXISTS "quarantine" (id TEXT PRIMARY KEY, ts REAL NOT NULL, origin TEXT NOT NULL,'
    " reason TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, payload BLOB)"
)
MAX_BATCH_DELAY = 0.010
FAULT_RETRY = 0.5  # seconds between attempts while the disk refuses writes
PROBE_INTERVAL = 1.0  # an idle writer checks the disk still takes writes this often
GIVE_UP_ON_STOP = 5.0  # a stopping writer stuck on a fault fails what it holds after this long


class StoreUnavailable(RuntimeError):
    """The store cannot take writes now (disk full, read-only, I/O errors); ``reason`` says which."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or f"store unavailable: {reason}")
        self.reason = reason


def fault_kind(exc: BaseException) -> str | None:
    """``disk_full`` / ``read_only`` / ``io_error`` for an error of the disk (not of the data), else None."""
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
        text = str(exc).lower()
        if "disk is full" in text:
            return "disk_full"
        if "readonly" in text or "read-only" in text:
            return "read_only"
        if "disk i/o" in text or "unable to open" in text or "malformed" in text:
            return "io_error"
    if isinstance(exc, OSError):
        return {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.EROFS: "read_only"}.get(
            exc.errno, "io_error")
    return None


def connect(path: str | Path, timeout: float = 30.0) -> sqlite3.Connection:
    """A connection with the store's pragmas; autocommit mode, transactions are explicit."""
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    return conn


def create_schema(path: str | Path) -> None:
    """Create every table and index that is missing (idempotent)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        db = sqlite_utils.Database(conn)
        if "events" not in db.table_names():
            db["events"].create(
                {"seq": int, "eid": str, "ts": float, "actor": str, "entity": str, "op": str, "key": str,
                 "data": str},
                pk="seq", not_null={"eid", "ts", "entity", "op", "key"},
            )
            db["events"].create_index(["eid"], unique=True)
        for entity in STANDARD_ENTITIES:
            ensure_entity_table(conn, entity)
        db["layouts"].create({"name": str, "data": str, "updated": float}, pk="name", if_not_exists=True)
        db["users"].create(
            {"name": str, "role": str, "token_sha256": str, "created": float, "disabled": int},
            pk="name", not_null={"role", "token_sha256"}, defaults={"disabled": 0}, if_not_exists=True,
        )
        db["users"].create_index(["token_sha256"], unique=True, if_not_exists=True)
        db["audit"].create(
            {"seq": int, "ts": float, "user": str, "role": str, "action": str, "args": str, "ok": int,
             "detail": str, "prev_hash": str, "hash": str},
            pk="seq", if_not_exists=True,
        )
        db["camera_sources"].create({"id": str, "url": str, "sub_url": str, "ptz": str}, pk="id",
                                    if_not_exists=True)
        db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
        conn.execute(QUARANTINE_DDL)
    finally:
        conn.close()


def ensure_entity_table(conn: sqlite3.Connection, entity: str) -> None:
    if not ENTITY_NAME.match(entity) or entity in RESERVED_TABLES:
        raise ValueError(f"entity {entity!r}: not a valid entity table name")
    conn.execute(f'CREATE TABLE IF NOT EXISTS "{entity}" (id TEXT PRIMARY KEY, data TEXT NOT NULL, seq INTEGER)')


def load_state(path: str | Path) -> tuple[int, dict[str, dict[str, dict]], list[dict]]:
    """(head seq, {entity: {key: record}}, camera sources) as committed on disk."""
    conn = connect(path)
    try:
        db = sqlite_utils.Database(conn)
        head = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        state: dict[str, dict[str, dict]] = {e: {} for e in STANDARD_ENTITIES}
        for table in db.tables:
            if table.name in RESERVED_TABLES or set(table.columns_dict) != {"id", "data", "seq"}:
                continue
            records = state.setdefault(table.name, {})
            for key, data in conn.execute(f'SELECT id, data FROM "{table.name}"'):
                records[key] = json.loads(data)
        sources = [  # as stored: url, sub_url and ptz are sealed text (backend/secrets.py) or older plain values
            {"id": i, "url": u, "sub_url": s or "", "ptz": (p if p.startswith("enc:") else json.loads(p)) if p else None}
            for i, u, s, p in conn.execute("SELECT id, url, sub_url, ptz FROM camera_sources ORDER BY id")
        ]
        return head, state, sources
    finally:
        conn.close()


def read_events(path: str | Path, after: int, upto: int, limit: int = 1000) -> list[dict]:
    """Committed events with after < seq <= upto, in order, at most ``limit`` of them."""
    conn = connect(path)
    try:
        rows = conn.execute(
            "SELECT seq, eid, ts, actor, entity, op, key, data FROM events WHERE seq > ? AND seq <= ?"
            " ORDER BY seq LIMIT ?", (after, upto, limit),
        ).fetchall()
    finally:
        conn.close()
    return [
        {"seq": s, "eid": e, "ts": t, "actor": a, "entity": n, "op": o, "key": k,
         "data": json.loads(d) if d is not None else None}
        for s, e, t, a, n, o, k, d in rows
    ]


@runtime_checkable
class Store(Protocol):
    """What the Core needs of a store. ``connect()`` gives a connection with sqlite3's surface (``execute``
    with ``?`` placeholders, ``executemany``, ``in_transaction``, ``close``; ``BEGIN IMMEDIATE`` / ``COMMIT``
    / ``ROLLBACK`` as statements) so the writer and the audit chain run the same SQL on either engine."""

    kind: str  # "sqlite" | "postgresql"
    location: str  # the file, or the URL without its password

    def create_schema(self) -> None: ...
    def load_state(self) -> tuple[int, dict[str, dict[str, dict]], list[dict]]: ...
    def read_events(self, after: int, upto: int, limit: int = 1000) -> list[dict]: ...
    def connect(self) -> Any: ...
    def ensure_entity_table(self, conn: Any, entity: str) -> None: ...
    def fault_kind(self, exc: BaseException) -> str | None: ...
    def open(self) -> None: ...  # claim the store for this backend (PostgreSQL: an advisory lock)
    def close(self) -> None: ...


class SqliteStore:
    """The SQLite store: one file in WAL mode (the single-backend default)."""

    kind = "sqlite"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.location = str(path)

    def create_schema(self) -> None:
        create_schema(self.path)

    def load_state(self) -> tuple[int, dict[str, dict[str, dict]], list[dict]]:
        return load_state(self.path)

    def read_events(self, after: int, upto: int, limit: int = 1000) -> list[dict]:
        return read_events(self.path, after, upto, limit)

    def connect(self) -> sqlite3.Connection:
        return connect(self.path)

    def ensure_entity_table(self, conn: sqlite3.Connection, entity: str) -> None:
        ensure_entity_table(conn, entity)

    def fault_kind(self, exc: BaseException) -> str | None:
        return fault_kind(exc)

    def open(self) -> None:  # the running-backend lock is the CLI's flock on DB.lock
        pass

    def close(self) -> None:
        pass


def is_url(target: Any) -> bool:
    """Whether ``target`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def open_store(target: "str | Path | Store") -> Store:
    """The store for a SQLite path or a ``postgresql://`` URL (a Store is returned as is)."""
    if is_url(target):
        from backend.store_pg import PgStore

        return PgStore(str(target))
    if isinstance(target, (str, Path)):
        return SqliteStore(target)
    return target


@dataclass
class WriteItem:
    """One submitter's unit of work: its changes, an optional audit row, private camera sources,
    quarantine rows."""

    changes: list[tuple[str, str, str, str | None, dict | None]]  # (entity, op, key, JSON text, record)
    actor: str = "system"
    audit: dict[str, Any] | None = None  # {user, role, action, args, ok, detail}
    camera_sources: list[dict] | None = None  # replaces the whole private table
    quarantine: list[dict] | None = None  # rows for the quarantine table (insert or ignore by id)
    on_done: Callable[["WriteItem"], None] | None = None
    events: list[dict] = field(default_factory=list)  # filled by the writer
    audit_row: dict[str, Any] | None = None
    error: BaseException | None = None


class Writer(threading.Thread):
    """The single writer: group commit OFF the event-loop thread.

    ``done(batch)`` is called from this thread after each commit (or failure), with the items in
    submission order; the Core turns it into one ``loop.call_soon_threadsafe`` call.

    Faults of the disk (full, read-only, I/O errors) do not fail anything: the writer reports
    ``status({"state": "fault", "reason": …})``, keeps the batch and everything queued behind it, retries
    every ``FAULT_RETRY`` s on a fresh connection, and reports ``{"state": "ok"}`` once a commit succeeds.
    An idle writer probes the disk every ``PROBE_INTERVAL`` s so a read-only disk is noticed at once.
    ``clock`` gives event timestamps (injectable; order is decided by seq alone).
    """

    def __init__(self, path: "str | Path | Store", centre: str, head_seq: int, done: Callable[[list[WriteItem]], None],
                 max_changes: int = MAX_BATCH_CHANGES, max_delay: float = MAX_BATCH_DELAY, *,
                 status: Callable[[dict], None] | None = None, clock: Callable[[], float] = time.time,
                 probe_interval: float = PROBE_INTERVAL):
        super().__init__(name="store-writer", daemon=True)
        self._db, self._centre, self._seq, self._done = open_store(path), centre, head_seq, done
        self._max_changes, self._max_delay = max_changes, max_delay
        self._status, self._clock, self._probe_interval = status, clock, probe_interval
        self._queue: queue.SimpleQueue[WriteItem | None] = queue.SimpleQueue()
        self._tables: set[str] = set()
        self._conn: Any = None
        self._stop_at: float | None = None
        self.fault: dict | None = None  # {"state": "fault", "reason", "detail", "since"} while the disk refuses
        self.batches = 0  # committed transactions, for tests and benchmarks
        self.largest_batch = 0  # most changes committed in one transaction
        # A server store can lose the connection during COMMIT, leaving its outcome unknown: each batch
        # writes a marker in the same transaction, and a retry of that batch first looks for it.
        self._marked = bool(getattr(self._db, "ambiguous_commit", False))
        self._attempt: tuple[list[WriteItem], str, int] | None = None  # (batch, marker, seq after it)

    def submit(self, item: WriteItem) -> None:
        self._queue.put(item)

    def stop(self) -> None:
        """Commit everything already submitted, then end the thread (a fault is waited out for a while)."""
        self._stop_at = time.monotonic()
        self._queue.put(None)

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # never leave a submitter waiting forever
            log.critical("store writer stopped: %s", exc)
            failed = []
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item.error, item.events = exc, []
                    failed.append(item)
            if failed:
                self._done(failed)
            raise

    def _run(self) -> None:
        self._conn = self._db.connect()
        try:
            stopping = busy = False
            while not stopping:
                try:
                    first = self._queue.get(timeout=self._probe_interval)
                except queue.Empty:
                    self._hold_until(self._probe)
                    continue
                if first is None:
                    break
                batch, count = [first], len(first.changes)
                # Linger only while busy (the previous batch had company): an idle submitter gets its
                # commit at once, a burst gets batches of up to max_changes within max_delay.
                deadline = time.monotonic() + (self._max_delay if busy else 0.0)
                while count < self._max_changes:
                    try:
                        nxt = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                    except queue.Empty:
                        break
                    if nxt is None:
                        stopping = True
                        break
                    batch.append(nxt)
                    count += len(nxt.changes)
                busy = len(batch) > 1
                self._commit(batch)
        finally:
            if self._conn is not None:
                self._conn.close()

    def _commit(self, batch: list[WriteItem]) -> None:
        try:
            self._hold_until(lambda: self._transaction(self._conn, batch))
        except StoreUnavailable as exc:
            for item in batch:
                item.error, item.events, item.audit_row = exc, [], None
        except Exception as exc:  # a bad item must not fail its neighbours: retry one by one
            log.error("store: batch of %d items failed (%s); retrying one by one", len(batch), exc)
            for item in batch:
                try:
                    self._hold_until(lambda: self._transaction(self._conn, [item]))
                except Exception as exc2:
                    item.error, item.events, item.audit_row = exc2, [], None
        self._done(batch)

    def _hold_until(self, attempt: Callable[[], None]) -> None:
        """Run ``attempt`` until it succeeds or fails for a reason other than the disk (re-raised)."""
        while True:
            try:
                attempt()
            except Exception as exc:
                kind = self._db.fault_kind(exc)
                if kind is None:
                    raise
                self._report_fault(kind, exc)
                if self._stop_at is not None and time.monotonic() - self._stop_at > GIVE_UP_ON_STOP:
                    raise StoreUnavailable(kind, f"store unavailable ({kind}) while stopping") from exc
                time.sleep(FAULT_RETRY)
                self._reopen()
                continue
            if self.fault is not None:
                log.warning("store: writes work again after %s (%.1f s)", self.fault["reason"],
                            time.time() - self.fault["since"])
                self.fault = None
                self._notify({"state": "ok", "reason": "", "detail": "", "since": time.time()})
            return

    def _report_fault(self, kind: str, exc: BaseException) -> None:
        if self.fault is not None and self.fault["reason"] == kind:
            return
        log.error("store: the disk refuses writes (%s: %s); holding writes and retrying", kind, exc)
        self.fault = {"state": "fault", "reason": kind, "detail": str(exc)[:200], "since": time.time()}
        self._notify(dict(self.fault))

    def _notify(self, status: dict) -> None:
        if self._status is not None:
            try:
                self._status(status)
            except Exception:
                log.exception("store status callback failed")

    def _reopen(self) -> None:
        try:
            if self._conn is not None:
                self._conn.close()
        except Exception:
            pass
        try:
            self._conn = self._db.connect()
        except Exception as exc:  # the next attempt fails on the closed connection and holds again
            log.debug("store: reopen failed: %s", exc)

    def _probe(self) -> None:
        """A tiny write transaction: is the disk still writable?"""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("INSERT INTO meta (key, value) VALUES ('writer_probe', ?) ON CONFLICT(key) DO UPDATE"
                         " SET value = excluded.value", (str(self._seq),))
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise

    def _transaction(self, conn: Any, batch: list[WriteItem]) -> None:
        if self._marked and self._attempt is not None and self._attempt[0] is batch:
            row = conn.execute("SELECT value FROM meta WHERE key = 'writer_batch'").fetchone()
            if row is not None and row[0] == self._attempt[1]:  # the lost COMMIT had gone through
                log.warning("store: batch of %d items was committed before the connection dropped", len(batch))
                self._finish(batch, self._attempt[2])
                return
        seq = self._seq
        conn.execute("BEGIN IMMEDIATE")
        try:
            with _pipeline(conn):  # PostgreSQL: send the batch's statements without a round trip each
                event_rows: list[tuple] = []
                runs: list[tuple[str, list[tuple]]] = []  # consecutive changes of one statement, in order
                for item in batch:
                    item.events, item.audit_row = [], None
                    ts = self._clock()
                    for entity, op, key, data, record in item.changes:
                        if entity not in self._tables:
                            self._db.ensure_entity_table(conn, entity)
                            self._tables.add(entity)
                        seq += 1
                        eid = f"{self._centre}-{seq}"
                        event_rows.append((seq, eid, ts, item.actor, entity, op, key, data))
                        if op == "upsert":
                            sql, row = (f'INSERT INTO "{entity}" (id, data, seq) VALUES (?,?,?) ON CONFLICT(id)'
                                        " DO UPDATE SET data = excluded.data, seq = excluded.seq", (key, data, seq))
                        else:
                            sql, row = f'DELETE FROM "{entity}" WHERE id = ?', (key,)
                        if runs and runs[-1][0] == sql:
                            runs[-1][1].append(row)
                        else:
                            runs.append((sql, [row]))
                        item.events.append({"seq": seq, "eid": eid, "ts": ts, "actor": item.actor,
                                            "entity": entity, "op": op, "key": key, "data": record})
                    if item.camera_sources is not None:
                        conn.execute("DELETE FROM camera_sources")
                        conn.executemany(
                            "INSERT INTO camera_sources (id, url, sub_url, ptz) VALUES (?,?,?,?)",
                            [(s["id"], s["url"], s.get("sub_url") or "",
                              s["ptz"] if isinstance(s.get("ptz"), str)  # sealed text (backend/secrets.py)
                              else json.dumps(s["ptz"]) if s.get("ptz") is not None else None)
                             for s in item.camera_sources],
                        )
                    if item.quarantine:
                        conn.executemany(
                            "INSERT INTO quarantine (id, ts, origin, reason, sha256, size, payload)"
                            " VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING",
                            [(q["id"], q["ts"], q["origin"], q["reason"], q["sha256"], q["size"], q.get("payload"))
                             for q in item.quarantine])
                    if item.audit is not None:
                        a = item.audit
                        item.audit_row = audit_log.append(conn, ts, a["user"], a["role"], a["action"],
                                                          a.get("args") or {}, a["ok"], a.get("detail", ""))
                if event_rows:
                    conn.executemany("INSERT INTO events (seq, eid, ts, actor, entity, op, key, data)"
                                     " VALUES (?,?,?,?,?,?,?,?)", event_rows)
                for sql, rows in runs:
                    conn.executemany(sql, rows)
            if self._marked:
                marker = f"{self._centre}-{seq}-{uuid.uuid4().hex}"
                conn.execute("INSERT INTO meta (key, value) VALUES ('writer_batch', ?) ON CONFLICT(key) DO UPDATE"
                             " SET value = excluded.value", (marker,))
                self._attempt = (batch, marker, seq)
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        self._finish(batch, seq)

    def _finish(self, batch: list[WriteItem], seq: int) -> None:
        self._attempt = None
        self._seq = seq
        self.batches += 1
        self.largest_batch = max(self.largest_batch, sum(len(item.changes) for item in batch))


def _pipeline(conn: Any):
    pipeline = getattr(conn, "pipeline", None)
    return pipeline() if pipeline is not None else contextlib.nullcontext()


def _rollback(conn: Any) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except Exception:  # after an I/O error SQLite may have rolled back already (PostgreSQL: connection gone)
        pass
