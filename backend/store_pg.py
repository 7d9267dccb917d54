"""The PostgreSQL store (psycopg 3): the same tables, seqs, group commit and audit chain as SQLite's.

For a city centre with many consoles and years of history. The backend's single writer (backend/store.py
``Writer``) still assigns every seq inside its one transaction per batch, so seqs stay gap-free; an
advisory lock (``open``) keeps a second backend from writing to the same database. Entity and event data
are JSONB (read back as text, so the rest of the code sees what SQLite gives); audit rows keep their
canonical text so ``cc-backend audit verify`` checks the same hashes on either engine.

Users, sessions, keys and TLS files are NOT here: they stay in the local SQLite file of the state
directory (backend/auth.py, backend/sessions.py, backend/secrets.py work on files).
"""
from __future__ import annotations

import json
import logging
import re
import time
from typing import Any, Iterable, Sequence

import psycopg
from psycopg import errors as pgerrors
from psycopg.pq import TransactionStatus
from psycopg.types.string import TextLoader

from backend.store import ENTITY_NAME, RESERVED_TABLES, STANDARD_ENTITIES, StoreUnavailable

log = logging.getLogger(__name__)

LOCK_KEY = 0x63635F6261636B  # pg advisory lock id of "the backend that writes this database"
CONNECT_TIMEOUT = 10  # seconds
LOCK_WAIT = 15.0  # seconds to wait for the writer lock (a killed backend's session takes a moment to end)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (seq BIGINT PRIMARY KEY, eid TEXT NOT NULL UNIQUE,
    ts DOUBLE PRECISION NOT NULL, actor TEXT, entity TEXT NOT NULL, op TEXT NOT NULL, key TEXT NOT NULL,
    data JSONB);
CREATE INDEX IF NOT EXISTS events_entity_key ON events (entity, key);
CREATE TABLE IF NOT EXISTS layouts (name TEXT PRIMARY KEY, data TEXT, updated DOUBLE PRECISION);
CREATE TABLE IF NOT EXISTS audit (seq BIGINT PRIMARY KEY, ts DOUBLE PRECISION, "user" TEXT, role TEXT,
    action TEXT, args TEXT, ok INTEGER, detail TEXT, prev_hash TEXT, hash TEXT);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
CREATE TABLE IF NOT EXISTS camera_sources (id TEXT PRIMARY KEY, url TEXT, sub_url TEXT, ptz TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS quarantine (id TEXT PRIMARY KEY, ts DOUBLE PRECISION NOT NULL, origin TEXT NOT NULL,
    reason TEXT NOT NULL, sha256 TEXT NOT NULL, size BIGINT NOT NULL, payload BYTEA);
"""

_PLACEHOLDER = re.compile(r"\?")


def _pg_sql(sql: str, has_params: bool) -> str:
    """sqlite3's dialect as used in this code base → PostgreSQL's: ``?`` → ``%s``, BEGIN IMMEDIATE → BEGIN."""
    if sql.startswith("BEGIN IMMEDIATE"):
        return "BEGIN"
    if sql.startswith("INSERT OR IGNORE"):
        sql = "INSERT" + sql[len("INSERT OR IGNORE"):] + " ON CONFLICT DO NOTHING"
    if not has_params:
        return sql
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


def redact(url: str) -> str:
    """The URL without its password (for logs and messages)."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


class PgConnection:
    """A psycopg connection with the surface of an autocommit sqlite3 connection.

    ``execute(sql, params)`` takes ``?`` placeholders; transactions are the statements BEGIN [IMMEDIATE] /
    COMMIT / ROLLBACK; ``in_transaction`` as in sqlite3. JSONB columns come back as text.
    """

    def __init__(self, url: str):
        self._conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
        self._conn.adapters.register_loader("jsonb", TextLoader)
        self._conn.adapters.register_loader("json", TextLoader)

    def execute(self, sql: str, params: Sequence[Any] | dict | None = ()) -> psycopg.Cursor:
        return self._conn.execute(_pg_sql(sql, bool(params)), params or None)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> psycopg.Cursor:
        cur = self._conn.cursor()
        cur.executemany(_pg_sql(sql, True), list(seq))
        return cur

    def executescript(self, script: str) -> None:
        self._conn.execute(script)

    def commit(self) -> None:
        if self.in_transaction:
            self._conn.execute("COMMIT")

    def pipeline(self):
        """psycopg's pipeline mode: statements go out without waiting for each answer (errors surface at
        the end of the block or at the next fetch)."""
        return self._conn.pipeline()

    @property
    def in_transaction(self) -> bool:
        return self._conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)

    @property
    def raw(self) -> psycopg.Connection:
        return self._conn

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "PgConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def fault_kind(exc: BaseException) -> str | None:
    """The store's fault vocabulary for PostgreSQL: a server that is full, read-only or unreachable is
    a fault to wait out (``disk_full`` / ``read_only`` / ``io_error``); an error of the data is not."""
    if isinstance(exc, pgerrors.DiskFull) or isinstance(exc, pgerrors.InsufficientResources):
        return "disk_full"
    if isinstance(exc, pgerrors.ReadOnlySqlTransaction):
        return "read_only"
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        return "io_error"  # connection refused or lost, server shutting down, I/O error on the server
    if isinstance(exc, OSError):
        return "io_error"
    return None


class PgStore:
    """The PostgreSQL store behind backend/store.py's ``Store`` interface."""

    kind = "postgresql"
    ambiguous_commit = True  # a connection lost during COMMIT leaves its outcome unknown (see store.Writer)

    def __init__(self, url: str, lock_wait: float = LOCK_WAIT):
        self.url, self.lock_wait = url, lock_wait
        self.location = redact(url)
        self._lock_conn: PgConnection | None = None

    def connect(self) -> PgConnection:
        return PgConnection(self.url)

    def create_schema(self) -> None:
        with self.connect() as conn:
            conn.execute("BEGIN")
            try:
                conn.execute("SELECT pg_advisory_xact_lock(%d)" % (LOCK_KEY + 1))  # one creator at a time
                conn.executescript(SCHEMA)
                for entity in STANDARD_ENTITIES:
                    self.ensure_entity_table(conn, entity)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def ensure_entity_table(self, conn: PgConnection, entity: str) -> None:
        if not ENTITY_NAME.match(entity) or entity in RESERVED_TABLES:
            raise ValueError(f"entity {entity!r}: not a valid entity table name")
        conn.execute(f'CREATE TABLE IF NOT EXISTS "{entity}" (id TEXT PRIMARY KEY, data JSONB NOT NULL, seq BIGINT)')

    def entity_tables(self, conn: PgConnection) -> list[str]:
        rows = conn.execute(
            "SELECT table_name, array_agg(column_name::text ORDER BY column_name) FROM information_schema.columns"
            " WHERE table_schema = current_schema() GROUP BY table_name").fetchall()
        return sorted(name for name, cols in rows
                      if name not in RESERVED_TABLES and sorted(cols) == ["data", "id", "seq"])

    def load_state(self) -> tuple[int, dict[str, dict[str, dict]], list[dict]]:
        with self.connect() as conn:
            head = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
            state: dict[str, dict[str, dict]] = {e: {} for e in STANDARD_ENTITIES}
            for table in self.entity_tables(conn):
                records = state.setdefault(table, {})
                for key, data in conn.execute(f'SELECT id, data FROM "{table}"'):
                    records[key] = json.loads(data)
            sources = [
                {"id": i, "url": u, "sub_url": s or "",
                 "ptz": (p if p.startswith("enc:") else json.loads(p)) if p else None}
                for i, u, s, p in conn.execute("SELECT id, url, sub_url, ptz FROM camera_sources ORDER BY id")
            ]
        return int(head), state, sources

    def read_events(self, after: int, upto: int, limit: int = 1000) -> list[dict]:
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT seq, eid, ts, actor, entity, op, key, data FROM events WHERE seq > ? AND seq <= ?"
                " ORDER BY seq LIMIT ?", (after, upto, limit)).fetchall()
        return [{"seq": s, "eid": e, "ts": t, "actor": a, "entity": n, "op": o, "key": k,
                 "data": json.loads(d) if d is not None else None} for s, e, t, a, n, o, k, d in rows]

    def fault_kind(self, exc: BaseException) -> str | None:
        return fault_kind(exc)

    def open(self) -> None:
        """Take the writer's advisory lock for this process's life (a session lock: released by the server
        when this process dies, however it dies)."""
        if self._lock_conn is not None:
            return
        try:
            conn = self.connect()
        except psycopg.Error as exc:
            raise StoreUnavailable("io_error", f"{self.location}: cannot connect ({exc})".strip()) from exc
        deadline = time.monotonic() + self.lock_wait
        while not conn.execute("SELECT pg_try_advisory_lock(%d)" % LOCK_KEY).fetchone()[0]:
            if time.monotonic() > deadline:
                conn.close()
                raise StoreLocked(f"{self.location}: another backend is writing to this database")
            time.sleep(0.2)
        self._lock_conn = conn

    def close(self) -> None:
        conn, self._lock_conn = self._lock_conn, None
        if conn is not None:
            try:
                conn.close()
            except psycopg.Error:
                pass


class StoreLocked(RuntimeError):
    """Another backend holds the database's writer lock."""
