"""The conference media actions (roles in backend/permissions.py, audited by the core; no secret in any argument):

- ``conference.video_out {room, participant, on?: true}`` -> {camera: "conf-<room>-<participant>", codec}: the
  site's video forwarded to the relay, playable by any tile or wall cell (consultation rooms forward everyone)
- ``conference.video_in {room, camera, on?: true}`` -> {mountpoint}: a camera or field stream (through the
  relay) published into the room as a streaming mountpoint; the sites are told through their agent channel
- ``conference.record {room, on}``: Janus records every publisher; on stop (and when the room ends) the files
  are converted with janus-pp-rec and linked to the incident as ``recordings`` records
- ``conference.cascade {room, peer, lower_room, on?: true, publishers?: [ids]}``: the publishers of a township
  Janus room (a peer from ``--conference-peers``) appear in this room through remote publishers
"""
from __future__ import annotations

import logging

from backend.auth import User
from backend.core import CommandError, Core

log = logging.getLogger(__name__)

ROLES = {"duty_officer", "admin", "leader"}
FEED_SERVICE = "conference-feed"  # the relay service token MediaIn's ffmpeg pulls with; rotated at each start


def load_peers(path: str) -> dict[str, dict]:
    """``--conference-peers FILE``: [{"id", "name", "janus": "ws://…", "admin_key", "secret"?, "pin"?}]."""
    from backend_client.jsonfile import read_json
    records = read_json(path, ValueError)
    if not isinstance(records, list):
        raise ValueError(f"{path}: expected a list of cascade peers")
    peers = {}
    for i, r in enumerate(records):
        if not isinstance(r, dict) or not isinstance(r.get("id"), str) or not r["id"]:
            raise ValueError(f"{path}: [{i}].id: expected a non-empty text")
        if not isinstance(r.get("janus"), str) or not r["janus"].startswith(("ws://", "wss://")):
            raise ValueError(f"{path}: [{i}].janus: expected a ws:// URL of the peer's Janus")
        peers[r["id"]] = r
    return peers


def feed_url_maker(core: Core):
    """async camera -> the relay's play URL with the backend's own service token for the conference feed
    (relay user ``svc:conference-feed``: minted in memory by the relay supervisor on first use, never stored,
    rotated at each backend start; its views are audited like any other)."""
    token: list[str] = []

    async def feed_url(camera: str) -> str:
        if not core.relay_url or core.relay_service_token is None:
            raise CommandError("unavailable", "no camera relay: nothing to feed the conference from")
        if not token:
            token.append(core.relay_service_token(FEED_SERVICE))
        return f"{core.relay_url}/cam/{camera}.ts?token={token[0]}"

    return feed_url


def _text(args: dict, name: str, max_len: int = 100) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise CommandError("bad_args", f"{name}: expected a text of 1–{max_len} characters")
    return value.strip()


def _on(args: dict, default: bool | None = True) -> bool:
    value = args.get("on", default)
    if not isinstance(value, bool):
        raise CommandError("bad_args", "on: expected true or false")
    return value


def register(core: Core, media) -> None:
    async def video_out(core: Core, user: User, a: dict) -> dict:
        return await media.video_out(_text(a, "room", 64), _text(a, "participant"), _on(a))

    async def video_in(core: Core, user: User, a: dict) -> dict:
        return await media.video_in(_text(a, "room", 64), _text(a, "camera", 64), _on(a))

    async def record(core: Core, user: User, a: dict) -> dict:
        return await media.record(_text(a, "room", 64), _on(a, None))

    async def cascade(core: Core, user: User, a: dict) -> dict:
        pubs = a.get("publishers", [])
        if not isinstance(pubs, list) or not all(isinstance(p, str) and p for p in pubs) or len(pubs) > 64:
            raise CommandError("bad_args", "publishers: expected a list of publisher ids (at most 64)")
        return await media.cascade(_text(a, "room", 64), _text(a, "peer", 64), _text(a, "lower_room", 64), _on(a),
                                   pubs)

    for name, handler in (("video_out", video_out), ("video_in", video_in), ("record", record),
                          ("cascade", cascade)):
        core.register_action(f"conference.{name}", ROLES, handler)
