"""The client store: the hub's state as frozen models in one QObject that emits a signal per real change."""
from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any
from urllib.parse import quote

from PySide6.QtCore import QObject, Signal

from backend_client.client import AUTH_FAILED, OFFLINE, CommandFailed, HubClient
from backend_client.models import ENTITY_MODELS, Alert, Camera, Incident, Sensor, Unit, WallState
from backend_client.play_source import MulticastLeases, PlaySource, http_get, relay_path

log = logging.getLogger(__name__)

_TYPED_SIGNALS = {
    "alerts": "alert_changed", "incidents": "incident_changed", "units": "unit_changed",
    "cameras": "camera_changed", "sensors": "sensor_changed", "walls": "wall_changed",
}


class ClientStore(QObject):
    """Client-side cache of the hub's state, rebuilt from snapshot + events; the hub is the only writer.

    The store never changes state on a command result, only on the change events that follow it.
    Known entities hold frozen models (backend_client.models); unknown entities keep their dicts.

    Attributes:
        user, role, centre: from auth_ok ("" before). actions: frozenset of actions the role may do.
        seq: seq of the last snapshot/event applied (0 before the first). relay_url: camera relay base.
        token: the token given to start(), used for play URLs. connection: last connection state.
        synced: True once a snapshot has been applied.
    Signals:
        reset: a snapshot replaced everything (re-read the whole state).
        alert_changed(Alert), incident_changed(Incident), unit_changed(Unit), camera_changed(Camera),
        sensor_changed(Sensor), wall_changed(WallState): a record was added or really changed.
        alert_removed(str): an alert was deleted (id).
        entity_changed(str, str): (entity, key) added, changed or deleted, any entity incl. unknown ones.
        entity_removed(str, str): (entity, key) deleted, any entity.
        connection_changed(str): "connecting" | "online" | "offline" | "auth_failed".
        session_changed(): auth_ok arrived (user, role, centre, actions, relay_url set).
        command_failed(str, str): (action, message) a command was refused, timed out or could not be sent.
        command_requested(str, object): (action, args) a command is being sent (lets tests see intents).
        backend_status_changed(dict): the hub's transient status changed; ``backend_status`` holds
            {"store": "ok"|"fault", "reason", "detail", "since"} (reset to ok on each auth_ok).
        play_source_changed(str): a camera's play source changed (its multicast group was refused: it
            plays over HTTP now); a tile showing it asks ``play_source`` again.
    """

    reset = Signal()
    alert_changed = Signal(object)
    alert_removed = Signal(str)
    incident_changed = Signal(object)
    unit_changed = Signal(object)
    camera_changed = Signal(object)
    sensor_changed = Signal(object)
    wall_changed = Signal(object)
    entity_changed = Signal(str, str)
    entity_removed = Signal(str, str)
    connection_changed = Signal(str)
    session_changed = Signal()
    command_failed = Signal(str, str)
    command_requested = Signal(str, object)
    backend_status_changed = Signal(dict)
    play_source_changed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.user = self.role = self.centre = ""
        self.seq = 0
        self.actions: frozenset[str] = frozenset()
        self.relay_url = ""
        self.token = ""
        self.connection = OFFLINE
        self.synced = False
        self.backend_status: dict[str, Any] = {"store": "ok", "reason": "", "detail": "", "since": 0.0}
        self._state: dict[str, dict[str, Any]] = {}
        self._client: HubClient | None = None
        self._tasks: set[asyncio.Task] = set()
        self.multicast_iface: str | None = None  # None: never multicast; "": the route's interface; else its name
        self._leases: MulticastLeases | None = None

    # ---- reading -----------------------------------------------------------------------------
    def alerts(self) -> list[Alert]:
        """Most severe colour first, then newest first."""
        return sorted(self._values("alerts"), key=lambda a: (a.colour_rank, -(a.created or 0.0), a.id))

    def incidents(self) -> list[Incident]:
        """Most serious grade (Ⅰ) first, then newest first."""
        return sorted(self._values("incidents"), key=lambda i: (i.grade, -(i.created or 0.0), i.id))

    def units(self) -> list[Unit]:
        return sorted(self._values("units"), key=lambda u: u.id)

    def cameras(self) -> list[Camera]:
        return sorted(self._values("cameras"), key=lambda c: c.id)

    def sensors(self) -> list[Sensor]:
        return sorted(self._values("sensors"), key=lambda s: s.id)

    def wall(self, wall_id: str = "main") -> WallState | None:
        return self._state.get("walls", {}).get(wall_id)

    def get(self, entity: str, key: str) -> Any:
        """The model (or dict, for an unknown entity) stored under (entity, key), or None."""
        return self._state.get(entity, {}).get(key)

    def records(self, entity: str) -> dict[str, Any]:
        """A copy of key → record for one entity (known or not)."""
        return dict(self._state.get(entity, {}))

    def entities(self) -> list[str]:
        return sorted(self._state)

    def can(self, action: str) -> bool:
        return action in self.actions

    def play_url(self, camera_id: str, sub: bool = False) -> str:
        """The URL a tile plays: the camera's multicast group when this app uses multicast and the camera has
        one (its lease renewed from now on), else ``{relay}/cam/{id}.ts?token={token}`` (+ ``&stream=sub``)."""
        return self.play_source(camera_id, "sub" if sub else "main").url

    # ---- play sources (backend_client/play_source.py) ------------------------------------------
    def use_multicast(self, iface: str | None) -> None:
        """Play cameras from their relay multicast groups (``cc-app --multicast [IFACE]``); None: never."""
        self.multicast_iface = iface

    def play_source(self, camera_id: str, stream: str = "main", holder: object = None) -> PlaySource:
        """What to play now, without waiting: multicast (lease held for ``holder`` until ``release_play``) when
        configured and the camera has a group the relay did not refuse, else the relay's HTTP-TS URL."""
        group = self._multicast_group(camera_id, stream)
        if group:
            self._multicast_leases().hold(camera_id, stream, holder)
            options = (f":miface={self.multicast_iface}",) if self.multicast_iface else ()
            return PlaySource(group, options, "udp")
        return PlaySource(self.relay_url.rstrip("/") + relay_path(camera_id, self.token, stream))

    async def resolve_play_source(self, camera_id: str, stream: str = "main", holder: object = None,
                                  rtsp_ok: bool | None = None) -> PlaySource:
        """Like ``play_source``, but first asks the relay for the camera's own RTSP URL when this libvlc can play
        RTSP (``vlc_caps``) — the relay gives it only where allowed and to admins and wall operators (audited)."""
        if rtsp_ok is None:
            from backend_client import vlc_caps

            rtsp_ok = await asyncio.to_thread(vlc_caps.rtsp_client_available)
        if rtsp_ok and self.relay_url:
            path = f"/play/{quote(camera_id, safe='')}?token={quote(self.token, safe='')}&rtsp=1" + (
                "&stream=sub" if stream == "sub" else "")
            try:
                status, body = await http_get(self.relay_url, path)
            except (OSError, asyncio.TimeoutError, ValueError, IndexError) as exc:
                log.warning("play source of %s: relay not answering (%s)", camera_id, exc)
            else:
                if status == 200 and body.get("transport") == "rtsp-direct" and isinstance(body.get("url"), str):
                    return PlaySource(body["url"], (), "rtsp-direct")
        return self.play_source(camera_id, stream, holder)

    def release_play(self, camera_id: str, sub: bool = False, holder: object = None) -> None:
        """``holder`` stopped showing the camera: its multicast lease is no longer renewed for it."""
        if self._leases is not None:
            self._leases.release(camera_id, "sub" if sub else "main", holder)

    @property
    def multicast_leases(self) -> MulticastLeases | None:
        return self._leases

    def _multicast_group(self, camera_id: str, stream: str) -> str:
        if self.multicast_iface is None:
            return ""
        camera = self._state.get("cameras", {}).get(camera_id)
        group = getattr(camera, "sub_multicast_url" if stream == "sub" else "multicast_url", "") if camera else ""
        if not group or (self._leases is not None and (camera_id, stream) in self._leases.failed):
            return ""
        return group

    def _multicast_leases(self) -> MulticastLeases:
        if self._leases is None:
            self._leases = MulticastLeases(lambda: self.relay_url, lambda: self.token, self._lease_failed)
        return self._leases

    def _lease_failed(self, camera_id: str, stream: str, why: str) -> None:
        self.play_source_changed.emit(camera_id)

    @property
    def client(self) -> HubClient | None:
        return self._client

    def _values(self, entity: str) -> list[Any]:
        return list(self._state.get(entity, {}).values())

    # ---- applying hub messages ---------------------------------------------------------------
    def apply_message(self, msg: dict[str, Any]) -> None:
        """Apply one decoded server message (auth_ok, snapshot, event; others are ignored).

        Signals are emitted at once. An event replaces/deletes one record and sets ``seq``; it is
        applied as given (ordering and de-duplication are the HubClient's job). A malformed message
        raises ValueError naming the fault and changes nothing; in a snapshot, a record that cannot be
        read is skipped with a logged error and the rest is applied.
        """
        if not isinstance(msg, dict):
            raise ValueError(f"message: expected a dict, got {type(msg).__name__}")
        kind = msg.get("type")
        if kind == "event":
            self._apply_event(msg)
        elif kind == "snapshot":
            self._apply_snapshot(msg)
        elif kind == "auth_ok":
            self._apply_auth_ok(msg)
            if self.backend_status["store"] != "ok":  # a new session: the hub re-sends a fault if it lasts
                self._apply_status({"store": "ok"})
        elif kind == "status":
            self._apply_status(msg)
        elif kind in ("result", "error", "pong", "session"):
            return
        else:
            raise ValueError(f"message.type: unknown message type {kind!r}")

    def _apply_status(self, msg: dict[str, Any]) -> None:
        status = {"store": str(msg.get("store", "ok")), "reason": str(msg.get("reason", "")),
                  "detail": str(msg.get("detail", "")), "since": float(msg.get("since") or 0.0)}
        if status != self.backend_status:
            self.backend_status = status
            self.backend_status_changed.emit(dict(status))

    def _apply_auth_ok(self, msg: dict[str, Any]) -> None:
        actions = msg.get("actions") or []
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            raise ValueError(f"auth_ok.actions: expected a list of strings, got {actions!r:.60}")
        self.user = str(msg.get("user", ""))
        self.role = str(msg.get("role", ""))
        self.centre = str(msg.get("centre", ""))
        self.actions = frozenset(actions)
        self.relay_url = str(msg.get("relay") or "")
        if isinstance(msg.get("session"), str):  # a password login: play URLs carry the session token
            self.token = msg["session"]
        self.session_changed.emit()

    def _apply_snapshot(self, msg: dict[str, Any]) -> None:
        seq, state = msg.get("seq"), msg.get("state")
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise ValueError(f"snapshot.seq: expected an int, got {seq!r:.60}")
        if not isinstance(state, dict):
            raise ValueError(f"snapshot.state: expected an object, got {state!r:.60}")
        new: dict[str, dict[str, Any]] = {}
        for entity, rows in state.items():
            if not isinstance(rows, list):
                log.error("snapshot.state.%s: expected a list, got %.60r; skipped", entity, rows)
                continue
            table = new.setdefault(entity, {})
            for i, row in enumerate(rows):
                key = row.get("id") if isinstance(row, dict) else None
                if not isinstance(key, str):
                    log.error("snapshot.state.%s[%d]: no string id; skipped", entity, i)
                    continue
                try:
                    table[key] = _build(entity, key, row)
                except ValueError as exc:
                    log.error("snapshot.state.%s[%d]: %s; skipped", entity, i, exc)
        self._state = new
        self.seq = seq
        self.synced = True
        self.reset.emit()

    def _apply_event(self, msg: dict[str, Any]) -> None:
        seq, entity, op, key, data = (msg.get(k) for k in ("seq", "entity", "op", "key", "data"))
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise ValueError(f"event.seq: expected an int, got {seq!r:.60}")
        if not isinstance(entity, str) or not entity or not isinstance(key, str):
            raise ValueError(f"event {seq}: entity and key must be strings, got {entity!r:.40}/{key!r:.40}")
        if op == "upsert":
            value = _build(entity, key, data)
            self.seq = seq
            table = self._state.setdefault(entity, {})
            if table.get(key) == value:
                return
            table[key] = value
            name = _TYPED_SIGNALS.get(entity)
            if name:
                getattr(self, name).emit(value)
            self.entity_changed.emit(entity, key)
        elif op == "delete":
            self.seq = seq
            if self._state.get(entity, {}).pop(key, None) is None:
                return
            if entity == "alerts":
                self.alert_removed.emit(key)
            self.entity_removed.emit(entity, key)
            self.entity_changed.emit(entity, key)
        else:
            raise ValueError(f"event {seq}: op must be upsert or delete, got {op!r:.40}")

    # ---- intents -> commands -----------------------------------------------------------------
    def request_ack(self, alert_id: str) -> asyncio.Task | None:
        return self._request("alert.ack", {"id": alert_id})

    def request_take(self, layout: str, wall: str = "main") -> asyncio.Task | None:
        return self._request("wall.take", {"layout": layout, "wall": wall})

    def request_set_cell(self, index: int, camera_id: str, wall: str = "main") -> asyncio.Task | None:
        return self._request("wall.set_cell", {"index": index, "camera": camera_id, "wall": wall})

    def request_incident(self, title: str, category: str, grade: int, **kw: Any) -> asyncio.Task | None:
        """kw: township, lat, lon, alert_id (see PROTOCOL.md)."""
        return self._request("incident.create", {"title": title, "category": category, "grade": grade, **kw})

    def request(self, action: str, args: dict[str, Any] | None = None) -> asyncio.Task | None:
        """Fire-and-forget any command (failures arrive as command_failed); for feature modules."""
        return self._request(action, dict(args or {}))

    async def command(self, action: str, args: dict[str, Any] | None = None, *, timeout: float = 10.0,
                      report: bool = True) -> Any:
        """Send a command and return its result. On failure emit command_failed (if ``report``) and
        raise CommandFailed(code, message). The state changes only when the resulting event arrives."""
        args = dict(args or {})
        self.command_requested.emit(action, args)
        try:
            if self._client is None:
                raise CommandFailed("offline", "not connected to the hub", action)
            return await self._client.command(action, args, timeout=timeout)
        except CommandFailed as exc:
            if report:
                self.command_failed.emit(action, self._failure_text(exc))
            raise

    def _request(self, action: str, args: dict[str, Any]) -> asyncio.Task | None:
        """Fire-and-forget: failures arrive as command_failed. Returns the task (await it if useful)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or self._client is None:
            self.command_requested.emit(action, args)
            self.command_failed.emit(action, self.tr("Not connected to the hub"))
            return None
        task = loop.create_task(self.command(action, args))
        self._tasks.add(task)
        task.add_done_callback(self._request_done)
        return task

    def _request_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and not isinstance(exc, CommandFailed):  # CommandFailed was reported
            log.error("command task failed", exc_info=exc)

    def _failure_text(self, exc: CommandFailed) -> str:
        if exc.code == "offline":
            return self.tr("Not connected to the hub")
        if exc.code == "timeout":
            return self.tr("The hub did not answer in time")
        if exc.code == "disconnected":
            return self.tr("The connection dropped before the hub answered; check whether it was applied")
        return exc.message or exc.code

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self, url: str, token: str, client_name: str = "", *, ssl_context=None,
              login: tuple[str, str, str] | None = None) -> None:
        """Connect to the hub at ``url`` in the background on the current (qasync) loop; resumes from
        ``seq`` if this store already holds a snapshot. Progress arrives as connection_changed."""
        if self._client is not None:
            raise RuntimeError("ClientStore.start: already started; await stop() first")
        client = HubClient(  # raises ValueError for a URL that is not ws://HOST:PORT
            url, token, client_name or f"cc-app@{socket.gethostname()}",
            since=self.seq if self.synced else None,
            on_message=self.apply_message, on_state=self._on_state, ssl_context=ssl_context, login=login,
        )
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called before loop.run_forever(): use the loop that will run
            try:
                loop = asyncio.get_event_loop_policy().get_event_loop()
            except RuntimeError:
                raise RuntimeError("ClientStore.start: no asyncio loop; create a qasync.QEventLoop and "
                                   "asyncio.set_event_loop() it first") from None
        self.token = token
        self._client = client
        client.start(loop)

    async def logout(self) -> None:
        """End the session on the hub and disconnect (the state is kept until the next start)."""
        client, self._client = self._client, None
        if client is not None:
            await client.logout()
        self._on_state(OFFLINE)

    async def stop(self) -> None:
        """Close the connection; the state is kept (a later start() resumes from ``seq``)."""
        client, self._client = self._client, None
        for task in list(self._tasks):
            task.cancel()
        if self._leases is not None:
            await self._leases.close()
        if client is not None:
            await client.close()
        if self.connection not in (OFFLINE, AUTH_FAILED):
            self._on_state(OFFLINE)

    def _on_state(self, state: str) -> None:
        if state == self.connection:
            return
        self.connection = state
        self.connection_changed.emit(state)


def _build(entity: str, key: str, data: Any) -> Any:
    """One record as stored: the frozen model for a known entity, the dict itself otherwise."""
    if not isinstance(data, dict):
        raise ValueError(f"{entity}/{key}: record must be an object, got {data!r:.60}")
    model = ENTITY_MODELS.get(entity)
    if model is None:
        return dict(data)
    try:
        return model.from_dict(data)
    except TypeError as exc:  # a required field is missing
        raise ValueError(f"{entity}/{key}: {exc}") from None
