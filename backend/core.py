"""The backend core: in-memory state over the durable store, the ordered change stream, command dispatch.

Usage (what the hub, the demo city, the relay supervisor and tests call)::

    core = Core("cc.db", centre="yk")          # or: async with Core(path) as core:
    await core.start()
    await core.publish([Change("alerts", "upsert", "A-1", {...})], actor="demo")
    await core.update("units", "U-3", {"lat": 28.9}, actor="demo")
    await core.close()

Every change is committed (group commit, synchronous=FULL) before the in-memory state is updated,
subscribers are called and the submitter's await returns; all of that happens in seq order.
"""
from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from backend import auth, store
from backend.auth import User
from backend.store import StoreUnavailable

HOLD_LIMIT = 10_000  # writes held in memory while the disk refuses them; beyond this, refused (unavailable)

log = logging.getLogger(__name__)

DEFAULT_LAYOUTS_DIR = Path(__file__).resolve().parent.parent / "layouts"
Handler = Callable[["Core", User, dict], Awaitable[Any]]


@dataclass(frozen=True)
class Change:
    """One change to one record. ``op``: "upsert" (``data`` is the whole new record) or "delete"."""

    entity: str
    op: str
    key: str
    data: dict | None = None


class CommandError(Exception):
    """A refused or failed command; ``code`` is one of the protocol's result error codes."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class _PendingAudit:
    """The audit row of the command being handled; rides on the handler's first publish."""

    def __init__(self, record: dict):
        self.record, self.attached = record, False


_command_audit: contextvars.ContextVar[_PendingAudit | None] = contextvars.ContextVar("cc_command_audit",
                                                                                      default=None)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class Core:
    """State + change stream + commands of one centre.

    Attributes:
        centre: the centre id, prefix of every event id ("yk").
        head_seq: seq of the last committed (and applied) event.
        layouts_dir: the folder of wall scenes (layouts/*.json).
        relay_url: base URL of the camera relay ("" when there is none), sent to clients in auth_ok.
        relay_service_token: ``(name) -> token`` for the backend's own pulls from the relay (user ``svc:NAME``,
            in memory only, rotated at each start: backend/relay/supervisor.py), or None without a relay.
        db_path: the SQLite file. With a PostgreSQL store: the local SQLite file that keeps users and
            sessions only (beside the state directory's keys and TLS files).
        store: the ``store.Store`` holding events, records, audit, camera sources and quarantine (the
            SQLite file, or PostgreSQL when ``store_url`` is a ``postgresql://`` URL).
        store_status: {"state": "ok"|"fault", "reason": ""|"disk_full"|"read_only"|"io_error", "detail",
            "since"} — while "fault", writes are held (up to ``hold_limit``) and commands refused.
    """

    def __init__(self, db_path: str | Path, centre: str = "yk", layouts_dir: str | Path | None = None, *,
                 max_batch_changes: int = store.MAX_BATCH_CHANGES,
                 max_batch_delay: float = store.MAX_BATCH_DELAY, clock: Callable[[], float] = time.time,
                 hold_limit: int = HOLD_LIMIT, probe_interval: float = store.PROBE_INTERVAL,
                 store_url: str | None = None, state_dir: str | Path | None = None):
        if store.is_url(str(db_path)):  # Core("postgresql://…", state_dir=…)
            if state_dir is None:
                raise ValueError("a PostgreSQL store needs state_dir (the local folder for users, sessions, keys)")
            store_url, db_path = str(db_path), Path(state_dir) / "cc.db"
        if store_url is not None and not store.is_url(store_url):
            raise ValueError(f"store_url {store_url!r}: expected postgresql://…")
        self.db_path = Path(db_path)
        self.store: store.Store = store.open_store(store_url if store_url else self.db_path)
        self.centre = centre
        self.layouts_dir = Path(layouts_dir) if layouts_dir else DEFAULT_LAYOUTS_DIR
        self.relay_url = ""
        self.relay_service_token: Callable[[str], str] | None = None
        self.relay_sync: Callable[[], Awaitable[None]] | None = None  # push sources to the relay now (the cli sets it)
        self.head_seq = 0
        self._batch = (max_batch_changes, max_batch_delay)
        self._clock, self._hold_limit, self._probe_interval = clock, hold_limit, probe_interval
        self.store_status: dict = {"state": "ok", "reason": "", "detail": "", "since": time.time()}
        self._status_subscribers: list[Callable[[dict], None]] = []
        self._sealer = None
        self._state: dict[str, dict[str, dict]] = {}
        self._sources: list[dict] = []
        self._pending: dict[tuple[str, str], list] = {}  # (entity, key) -> [latest record or None, count]
        self._subscribers: list[Callable[[dict], None]] = []
        self._actions: dict[str, tuple[frozenset[str], Handler]] = {}
        self._publish_guards: list[Callable[[list[Change]], None]] = []
        self._futures: dict[int, asyncio.Future] = {}
        self._writer: store.Writer | None = None
        self._reader: sqlite3.Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- life --------------------------------------------------------------------------------------
    async def start(self) -> "Core":
        self._loop = asyncio.get_running_loop()
        from backend.secrets import Sealer, is_sealed

        await asyncio.to_thread(store.create_schema, self.db_path)  # users and sessions live here
        if self.store.kind != "sqlite":
            await asyncio.to_thread(self.store.create_schema)
        await asyncio.to_thread(self.store.open)
        self.head_seq, self._state, self._sources = await asyncio.to_thread(self.store.load_state)
        self._sealer = await asyncio.to_thread(Sealer.for_state_dir, self.db_path.resolve().parent)
        self._reader = store.connect(self.db_path)
        self._writer = store.Writer(self.store, self.centre, self.head_seq, self._on_batch, *self._batch,
                                    status=self._on_status, clock=self._clock,
                                    probe_interval=self._probe_interval)
        self._writer.start()
        plain = [s for s in self._sources if any(v and not is_sealed(v) for v in (s["url"], s["sub_url"]))
                 or isinstance(s.get("ptz"), dict)]
        if plain:  # a database from before secrets were sealed: seal them now
            await self.set_camera_sources(self.camera_sources())
            log.info("camera sources: sealed %d stored in plain text", len(plain))
        log.info("store %s: head seq %d, %s", self.store.location, self.head_seq,
                 ", ".join(f"{len(v)} {k}" for k, v in self._state.items()))
        return self

    async def close(self) -> None:
        """Commit what was submitted, apply it, then release the store."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.stop()
            await asyncio.to_thread(writer.join)
            await asyncio.sleep(0)  # let the last batch's callback run
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await asyncio.to_thread(self.store.close)

    async def __aenter__(self) -> "Core":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # -- reading -----------------------------------------------------------------------------------
    def get(self, entity: str, key: str) -> dict | None:
        """A copy of the committed record, or None."""
        record = self._state.get(entity, {}).get(key)
        return dict(record) if record is not None else None

    def all(self, entity: str) -> list[dict]:
        return [dict(r) for r in self._state.get(entity, {}).values()]

    def snapshot(self) -> tuple[int, dict[str, list[dict]]]:
        """(head seq, {entity: [records]}) — the live objects: encode them at once, never mutate them."""
        return self.head_seq, {entity: list(records.values()) for entity, records in self._state.items()}

    def camera_sources(self) -> list[dict]:
        """Private: [{"id", "url", "sub_url", "ptz"}], opened from their sealed form (backend/secrets.py)
        for the relay's control channel. Never send to clients or log."""
        if self._sealer is None:
            raise RuntimeError("core is not running (call start())")
        return [self._sealer.open_source(s) for s in self._sources]

    def token_hashes(self) -> dict[str, str]:
        """{sha256 hex of token: user name} of every unexpired session of an enabled user (for the camera relay)."""
        return auth.token_hashes(self._require_reader())

    def authenticate(self, token: str) -> User | None:
        return auth.lookup(self._require_reader(), token)

    # -- change stream -----------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[dict], None]) -> None:
        """``callback(event)`` after each commit, in seq order, on the event loop. Do not mutate event."""
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Callable[[dict], None]) -> None:
        try:
            self._subscribers.remove(callback)
        except ValueError:
            pass

    def subscribe_status(self, callback: Callable[[dict], None]) -> None:
        """``callback(store_status)`` on the event loop whenever the store goes into or out of a fault."""
        self._status_subscribers.append(callback)

    def unsubscribe_status(self, callback: Callable[[dict], None]) -> None:
        if callback in self._status_subscribers:
            self._status_subscribers.remove(callback)

    def _on_status(self, status: dict) -> None:  # writer thread
        try:
            self._loop.call_soon_threadsafe(self._set_status, status)  # type: ignore[union-attr]
        except RuntimeError:
            pass

    def _set_status(self, status: dict) -> None:
        self.store_status = dict(status)
        for callback in list(self._status_subscribers):
            try:
                callback(dict(status))
            except Exception:
                log.exception("store status subscriber %r failed", callback)

    async def publish(self, changes: list[Change], actor: str = "system", audit: dict | None = None) -> list[dict]:
        """Commit the changes durably (and the audit row, same transaction); return their events."""
        for guard in self._publish_guards:
            guard(changes)  # may raise CommandError (e.g. a record owned by another centre)
        prepared = [self._prepare(ch) for ch in changes]
        pending = _command_audit.get()
        if audit is None and pending is not None and not pending.attached and prepared:
            audit, pending.attached = pending.record, True
        if not prepared and audit is None:
            return []
        if audit is not None:
            audit = {**audit, "args": json.loads(_dumps(audit.get("args") or {}))}
        for entity, _op, key, _text, record in prepared:
            slot = self._pending.setdefault((entity, key), [None, 0])
            slot[0], slot[1] = record, slot[1] + 1
        item = store.WriteItem(prepared, actor, audit)
        return (await self._submit(item)).events

    def add_publish_guard(self, guard: Callable[[list[Change]], None]) -> None:
        """``guard(changes)`` runs before every publish and may refuse it by raising (federation: only the
        owning centre changes a record)."""
        self._publish_guards.append(guard)

    async def update(self, entity: str, key: str, fields: dict, actor: str = "system", *,
                     create: bool = True) -> dict | None:
        """Merge ``fields`` into the current record, publish it, return it. The current record is the latest
        one published, committed or not: a record whose delete is still being committed is absent. An absent
        record is created; with ``create=False`` it stays absent (nothing published, None returned), so a
        change about a record (health, a status) cannot bring back one that was just deleted."""
        slot = self._pending.get((entity, key))
        base = slot[0] if slot is not None else self._state.get(entity, {}).get(key)
        if base is None and not create:
            return None
        record = {**(base or {"id": key}), **fields}
        events = await self.publish([Change(entity, "upsert", key, record)], actor)
        return dict(events[0]["data"])

    async def quarantine(self, row: dict, notice: Change | None = None, actor: str = "system") -> list[dict]:
        """Keep a refused input in the private ``quarantine`` table (id, ts, origin, reason, sha256, size,
        payload), with an optional notice published in the same transaction; returns the notice's events."""
        prepared = [self._prepare(notice)] if notice is not None else []
        return (await self._submit(store.WriteItem(prepared, actor, None, quarantine=[row]))).events

    async def set_camera_sources(self, sources: list[dict]) -> None:
        """Replace the private camera sources table (id, url, sub_url, ptz); sealed before they are stored."""
        if self._sealer is None:
            raise RuntimeError("core is not running (call start())")
        await self._submit(store.WriteItem([], "system", None, [self._sealer.seal_source(s) for s in sources]))

    def _prepare(self, ch: Change) -> tuple:
        if not isinstance(ch, Change):
            raise TypeError(f"expected a Change, got {type(ch).__name__}")
        if not store.ENTITY_NAME.match(ch.entity) or ch.entity in store.RESERVED_TABLES:
            raise ValueError(f"{ch.entity!r}: not a publishable entity")
        if not isinstance(ch.key, str) or not ch.key:
            raise ValueError(f"{ch.entity}: key must be a non-empty string, got {ch.key!r}")
        if ch.op == "delete":
            return ch.entity, "delete", ch.key, None, None
        if ch.op != "upsert" or not isinstance(ch.data, dict):
            raise ValueError(f"{ch.entity}/{ch.key}: op must be upsert (with a dict) or delete, got {ch.op!r}")
        data = ch.data if "id" in ch.data else {"id": ch.key, **ch.data}
        if data["id"] != ch.key:
            raise ValueError(f"{ch.entity}/{ch.key}: data.id {data['id']!r} differs from the key")
        text = _dumps(data)  # raises here, in the caller, for data that is not JSON
        return ch.entity, "upsert", ch.key, text, json.loads(text)

    async def _submit(self, item: store.WriteItem) -> store.WriteItem:
        if self._writer is None or self._loop is None or not self._writer.is_alive():
            raise RuntimeError("core is not running (call start(); or the store writer stopped)")
        if self.store_status["state"] != "ok" and len(self._futures) >= self._hold_limit:
            reason = self.store_status["reason"]
            raise StoreUnavailable(reason, f"store unavailable ({reason}); {len(self._futures)} writes already held")
        fut = self._loop.create_future()
        self._futures[id(item)] = fut
        self._writer.submit(item)
        return await fut

    def _on_batch(self, batch: list[store.WriteItem]) -> None:  # writer thread
        try:
            self._loop.call_soon_threadsafe(self._apply, batch)  # type: ignore[union-attr]
        except RuntimeError:  # loop already closed: the data is committed anyway
            pass

    def _apply(self, batch: list[store.WriteItem]) -> None:  # event loop, in commit order
        for item in batch:
            for entity, _op, key, _text, _record in item.changes:
                slot = self._pending.get((entity, key))
                if slot is not None:
                    slot[1] -= 1
                    if slot[1] <= 0:
                        del self._pending[(entity, key)]
            fut = self._futures.pop(id(item), None)
            if item.error is not None:
                log.error("store: commit failed: %s", item.error)
                if fut is not None and not fut.done():
                    fut.set_exception(item.error if isinstance(item.error, StoreUnavailable)
                                      else RuntimeError(f"store commit failed: {item.error}"))
                continue
            for event in item.events:
                records = self._state.setdefault(event["entity"], {})
                if event["op"] == "upsert":
                    records[event["key"]] = event["data"]
                else:
                    records.pop(event["key"], None)
                self.head_seq = event["seq"]
                for callback in list(self._subscribers):
                    try:
                        callback(event)
                    except Exception:
                        log.exception("subscriber %r failed on seq %d", callback, event["seq"])
            if item.camera_sources is not None:
                self._sources = [dict(s) for s in item.camera_sources]
            if fut is not None and not fut.done():
                fut.set_result(item)

    # -- commands and audit ------------------------------------------------------------------------
    def register_action(self, action: str, roles: set[str], handler: Handler) -> None:
        """``async handler(core, user, args) -> JSON-able result``; raise CommandError(code, message)."""
        self._actions[action] = (frozenset(roles), handler)

    def actions_for(self, role: str) -> list[str]:
        return sorted(a for a, (roles, _h) in self._actions.items() if role in roles)

    async def audit(self, user: str, role: str, action: str, args: dict, ok: bool, detail: str = "") -> None:
        """Append one hash-chained audit row (its own transaction).

        While the store is in a fault the row is queued with the held writes and this returns at once
        (a login or a view must not wait for the disk; the row is committed, in order, on recovery).
        """
        record = {"user": user, "role": role, "action": action, "args": json.loads(_dumps(args or {})),
                  "ok": bool(ok), "detail": detail}
        submitted = self._submit(store.WriteItem([], user or "system", record))
        if self.store_status["state"] == "ok":
            await submitted
            return
        task = asyncio.ensure_future(submitted)
        task.add_done_callback(lambda t: t.cancelled() or t.exception() is None or log.error(
            "held audit row %s by %s not stored: %s", action, user, t.exception()))
        await asyncio.sleep(0)  # let it reach the writer queue now, in submission order

    async def run_command(self, user: User, action: str, args: dict) -> Any:
        """Role check (deny by default), handler, audit row with the handler's first change.

        While the store refuses writes, every command is refused at once (``unavailable``): nothing
        can be audited, so nothing is done; the refusal goes to the log instead.
        """
        if self.store_status["state"] != "ok":
            reason = self.store_status["reason"]
            log.warning("command %s by %s refused: store unavailable (%s)", action, user.name, reason)
            raise CommandError("unavailable", f"store unavailable ({reason}); command not executed, try again")
        spec = self._actions.get(action)
        if spec is None:
            await self.audit(user.name, user.role, action, args, False, "unknown_action")
            raise CommandError("unknown_action", f"unknown action {action!r}")
        roles, handler = spec
        if user.role not in roles:
            await self.audit(user.name, user.role, action, args, False, "forbidden")
            raise CommandError("forbidden", f"role {user.role} may not {action}")
        pending = _PendingAudit({"user": user.name, "role": user.role, "action": action, "args": args,
                                 "ok": True, "detail": ""})
        token = _command_audit.set(pending)
        failure: CommandError | None = None
        try:
            result = await handler(self, user, args)
            _dumps(result)
        except CommandError as exc:
            failure = exc
        except StoreUnavailable as exc:
            failure = CommandError("unavailable", f"store unavailable ({exc.reason}); try again")
        except Exception as exc:
            log.exception("action %s failed", action)
            failure = CommandError("internal", f"internal error ({type(exc).__name__})")
        finally:
            _command_audit.reset(token)
        if failure is not None:
            detail = f"{failure.code}: {failure.message}"
            if pending.attached:
                detail = "failed after its changes were committed: " + detail
            try:
                await self.audit(user.name, user.role, action, args, False, detail[:500])
            except StoreUnavailable:
                log.warning("command %s by %s failed (%s); audit row not writable now", action, user.name, detail)
            raise failure
        if not pending.attached:
            await self.audit(user.name, user.role, action, args, True)
        return result

    def _require_reader(self) -> sqlite3.Connection:
        if self._reader is None:
            raise RuntimeError("core is not running (call start())")
        return self._reader
