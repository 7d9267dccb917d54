"""Conference rooms on Janus's videoroom: one per consultation or incident; joins, moderation, layout, roll-call.

The ``conferences`` entity (key = room id) is what consoles, the leader and the wall render::

    {"id": "CF-0001", "title", "consultation", "incident", "state": "open"|"ended", "locked": false,
     "janus": {"ok": true, "detail": ""}, "created", "created_by",
     "invited": {terminal: {"name", "department", "township", "state": "invited"|"joined"|"left"|
                 "kicked"|"unreachable"|"declined", "detail", "at"}},
     "participants": {id: {"name", "joined", "audio_muted", "video_muted"}}, "order": [ids by arrival],
     "hands": [ids, first raised first], "speaker": id|"",
     "rollcall": {"active", "dwell", "order", "index", "current", "steps"},
     "layout": {"split", "mode", "fixed", "every", "page", "tiles"}}

The room's pin and secret stay in this process: the pin goes to invited terminals only (agents.py); a sealed
copy (pins.py) lets the next backend re-create an open room with the same pin after a restart (``restore``).
The service watches each room through a handle joined as a publisher that never publishes (invisible
to the sites) and turns Janus's events into changes of the record.
"""
from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from backend.conference import agents, layout, room_events
from backend.conference.janus_api import JanusClient, JanusError
from backend.conference.janus_proc import JanusProcess
from backend.core import Change, CommandError, Core

log = logging.getLogger(__name__)

ENTITY = "conferences"
PLUGIN = "janus.plugin.videoroom"
OBSERVER = "cc-control"
MAX_PUBLISHERS = 32
CALLBACK_WAIT = 30.0  # a locked room is open to its pin this long at most while its sites are called back
# H.264 first: the relay remuxes forwarded video with -c copy (MEDIA.md); VP8 for terminals without H.264
VIDEOCODECS = "h264,vp8"


@dataclass
class _Room:
    id: str
    pin: str
    secret: str
    record: dict
    handle: Any = None
    listener: asyncio.Task | None = None
    timer: asyncio.Task | None = None          # roll-call / rotating pages
    mids: dict[str, dict[str, list[str]]] = field(default_factory=dict)   # participant -> {"audio": [mid]}
    codecs: dict[str, str] = field(default_factory=dict)   # participant -> its first video stream's codec
    channels: dict[str, agents.AgentChannel] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    relock: asyncio.Task | None = None         # a locked room closed again once its sites were called back


class ConferenceService:
    """Owns Janus (lazily started), our API session to it and every open room.

    Attributes:
        janus: the JanusProcess.  rooms: open rooms by id (private state: pin, secret, handles).
    """

    def __init__(self, core: Core, janus: JanusProcess, pins=None):
        self.core, self.janus = core, janus
        self.pins = pins  # RoomPins (pins.py) or None: rooms end with the process
        self.rooms: dict[str, _Room] = {}
        self._client: JanusClient | None = None
        self._session = None
        self._start_lock = asyncio.Lock()
        # media (backend/conference/media_service.py): await hook(room) before a room ends,
        # await hook() once the rooms were recreated on a restarted Janus
        self.ending_hooks: list = []
        self.restored_hooks: list = []
        janus.on_restart(self._janus_restarted)

    # -- Janus ------------------------------------------------------------------------------------
    async def _ensure(self):
        async with self._start_lock:
            if not self.janus.running:
                try:
                    await self.janus.start()
                except Exception as exc:
                    raise CommandError("unavailable", f"conference server (Janus) not available: {exc}"[:300])
            if self._session is None or self._session.lost is not None or not self._client.connected:
                if self._client is not None:
                    await self._client.close()
                self._client = await JanusClient(self.janus.ws_url).connect()
                self._session = await self._client.create_session()
            return self._session

    async def _create_janus_room(self, room: _Room) -> None:
        session = await self._ensure()
        handle = await session.attach(PLUGIN, opaque_id=f"cc-control-{room.id}")
        await handle.request({"request": "create", "room": room.id, "description": room.record["title"][:100],
                              "secret": room.secret, "pin": room.pin, "admin_key": self.janus.room_admin_key,
                              "publishers": MAX_PUBLISHERS, "videocodec": VIDEOCODECS, "audiolevel_event": True,
                              # "talking" after 1 s (50 packets of 20 ms) above Janus's default level (25)
                              "audio_active_packets": 50,
                              "notify_joining": False,
                              "bitrate": 512000, "fir_freq": 10, "is_private": True})
        await handle.message({"request": "join", "ptype": "publisher", "room": room.id, "pin": room.pin,
                              "id": OBSERVER, "display": OBSERVER})
        if room.record.get("locked"):  # after our own join, which needs the room's pin
            await handle.request({"request": "edit", "room": room.id, "secret": room.secret,
                                  "new_pin": secrets.token_urlsafe(18)})
        room.handle = handle
        room.listener = asyncio.create_task(self._listen(room, handle), name=f"conference-{room.id}")

    async def _janus_restarted(self) -> None:
        """Janus died and came back without rooms: create them again and call the sites back."""
        self._session = None
        for room in list(self.rooms.values()):
            async with room.lock:
                if room.listener is not None:
                    room.listener.cancel()
                rejoin = [t for t, i in room.record["invited"].items() if i["state"] == "joined"]
                room.record.update(participants={}, order=[], speaker="")
                room.mids.clear()
                room.codecs.clear()
                try:
                    await self._create_janus_room(room)
                    room.record["janus"] = {"ok": True, "detail": f"restarted at {time.time():.0f}"}
                except (JanusError, CommandError) as exc:
                    room.record["janus"] = {"ok": False, "detail": str(exc)[:300]}
                await self._save(room, "conference")
            if rejoin and room.record["janus"]["ok"]:
                try:
                    await self._call_back(room, rejoin)
                except (JanusError, CommandError) as exc:
                    log.warning("conference %s: sites not called back: %s", room.id, exc)
        for hook in list(self.restored_hooks):
            try:
                await hook()
            except Exception:
                log.exception("conference media not restored after the Janus restart")

    async def close(self) -> None:
        """The backend stops: with sealed pins the rooms stay open for the next backend (sites are not told the
        meeting ended; they are called back by ``restore``); without, they are destroyed."""
        for room in list(self.rooms.values()):
            await self._drop(room, send_end=self.pins is None)
        if self._client is not None:
            await self._client.close()
        await self.janus.stop()

    # -- records ----------------------------------------------------------------------------------
    def room(self, room_id: Any) -> _Room:
        if not isinstance(room_id, str) or not room_id:
            raise CommandError("bad_args", "room: expected a conference id")
        room = self.rooms.get(room_id)
        if room is None:
            if self.core.get(ENTITY, room_id) is not None:
                raise CommandError("conflict", f"conference {room_id!r} has ended")
            raise CommandError("not_found", f"conference {room_id!r} does not exist")
        return room

    def participant(self, room: _Room, pid: Any) -> str:
        if not isinstance(pid, str) or pid not in room.record["participants"]:
            raise CommandError("not_found", f"participant {pid!r} is not in conference {room.id}")
        return pid

    async def _save(self, room: _Room, actor: str) -> None:
        room.record["layout"]["tiles"] = layout.tiles(room.record)
        await self.core.publish([Change(ENTITY, "upsert", room.id, room.record)], actor=actor)

    def open_for(self, *, consultation: str = "", incident: str = "") -> str | None:
        for room in self.rooms.values():
            rec = room.record
            if (consultation and rec.get("consultation") == consultation) or \
                    (incident and not consultation and rec.get("incident") == incident):
                return room.id
        return None

    # -- lifecycle --------------------------------------------------------------------------------
    async def create(self, actor: str, title: str, *, consultation: str = "", incident: str = "") -> dict:
        existing = self.open_for(consultation=consultation, incident=incident)
        if existing:
            return {"room": existing, "already": True}
        n = len(self.core.all(ENTITY)) + 1
        room_id = f"CF-{n:04d}"
        while self.core.get(ENTITY, room_id) is not None or room_id in self.rooms:
            n += 1
            room_id = f"CF-{n:04d}"
        record = {"id": room_id, "title": title, "consultation": consultation, "incident": incident,
                  "state": "open", "locked": False, "janus": {"ok": False, "detail": "starting"},
                  "created": time.time(), "created_by": actor, "ended": None, "invited": {},
                  "participants": {}, "order": [], "hands": [], "speaker": "",
                  "rollcall": {"active": False, "dwell": 10.0, "order": [], "index": -1, "current": "", "steps": 0},
                  "layout": layout.default_layout()}
        room = _Room(room_id, secrets.token_urlsafe(12), secrets.token_urlsafe(24), record)
        try:
            await self._create_janus_room(room)
        except JanusError as exc:
            raise CommandError("unavailable", f"conference room not created: {exc}") from None
        record["janus"] = {"ok": True, "detail": ""}
        self.rooms[room_id] = room
        if self.pins is not None:
            await asyncio.to_thread(self.pins.put, room_id, room.pin, room.secret)
        await self._save(room, actor)
        return {"room": room_id, "already": False}

    async def _drop(self, room: _Room, send_end: bool = True) -> None:
        self.rooms.pop(room.id, None)
        for task in (room.timer, room.listener, room.relock):
            if task is not None:
                task.cancel()
        await asyncio.gather(*(ch.close(send_end=send_end) for ch in room.channels.values()), return_exceptions=True)
        room.channels.clear()
        if room.handle is not None:
            with contextlib.suppress(JanusError):
                await room.handle.request({"request": "destroy", "room": room.id, "secret": room.secret}, timeout=5)
            await room.handle.detach()

    async def end(self, actor: str, room_id: str) -> dict:
        room = self.room(room_id)
        for hook in list(self.ending_hooks):
            try:
                await hook(room)
            except Exception:
                log.exception("conference %s: media not wound up", room.id)
        await self._drop(room)
        if self.pins is not None:
            await asyncio.to_thread(self.pins.drop, room.id)
        room.record.update(state="ended", ended=time.time(), participants={}, order=[], hands=[], speaker="")
        room.record["rollcall"]["active"] = False
        await self._save(room, actor)
        return {"room": room.id, "state": "ended"}

    async def restore(self, record: dict) -> bool:
        """An open room of the previous backend: re-created on Janus with its sealed pin and secret, its sites
        called back (those that were joined). False when no pin was kept (the caller ends the record)."""
        kept = await asyncio.to_thread(self.pins.get, record["id"]) if self.pins is not None else None
        if kept is None:
            return False
        joined = [t for t, i in (record.get("invited") or {}).items() if i.get("state") in ("joined", "invited")]
        record = {**copy.deepcopy(record), "participants": {}, "order": [], "speaker": "", "hands": []}
        room = _Room(record["id"], kept[0], kept[1], record)
        try:
            await self._create_janus_room(room)
        except (JanusError, CommandError) as exc:
            log.error("conference %s not restored: %s", room.id, exc)
            return False
        record["janus"] = {"ok": True, "detail": "restored after a backend restart"}
        self.rooms[room.id] = room
        async with room.lock:
            await self._save(room, "conference")
        self._restart_timer(room)
        await self._call_back(room, joined)
        return True

    async def _call_back(self, room: _Room, sites: list[str]) -> None:
        """Sites that were in the room (before a Janus or backend restart) invited again. A locked room takes
        the room's pin again until they are back (or CALLBACK_WAIT s), then a pin nobody has once more."""
        if not sites:
            return
        locked = bool(room.record.get("locked"))
        if locked:
            await room.handle.request({"request": "edit", "room": room.id, "secret": room.secret, "new_pin": room.pin})
        try:
            await self.invite(room.id, sites, "conference", call_back=True)
        finally:
            if locked:
                room.relock = asyncio.create_task(self._relock(room, sites))

    async def _relock(self, room: _Room, sites: list[str]) -> None:
        deadline = time.monotonic() + CALLBACK_WAIT
        while time.monotonic() < deadline and not set(sites) <= set(room.record["participants"]):
            await asyncio.sleep(0.1)
        if room.record.get("locked") and self.rooms.get(room.id) is room:
            with contextlib.suppress(JanusError):
                await room.handle.request({"request": "edit", "room": room.id, "secret": room.secret,
                                           "new_pin": secrets.token_urlsafe(18)})

    # -- invitations ------------------------------------------------------------------------------
    async def invite(self, room_id: str, terminal_ids: list[str], actor: str, call_back: bool = False) -> dict:
        room = self.room(room_id)
        if room.record["locked"] and not call_back:
            raise CommandError("conflict", f"conference {room.id} is locked: no new sites")
        terms = []
        for tid in terminal_ids:
            term = self.core.get("terminals", tid)
            if term is None:
                raise CommandError("not_found", f"terminal {tid!r} is not in the directory")
            terms.append(term)

        async def one(term: dict) -> tuple[str, str, str]:
            invitation = {"conference": room.id, "title": room.record["title"], "janus": self.janus.ws_url,
                          "room": room.id, "pin": room.pin, "id": term["id"], "display": term.get("name", term["id"])}
            try:
                channel = await agents.invite(term, invitation, lambda t, up: self.hand(room.id, t, up, t))
            except agents.AgentError as exc:
                return term["id"], "declined" if str(exc).startswith("declined") else "unreachable", str(exc)
            old = room.channels.pop(term["id"], None)
            if old is not None:
                await old.close(send_end=False)
            room.channels[term["id"]] = channel
            return term["id"], "invited", ""

        results = await asyncio.gather(*(one(t) for t in terms))
        now = time.time()
        async with room.lock:
            for term, (tid, state, detail) in zip(terms, results):
                if room.record["invited"].get(tid, {}).get("state") == "joined" and state == "invited":
                    continue  # it joined while we waited for its answer
                room.record["invited"][tid] = {"name": term.get("name", tid), "department": term.get("department", ""),
                                               "township": term.get("township", ""), "state": state,
                                               "detail": detail, "at": now}
            await self._save(room, actor)
        return {"room": room.id, "invited": [t for t, s, _ in results if s == "invited"],
                "failed": {t: d for t, s, d in results if s != "invited"}}

    # -- Janus events -----------------------------------------------------------------------------
    async def _listen(self, room: _Room, handle) -> None:
        while True:
            msg = await handle.next_event()
            if msg.get("janus") == "lost":
                async with room.lock:
                    room.record["janus"] = {"ok": False, "detail": msg["error"]["reason"]}
                    await self._save(room, "conference")
                return
            data = (msg.get("plugindata") or {}).get("data") or {}
            if data:
                try:
                    async with room.lock:
                        if self._apply_event(room, data):
                            await self._save(room, "conference")
                except Exception:
                    log.exception("conference %s: event %r not applied", room.id, data)

    @staticmethod
    def _apply_event(room: _Room, data: dict) -> bool:
        return room_events.apply_event(room, data, OBSERVER)

    @staticmethod
    def _remove(room: _Room, pid: str, state: str) -> bool:
        return room_events.remove(room, pid, state)

    # -- moderation -------------------------------------------------------------------------------
    async def mute(self, actor: str, room_id: str, pid: str | None, mute: bool, media: str) -> dict:
        room = self.room(room_id)
        targets = [self.participant(room, pid)] if pid is not None else list(room.record["participants"])
        kinds = ("audio", "video") if media == "all" else (media,)
        done = []
        for target in targets:
            for kind in kinds:
                for mid in room.mids.get(target, {}).get(kind, []):
                    await room.handle.request({"request": "moderate", "room": room.id, "secret": room.secret,
                                               "id": target, "mid": mid, "mute": bool(mute)})
                room.record["participants"][target][f"{kind}_muted"] = bool(mute)
            done.append(target)
        async with room.lock:
            await self._save(room, actor)
        return {"room": room.id, "participants": done, "muted": bool(mute), "media": media}

    async def kick(self, actor: str, room_id: str, pid: str) -> dict:
        room = self.room(room_id)
        self.participant(room, pid)
        await room.handle.request({"request": "kick", "room": room.id, "secret": room.secret, "id": pid})
        channel = room.channels.pop(pid, None)
        if channel is not None:
            await channel.close()
        async with room.lock:
            self._remove(room, pid, "kicked")
            await self._save(room, actor)
        return {"room": room.id, "kicked": pid}

    async def lock(self, actor: str, room_id: str, locked: bool) -> dict:
        """Locked: Janus's room pin is changed to one nobody has, so no new site can join; unlock restores it."""
        room = self.room(room_id)
        await room.handle.request({"request": "edit", "room": room.id, "secret": room.secret,
                                   "new_pin": secrets.token_urlsafe(18) if locked else room.pin})
        async with room.lock:
            room.record["locked"] = bool(locked)
            await self._save(room, actor)
        return {"room": room.id, "locked": bool(locked)}

    async def hand(self, room_id: str, pid: str, up: bool, actor: str) -> dict:
        room = self.room(room_id)
        async with room.lock:
            hands = [p for p in room.record["hands"] if p != pid]
            if up:
                self.participant(room, pid)
                hands.append(pid)
            room.record["hands"] = hands
            await self._save(room, actor)
        return {"room": room.id, "hands": hands}

    async def floor(self, actor: str, room_id: str, pid: str) -> dict:
        """Give the floor: the site leaves the queue and becomes the speaker (first tile when speaker-following)."""
        room = self.room(room_id)
        self.participant(room, pid)
        async with room.lock:
            room.record["hands"] = [p for p in room.record["hands"] if p != pid]
            room.record["speaker"] = pid
            await self._save(room, actor)
        return {"room": room.id, "speaker": pid}

    # -- layout and roll-call ---------------------------------------------------------------------
    async def set_layout(self, actor: str, room_id: str, args: dict) -> dict:
        room = self.room(room_id)
        try:
            new = layout.validate(args, room.record["layout"])
        except layout.LayoutError as exc:
            raise CommandError("bad_args", str(exc)) from None
        async with room.lock:
            room.record["layout"] = new
            await self._save(room, actor)
        self._restart_timer(room)
        return {"room": room.id, "layout": room.record["layout"]}

    async def rollcall(self, actor: str, room_id: str, active: bool, dwell: float, order: list[str]) -> dict:
        room = self.room(room_id)
        async with room.lock:
            call = {"active": bool(active), "dwell": float(dwell), "order": list(order), "index": -1,
                    "current": "", "steps": 0}
            if active:
                call = layout.next_rollcall(call, room.record["order"])
            room.record["rollcall"] = call
            await self._save(room, actor)
        self._restart_timer(room)
        return {"room": room.id, "rollcall": room.record["rollcall"]}

    def _restart_timer(self, room: _Room) -> None:
        if room.timer is not None:
            room.timer.cancel()
            room.timer = None
        call, lay = room.record["rollcall"], room.record["layout"]
        if call["active"]:
            room.timer = asyncio.create_task(self._tick(room, float(call["dwell"]), "rollcall"))
        elif lay["mode"] == "rotating":
            room.timer = asyncio.create_task(self._tick(room, float(lay["every"]), "page"))

    async def _tick(self, room: _Room, every: float, what: str) -> None:
        while True:
            await asyncio.sleep(every)
            async with room.lock:
                rec = room.record
                if what == "rollcall":
                    rec["rollcall"] = layout.next_rollcall(rec["rollcall"], rec["order"])
                else:
                    rec["layout"]["page"] = (int(rec["layout"]["page"]) + 1) % layout.pages(
                        rec["order"], int(rec["layout"]["split"]))
                try:
                    await self._save(room, "conference")
                except Exception:
                    log.exception("conference %s: %s step not saved", room.id, what)
