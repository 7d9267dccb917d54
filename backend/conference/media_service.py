"""Conference media wired into the engine: participants' video out to the relay (and the wall), cameras and field
streams in, recordings linked to the incident, township cascades; all re-established after a Janus restart.

One ``ConferenceMedia`` per ConferenceService. It keeps the *wanted* state (which participants are forwarded,
which cameras fed in, which rooms recorded, which township publishers cascaded) apart from what the current Janus
holds, and reconciles on every ``conferences`` change: a participant who (re)joins is forwarded again on the same
UDP port, so the relay's pull and the wall cell carry on. Room secrets and pins never leave this process: the
``conferences`` record only gets ``media`` = {"out": {participant: source}, "in": {camera: mountpoint},
"recording": {...}, "cascades": {...}}.
"""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from backend.conference import recording
from backend.conference.cascade import Cascade, CascadeError
from backend.conference.janus_api import JanusClient, JanusError
from backend.conference.media import MediaError, MediaIn, MediaOut, source_id
from backend.conference.ports import PortError, PortPool
from backend.conference.warm import Warmer
from backend.core import CommandError

log = logging.getLogger(__name__)

PLUGIN = "janus.plugin.videoroom"


class ConferenceMedia:
    """Attributes: service (ConferenceService), out (MediaOut), feeds_in (MediaIn), auto_rooms (rooms whose
    every participant is forwarded: consultations), wanted_out {room: set(participant)}, wanted_in
    {room: {camera: mountpoint}}, recording {room: {"on", "dir", "segment"}}, peers (cascade peers by id)."""

    def __init__(self, core, service, *, sdp_dir: Path, converted_dir: Path, feed_url=None,
                 peers: dict[str, dict] | None = None, out_ports: str = "42000-42999", in_ports: str = "43000-43999"):
        self.core, self.service = core, service
        self.sdp_dir, self.converted_dir = Path(sdp_dir), Path(converted_dir)
        self.feed_url = feed_url  # async camera id -> relay play URL (video in)
        self.peers = peers or {}
        self.out: MediaOut | None = None
        self.feeds_in: MediaIn | None = None
        self.auto_rooms: set[str] = set()
        self.wanted_out: dict[str, set[str]] = {}
        self.wanted_in: dict[str, dict[str, str]] = {}
        self.recording: dict[str, dict] = {}
        self.cascades: dict[str, dict[str, Any]] = {}   # room -> {"peer", "lower_room", "links": {pub: link}}
        self.conversions: set[asyncio.Task] = set()
        # reserved machine-wide (ports.py): another backend with the same ranges gets other ports
        self._ports = PortPool.from_range(out_ports)
        self._in_ports = PortPool.from_range(in_ports)
        self._lock = asyncio.Lock()
        self._kick = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._peer_clients: dict[str, tuple[JanusClient, Any]] = {}
        self.restores = 0
        service.ending_hooks.append(self.room_ending)
        service.restored_hooks.append(self.janus_restored)

    # -- life -------------------------------------------------------------------------------------
    async def start(self) -> None:
        self.core.subscribe(self._on_event)
        self._task = asyncio.create_task(self._reconcile_loop(), name="conference-media")

    async def close(self) -> None:
        self.core.unsubscribe(self._on_event)
        if self._task is not None:
            self._task.cancel()
        for room in list(self.recording):
            await self._stop_recording(room, convert=True)
        if self.conversions:
            await asyncio.gather(*self.conversions, return_exceptions=True)
        if self.out is not None:
            await self.out.close()
        if self.feeds_in is not None:
            await self.feeds_in.close()
        for client, _ in self._peer_clients.values():
            await client.close()
        self._ports.close()
        self._in_ports.close()

    async def _handles(self) -> tuple[MediaOut, MediaIn]:
        """MediaOut/MediaIn on handles of the service's current Janus session (attached once per session)."""
        session = await self.service._ensure()
        key = self.service.janus.room_admin_key
        if self.out is None or self.out.handle.session is not session:
            videoroom = await session.attach(PLUGIN, opaque_id="cc-media-out")
            if self.out is None:
                self.out = MediaOut(self.core, videoroom, admin_key=key, sdp_dir=self.sdp_dir, ports=self._ports)
                self.out.warmer = Warmer(self.core, self.out)
                await self.out.start()
            else:
                self.out.handle = videoroom
        if self.feeds_in is None or self.feeds_in.handle.session is not session:
            streaming = await session.attach("janus.plugin.streaming", opaque_id="cc-media-in")
            if self.feeds_in is None:
                self.feeds_in = MediaIn(streaming, admin_key=key, ports=self._in_ports)
            else:
                self.feeds_in.handle = streaming
        return self.out, self.feeds_in

    def _secret(self, room_id: str) -> str:
        room = self.service.rooms.get(room_id)
        return room.secret if room is not None else ""

    # -- reconciling forwards with who is in the room ---------------------------------------------
    def _on_event(self, event: dict) -> None:
        if event.get("entity") == "conferences":
            self._kick.set()

    async def _reconcile_loop(self) -> None:
        while True:
            await self._kick.wait()
            self._kick.clear()
            try:
                await self.reconcile()
            except Exception:
                log.exception("conference media: reconcile failed")
                await asyncio.sleep(1.0)
                self._kick.set()

    async def reconcile(self) -> None:
        async with self._lock:
            for room_id, room in list(self.service.rooms.items()):
                if not (room.record.get("janus") or {}).get("ok") and self.out is not None:
                    for pv in [pv for pv in self.out.forwards.values() if pv.room == room_id]:
                        self.out.mark_stale(pv.source)  # Janus went away: kept for the sites' return
                    continue
                present = dict(room.record.get("participants") or {})
                wanted = set(self.wanted_out.get(room_id, set()))
                if room_id in self.auto_rooms or room.record.get("consultation"):
                    wanted |= set(present)
                if not wanted and not any(pv.room == room_id for pv in (self.out.forwards.values() if self.out
                                                                        else ())):
                    continue
                out, _ = await self._handles()
                for pid in wanted & set(present):
                    sid = source_id(room_id, pid)
                    pv = out.forwards.get(sid)
                    if pv is not None and sid not in out.stale:
                        continue
                    try:
                        if pv is not None:  # Janus restarted: same port, so the relay's pull carries on
                            await out.readd(sid, mid=self._mid(room, pid))
                        else:
                            await out.forward(room_id, pid, secret=room.secret, display=present[pid].get("name", pid),
                                              codec=room.codecs.get(pid, ""), mid=self._mid(room, pid))
                    except (MediaError, JanusError) as exc:
                        log.warning("conference %s: %s not forwarded: %s", room_id, pid, exc)
                for pv in [pv for pv in out.forwards.values() if pv.room == room_id]:
                    if pv.participant not in present and pv.source not in out.stale:
                        await out.stop_forward(room_id, pv.participant, secret=room.secret)
                await self._publish_media(room)

    @staticmethod
    def _mid(room, pid: str) -> str:
        mids = room.mids.get(pid, {}).get("video", [])
        return mids[0] if mids else ""

    async def _publish_media(self, room) -> None:
        out = {pv.participant: pv.source for pv in (self.out.forwards.values() if self.out else ()) if pv.room == room.id}
        rec = self.recording.get(room.id)
        media = {"out": out, "in": dict(self.wanted_in.get(room.id, {})),
                 "recording": {"on": bool(rec and rec["on"]), "since": rec["since"] if rec else None,
                               "segments": rec["segment"] if rec else 0},
                 "cascades": {k: sorted(v["links"]) for k, v in self.cascades.get(room.id, {}).items()}}
        if room.record.get("media") != media:
            room.record["media"] = media
            await self.service._save(room, "conference")

    # -- actions ----------------------------------------------------------------------------------
    async def video_out(self, room_id: str, participant: str, on: bool) -> dict:
        room = self.service.room(room_id)
        if on:
            self.service.participant(room, participant)
            self.wanted_out.setdefault(room.id, set()).add(participant)
            await self.reconcile()
            pv = self.out.forwards.get(source_id(room.id, participant)) if self.out else None
            if pv is None:
                raise CommandError("unavailable", f"{room.id}/{participant}: video not forwarded (not publishing?)")
            return {"room": room.id, "participant": participant, "camera": pv.source, "codec": pv.codec}
        if room.id in self.auto_rooms or room.record.get("consultation"):
            raise CommandError("conflict", f"{room.id} is a consultation: every site is forwarded to the wall")
        self.wanted_out.get(room.id, set()).discard(participant)
        async with self._lock:
            stopped = bool(self.out) and await self.out.stop_forward(room.id, participant, secret=room.secret)
            await self._publish_media(room)
        return {"room": room.id, "participant": participant, "stopped": stopped}

    async def video_in(self, room_id: str, camera: str, on: bool) -> dict:
        room = self.service.room(room_id)
        mountpoint = f"{room.id}-in-{camera}"[:120]
        if on:
            if self.core.get("cameras", camera) is None:
                raise CommandError("not_found", f"camera {camera!r} does not exist")
            if self.feed_url is None:
                raise CommandError("unavailable", "no camera relay: nothing to feed the conference from")
            url = await self.feed_url(camera)
            async with self._lock:
                _, feeds = await self._handles()
                try:
                    await feeds.publish(mountpoint, url, description=str(self.core.get("cameras", camera).get(
                        "name", camera))[:100], pin=room.pin)
                except (JanusError, PortError) as exc:
                    raise CommandError("unavailable", f"camera {camera} not fed into {room.id}: {exc}") from None
                self.wanted_in.setdefault(room.id, {})[camera] = mountpoint
                await self._publish_media(room)
            await self._tell_sites(room, {"type": "feed", "camera": camera, "mountpoint": mountpoint, "on": True})
            return {"room": room.id, "camera": camera, "mountpoint": mountpoint}
        async with self._lock:
            self.wanted_in.get(room.id, {}).pop(camera, None)
            stopped = bool(self.feeds_in) and await self.feeds_in.unpublish(mountpoint)
            await self._publish_media(room)
        await self._tell_sites(room, {"type": "feed", "camera": camera, "mountpoint": mountpoint, "on": False})
        return {"room": room.id, "camera": camera, "stopped": stopped}

    async def _tell_sites(self, room, message: dict) -> None:
        """Sites learn of a feed through their agent channel (the mountpoint's pin is the room's)."""
        for channel in list(room.channels.values()):
            try:
                await channel.send({**message, "pin": room.pin, "janus": self.service.janus.ws_url})
            except Exception as exc:
                log.info("terminal %s: feed notice not sent: %s", channel.terminal, exc)

    async def record(self, room_id: str, on: bool) -> dict:
        room = self.service.room(room_id)
        async with self._lock:
            if on:
                await self._start_recording(room)
            else:
                if not (self.recording.get(room.id) or {}).get("on"):
                    raise CommandError("conflict", f"{room.id} is not being recorded")
                await self._stop_recording(room.id, convert=True)
            await self._publish_media(room)
        rec = self.recording.get(room.id) or {}
        return {"room": room.id, "recording": bool(rec.get("on")), "segment": rec.get("segment", 0)}

    async def _start_recording(self, room) -> None:
        rec = self.recording.get(room.id)
        if rec and rec["on"]:
            return
        segment = (rec["segment"] if rec else 0) + 1
        rec_dir = self.service.janus.recordings_dir / room.id / f"{segment:02d}"
        await self._handles()
        try:
            await recording.start_recording(self.out.handle, room.id, rec_dir=rec_dir, secret=room.secret)
        except JanusError as exc:
            raise CommandError("unavailable", f"{room.id}: recording not started: {exc}") from None
        self.recording[room.id] = {"on": True, "dir": rec_dir, "segment": segment, "since": time.time(),
                                   "incident": room.record.get("incident", "")}

    async def _stop_recording(self, room_id: str, *, convert: bool) -> None:
        rec = self.recording.get(room_id)
        if not rec or not rec["on"]:
            return
        rec["on"] = False
        room = self.service.rooms.get(room_id)
        if room is not None and self.out is not None:
            try:
                await recording.stop_recording(self.out.handle, room_id, secret=room.secret)
            except JanusError as exc:  # Janus gone: its files are closed anyway
                log.info("conference %s: stop recording: %s", room_id, exc)
        if convert:
            task = asyncio.create_task(self._convert(room_id, Path(rec["dir"]), rec["incident"]))
            self.conversions.add(task)
            task.add_done_callback(self.conversions.discard)

    async def _convert(self, room_id: str, rec_dir: Path, incident: str) -> None:
        try:
            files = await recording.convert_room(rec_dir, self.converted_dir / room_id)
            await recording.link_recordings(self.core, files, incident=incident, room=room_id)
            log.info("conference %s: %d recordings linked to %s", room_id, len(files), incident or "no incident")
        except Exception:
            log.exception("conference %s: recordings of %s not converted", room_id, rec_dir)

    # -- cascades ---------------------------------------------------------------------------------
    async def _peer(self, peer_id: str):
        peer = self.peers.get(peer_id)
        if peer is None:
            raise CommandError("not_found", f"cascade peer {peer_id!r} is not configured (--conference-peers)")
        held = self._peer_clients.get(peer_id)
        if held is None or not held[0].connected or held[1].session.lost is not None:
            try:
                client = await JanusClient(peer["janus"]).connect()
                session = await client.create_session()
                handle = await session.attach(PLUGIN, opaque_id="cc-cascade")
            except (OSError, JanusError, asyncio.TimeoutError) as exc:
                raise CommandError("unavailable", f"cascade peer {peer_id} ({peer['janus']}) not reachable: {exc}"
                                   ) from None
            held = self._peer_clients[peer_id] = (client, handle)
        return peer, held[1]

    async def cascade(self, room_id: str, peer_id: str, lower_room: str, on: bool,
                      publishers: list[str] | None = None) -> dict:
        room = self.service.room(room_id)
        peer, lower = await self._peer(peer_id)
        out, _ = await self._handles()
        casc = Cascade(out.handle, lower, upper_admin_key=self.service.janus.room_admin_key,
                       lower_admin_key=peer.get("admin_key", ""))
        entry = self.cascades.setdefault(room.id, {}).setdefault(f"{peer_id}/{lower_room}", {
            "peer": peer_id, "lower_room": lower_room, "links": {}, "publishers": publishers or []})
        if not on:
            for link in list(entry["links"].values()):
                await casc.unlink(link, lower_secret=peer.get("secret", ""), upper_secret=room.secret)
            self.cascades[room.id].pop(f"{peer_id}/{lower_room}", None)
            async with self._lock:
                await self._publish_media(room)
            return {"room": room.id, "peer": peer_id, "lower_room": lower_room, "linked": []}
        entry["publishers"] = publishers or entry["publishers"]
        await self._link_all(room, entry, casc, peer)
        return {"room": room.id, "peer": peer_id, "lower_room": lower_room, "linked": sorted(entry["links"])}

    async def _link_all(self, room, entry: dict, casc: Cascade, peer: dict) -> None:
        pubs = entry["publishers"]
        if not pubs:  # every publisher of the lower room
            try:
                listed = await casc.lower.request({"request": "listparticipants", "room": entry["lower_room"]})
            except JanusError as exc:
                raise CommandError("not_found", f"lower room {entry['lower_room']}: {exc}") from None
            pubs = [str(p["id"]) for p in listed.get("participants", []) if p.get("publisher")]
        failed = {}
        for pub in pubs:
            if pub in entry["links"]:
                continue
            try:
                entry["links"][pub] = await casc.link(entry["lower_room"], pub, room.id, lower_secret=peer.get(
                    "secret", ""), upper_secret=room.secret, lower_pin=peer.get("pin", ""))
            except (CascadeError, JanusError, KeyError) as exc:
                failed[pub] = str(exc)
        async with self._lock:
            await self._publish_media(room)
        if failed and not entry["links"]:
            raise CommandError("unavailable", f"nothing cascaded from {entry['lower_room']}: "
                                              f"{'; '.join(f'{k}: {v}' for k, v in failed.items())[:300]}")

    # -- hooks from the ConferenceService ---------------------------------------------------------
    async def room_ending(self, room) -> None:
        async with self._lock:
            await self._stop_recording(room.id, convert=True)
            if self.out is not None:
                for pv in [pv for pv in self.out.forwards.values() if pv.room == room.id]:
                    await self.out.stop_forward(room.id, pv.participant, secret=room.secret)
            if self.feeds_in is not None:
                for mountpoint in self.wanted_in.pop(room.id, {}).values():
                    await self.feeds_in.unpublish(mountpoint)
        for key, entry in list(self.cascades.pop(room.id, {}).items()):
            try:
                peer, lower = await self._peer(entry["peer"])
                casc = Cascade(self.out.handle, lower, lower_admin_key=peer.get("admin_key", ""))
                for link in entry["links"].values():
                    await casc.unlink(link, lower_secret=peer.get("secret", ""), upper_secret=room.secret)
            except (CommandError, JanusError) as exc:
                log.info("conference %s: cascade %s not undone: %s", room.id, key, exc)
        self.wanted_out.pop(room.id, None)
        self.auto_rooms.discard(room.id)

    async def janus_restored(self) -> None:
        """Janus came back (rooms recreated, sites called back): forwards re-added as sites rejoin (same
        ports), feeds re-created on their ports (ffmpeg keeps sending), recording and cascades redone."""
        async with self._lock:
            self.restores += 1
            out, feeds = await self._handles()
            for sid, pv in list(out.forwards.items()):
                out.mark_stale(sid)
            for mountpoint in list(feeds.streams):
                try:
                    await feeds.recreate(mountpoint)
                except JanusError as exc:
                    log.warning("feed %s not recreated: %s", mountpoint, exc)
            for room_id, rec in list(self.recording.items()):
                room = self.service.rooms.get(room_id)
                if rec["on"] and room is not None:
                    rec["on"] = False
                    try:
                        await self._start_recording(room)
                    except CommandError as exc:
                        log.warning("%s", exc.message)
        for room_id, entries in list(self.cascades.items()):
            room = self.service.rooms.get(room_id)
            if room is None:
                continue
            for entry in entries.values():
                entry["links"].clear()
                try:
                    peer, lower = await self._peer(entry["peer"])
                    casc = Cascade(self.out.handle, lower, upper_admin_key=self.service.janus.room_admin_key,
                                   lower_admin_key=peer.get("admin_key", ""))
                    for link in list(casc.links.values()):
                        await casc.unlink(link)
                    await self._relink(room, entry, casc, peer)
                except (CommandError, JanusError) as exc:
                    log.warning("conference %s: cascade not restored: %s", room_id, exc)
        self._kick.set()

    async def _relink(self, room, entry, casc: Cascade, peer: dict) -> None:
        # the lower instance still remotizes to the dead upper port under the same remote id: drop that first
        pubs = entry["publishers"] or [str(p["id"]) for p in (await casc.lower.request(
            {"request": "listparticipants", "room": entry["lower_room"]})).get("participants", []) if p.get("publisher")]
        for pub in pubs:
            body = {"request": "unpublish_remotely", "room": entry["lower_room"], "publisher_id": pub,
                    "remote_id": f"{room.id}.{entry['lower_room']}.{pub}"[:120]}
            if peer.get("secret"):
                body["secret"] = peer["secret"]
            if peer.get("admin_key"):
                body["admin_key"] = peer["admin_key"]
            try:
                await casc.lower.request(body)
            except JanusError:
                pass
        await self._link_all(room, entry, casc, peer)
