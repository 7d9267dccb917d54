"""Conference feature (backend/features.py plug-in): Janus run by the backend, the ``conference.*`` actions.

Actions (roles in backend/permissions.py; each audited by the core):
- ``conference.create {title, consultation?, incident?}`` -> {room, already}
- ``conference.end {room}``
- ``conference.invite {room, terminals?: [ids], departments?: [..], townships?: [..], units?: [..]}`` — the
  conference-capable directory entries (with an ``agent``) matching any of the lists
- ``conference.mute {room, participant?, mute: bool, media?: "audio"|"video"|"all"}`` (no participant: all)
- ``conference.kick {room, participant}``, ``conference.lock {room, locked: bool}``
- ``conference.hand {room, participant, up: bool}``, ``conference.floor {room, participant}``
- ``conference.layout {room, split, mode, fixed?, every?}``
- ``conference.rollcall {room, active: bool, dwell?: seconds, order?: [ids]}``
- ``conference.video_out``, ``conference.video_in``, ``conference.record``, ``conference.cascade``: media_actions.py
A consultation's room forwards every site to the relay and the wall follows its layout (wall_follow.py).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import Any

from backend.auth import User
from backend.conference import layout
from backend.conference.janus_proc import JanusProcess
from backend.conference.rooms import ConferenceService
from backend.core import Change, CommandError, Core

log = logging.getLogger(__name__)

ROLES = {"duty_officer", "admin", "leader"}
MEDIA = ("audio", "video", "all")
_SERVICES: dict[int, ConferenceService] = {}
_MEDIA: dict[int, object] = {}   # ConferenceMedia per core (backend/conference/media_service.py)


def service_for(core: Core) -> ConferenceService | None:
    return _SERVICES.get(id(core))


def _str(args: dict, name: str, max_len: int = 200, required: bool = True) -> str:
    value = args.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_len:
        raise CommandError("bad_args", f"{name}: expected a text of 1–{max_len} characters")
    return value.strip()


def _bool(args: dict, name: str, default: bool | None = None) -> bool:
    value = args.get(name, default)
    if not isinstance(value, bool):
        raise CommandError("bad_args", f"{name}: expected true or false")
    return value


def _list(args: dict, name: str) -> list[str]:
    value = args.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value) or len(value) > 500:
        raise CommandError("bad_args", f"{name}: expected a list of ids (at most 500)")
    return value


def conference_terminals(core: Core, *, terminals=(), departments=(), townships=(), units=()) -> list[str]:
    """Directory entries with a conference agent matching any of the given ids/departments/townships/units.
    A department matches by name or prefix ("应急" matches "应急管理局"), as the directory abbreviates."""
    def dept_match(d: str) -> bool:
        return bool(d) and any(d == x or x.startswith(d) or d.startswith(x) for x in departments)
    out = []
    for t in sorted(core.all("terminals"), key=lambda t: t["id"]):
        if not t.get("agent"):
            continue
        if t["id"] in terminals or dept_match(str(t.get("department", ""))) \
                or (t.get("township") and t.get("township") in townships) or (t.get("unit") and t.get("unit") in units):
            out.append(t["id"])
    return out


async def for_consultation(core: Core, user: User, consultation: dict, incident: dict) -> dict:
    """The one-key consultation's conference: room created and invitees called. {"ok", "detail", "room"}."""
    service = service_for(core)
    if service is None:
        return {"ok": False, "detail": "no conference engine (conference feature not running)", "room": ""}
    try:
        made = await service.create(user.name, consultation.get("title", ""), consultation=consultation["id"],
                                    incident=incident["id"])
        inv = consultation.get("invited") or {}
        targets = conference_terminals(core, departments=inv.get("departments", []), units=inv.get("units", []),
                                       townships=[incident["township"]] if incident.get("township") else [])
        res = await service.invite(made["room"], targets, user.name) if targets else {"invited": [], "failed": {}}
    except CommandError as exc:
        return {"ok": False, "detail": f"{exc.code}: {exc.message}", "room": ""}
    failed = res["failed"]
    return {"ok": not failed, "room": made["room"], "invited": res["invited"],
            "detail": f"{len(failed)} of {len(targets)} sites not reached" if failed else ""}


def _port_range(text: str) -> str:
    from backend.conference.ports import parse_range
    try:
        parse_range(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("conferences (Janus)")
    g.add_argument("--no-conference", action="store_true", help="no conference engine")
    g.add_argument("--janus-bin", default=None, help="the janus binary (default /usr/bin/janus)")
    g.add_argument("--janus-rtp-ports", default="20000-40000", metavar="MIN-MAX", help="Janus media port range")
    g.add_argument("--conference-rtp-ports", default="42000-42999", type=_port_range, metavar="MIN-MAX",
                   help="UDP ports for participants' video forwarded to the relay (reserved machine-wide, so "
                        "backends sharing a range never clash)")
    g.add_argument("--conference-feed-ports", default="43000-43999", type=_port_range, metavar="MIN-MAX",
                   help="UDP ports for cameras fed into conferences (Janus streaming mountpoints)")
    g.add_argument("--janus-prestart", action="store_true",
                   help="start Janus with the backend rather than at the first conference")
    g.add_argument("--conference-terminals", default=None, metavar="FILE",
                   help="JSON list of conference terminals (id, name, department, township, agent ws:// URL) "
                        "added to the directory")
    g.add_argument("--conference-peers", default=None, metavar="FILE",
                   help="JSON list of township Janus instances a room may cascade from (id, name, janus ws:// "
                        "URL, admin_key, secret)")


async def _load_terminals(core: Core, path: str) -> None:
    from backend_client.jsonfile import read_json  # the project's one JSON reader (names the file in errors)
    records = read_json(path, ValueError)
    if not isinstance(records, list):
        raise ValueError(f"{path}: expected a list of terminals")
    changes = []
    for i, r in enumerate(records):
        if not isinstance(r, dict) or not isinstance(r.get("id"), str) or not r["id"]:
            raise ValueError(f"{path}: [{i}].id: expected a non-empty text")
        rec = {"kind": "video", "via": "", "address": "", "department": "", "unit": "", "township": "",
               "presence": "online", "status": "available", "lat": None, "lon": None, "emergency": False,
               **(core.get("terminals", r["id"]) or {}), **r}
        changes.append(Change("terminals", "upsert", r["id"], rec))
    if changes:
        await core.publish(changes, actor="conference")


async def _drop_stale_sources(core: Core, open_rooms: set[str]) -> None:
    """Participants' sources a previous run forwarded, of rooms that did not come back: gone from the relay and
    the cameras list (those of restored rooms are forwarded again, on new ports, as their sites rejoin)."""
    from backend.conference.media import SOURCE_PREFIX
    stale = {c["id"] for c in core.all("cameras") if c.get("source") == "conference" and c.get("room") not in open_rooms}
    sources = core.camera_sources()
    keep = [s for s in sources if not (s["id"].startswith(SOURCE_PREFIX) and s["id"] in stale)]
    if len(keep) != len(sources):
        await core.set_camera_sources(keep)
    if stale:
        await core.publish([Change("cameras", "delete", c) for c in sorted(stale)], actor="conference")


async def start(core: Core, args: argparse.Namespace) -> Any:
    if getattr(args, "no_conference", False):
        return None
    state_dir = Path(core.db_path).resolve().parent / "janus"
    kw = {"binary": args.janus_bin} if args.janus_bin else {}
    from backend.conference.pins import RoomPins
    pins = RoomPins.for_state_dir(Path(core.db_path).resolve().parent)
    service = ConferenceService(core, JanusProcess(state_dir, rtp_port_range=args.janus_rtp_ports, **kw), pins)
    _SERVICES[id(core)] = service
    if args.conference_terminals:
        await _load_terminals(core, args.conference_terminals)
    from backend.conference import media_actions
    from backend.conference.media_service import ConferenceMedia
    from backend.conference.wall_follow import WallFollower
    peers = media_actions.load_peers(args.conference_peers) if getattr(args, "conference_peers", None) else {}
    media = ConferenceMedia(core, service, sdp_dir=state_dir / "sdp", converted_dir=state_dir / "converted",
                            feed_url=media_actions.feed_url_maker(core), peers=peers,
                            out_ports=getattr(args, "conference_rtp_ports", "42000-42999"),
                            in_ports=getattr(args, "conference_feed_ports", "43000-43999"))
    _MEDIA[id(core)] = media
    follower = WallFollower(core)
    await media.start()
    await follower.start()
    media_actions.register(core, media)
    # conferences left open by a previous run: re-created with their sealed pins and the sites called back
    # (in the background: the hub need not wait for Janus and the sites); those without a kept pin end
    async def restore_open() -> None:
        for rec in core.all("conferences"):
            if rec.get("state") != "open":
                continue
            try:
                restored = await service.restore(rec)
            except Exception:
                log.exception("conference %s: not restored", rec.get("id"))
                restored = False
            if not restored:
                await core.update("conferences", rec["id"], {"state": "ended", "participants": {}, "order": [],
                                                             "janus": {"ok": False, "detail": "backend restarted"}},
                                  actor="conference")
                await asyncio.to_thread(pins.drop, rec["id"])
        await _drop_stale_sources(core, set(service.rooms))
    restoring = asyncio.create_task(restore_open(), name="conference-restore")
    if args.janus_prestart:
        try:
            await service._ensure()
        except CommandError as exc:
            log.error("%s", exc.message)

    async def create(core: Core, user: User, a: dict) -> dict:
        return await service.create(user.name, _str(a, "title"), consultation=_str(a, "consultation", 64, False),
                                    incident=_str(a, "incident", 100, False))

    async def end(core: Core, user: User, a: dict) -> dict:
        return await service.end(user.name, _str(a, "room", 64))

    async def invite(core: Core, user: User, a: dict) -> dict:
        room = _str(a, "room", 64)
        ids = conference_terminals(core, terminals=_list(a, "terminals"), departments=_list(a, "departments"),
                                   townships=_list(a, "townships"), units=_list(a, "units"))
        missing = [t for t in _list(a, "terminals") if t not in ids]
        if missing:
            raise CommandError("not_found", f"terminals without a conference agent or not in the directory: "
                                            f"{', '.join(missing[:10])}")
        if not ids:
            raise CommandError("bad_args", "no conference terminal matches terminals/departments/townships/units")
        return await service.invite(room, ids, user.name)

    async def mute(core: Core, user: User, a: dict) -> dict:
        media = a.get("media", "audio")
        if media not in MEDIA:
            raise CommandError("bad_args", f"media: expected one of {', '.join(MEDIA)}")
        pid = _str(a, "participant", 100) if "participant" in a else None
        return await service.mute(user.name, _str(a, "room", 64), pid, _bool(a, "mute", True), media)

    async def kick(core: Core, user: User, a: dict) -> dict:
        return await service.kick(user.name, _str(a, "room", 64), _str(a, "participant", 100))

    async def lock(core: Core, user: User, a: dict) -> dict:
        return await service.lock(user.name, _str(a, "room", 64), _bool(a, "locked", True))

    async def hand(core: Core, user: User, a: dict) -> dict:
        return await service.hand(_str(a, "room", 64), _str(a, "participant", 100), _bool(a, "up", True), user.name)

    async def floor(core: Core, user: User, a: dict) -> dict:
        return await service.floor(user.name, _str(a, "room", 64), _str(a, "participant", 100))

    async def set_layout(core: Core, user: User, a: dict) -> dict:
        return await service.set_layout(user.name, _str(a, "room", 64), a)

    async def rollcall(core: Core, user: User, a: dict) -> dict:
        dwell = a.get("dwell", 10.0)
        if not isinstance(dwell, (int, float)) or isinstance(dwell, bool) \
                or not layout.MIN_DWELL <= dwell <= layout.MAX_DWELL:
            raise CommandError("bad_args", f"dwell: expected {layout.MIN_DWELL:g}–{layout.MAX_DWELL:g} seconds")
        return await service.rollcall(user.name, _str(a, "room", 64), _bool(a, "active", True), float(dwell),
                                      _list(a, "order"))

    for name, handler in (("create", create), ("end", end), ("invite", invite), ("mute", mute), ("kick", kick),
                          ("lock", lock), ("hand", hand), ("floor", floor), ("layout", set_layout),
                          ("rollcall", rollcall)):
        core.register_action(f"conference.{name}", ROLES, handler)

    async def stop() -> None:
        restoring.cancel()
        _SERVICES.pop(id(core), None)
        _MEDIA.pop(id(core), None)
        await follower.close()
        for room in list(service.rooms.values()):  # recordings converted, forwards and feeds stopped
            await media.room_ending(room)
        await media.close()
        await service.close()

    return stop
