"""The camera list file (--cameras FILE): validate it, publish public fields, keep sources private.

Each entry: ``{"id", "name", "url", "sub_url"?, "lat"?, "lon"?, "township"?, "ptz"?, "multicast"?,
"sub_multicast"?, "direct_rtsp"?}``. The public part becomes a ``cameras`` record
(backend_client.models.Camera); url, sub_url and ptz go only to the private ``camera_sources`` table. The relay
outputs (backend/relay/README.md) are public: ``multicast`` / ``sub_multicast`` the camera's UDP multicast
groups ("239.x.y.z:port", each group:port used once), ``direct_rtsp`` true/false (null: the relay-wide
``--relay-direct-rtsp``). Error messages name the file, the index and the field, never a URL's value
(it may hold a password).
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from backend.core import Change, Core
from backend.relay.multicast import parse_group
from backend_client.jsonfile import read_json

CAMERA_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "udp://", "rtp://", "file://")
KNOWN_FIELDS = {"id", "name", "url", "sub_url", "lat", "lon", "township", "ptz", "multicast", "sub_multicast",
                "direct_rtsp"}
HEALTH_DEFAULTS = {"state": "idle", "bitrate_kbps": 0.0, "fps": 0.0, "keyframe_age": None, "viewers": 0,
                   "reconnects": 0, "codec": ""}


class CameraListError(ValueError):
    """``cameras.json: [3].url: expected rtsp://, http(s)://, … or a file path``."""


def _url(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CameraListError(f"{where}: expected a non-empty string")
    value = value.strip()
    if "://" in value and not value.lower().startswith(URL_SCHEMES):
        raise CameraListError(f"{where}: scheme not supported (use {', '.join(URL_SCHEMES)} or a file path)")
    return value


def _number(value: Any, where: str, low: float, high: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise CameraListError(f"{where}: expected a number between {low} and {high}")
    return float(value)


def _outputs(raw: dict, where: str, groups: dict[tuple[str, int], str]) -> dict:
    """The camera's relay outputs, validated: groups as "239.x.y.z:port" (each used once), direct_rtsp."""
    out: dict[str, Any] = {}
    for key in ("multicast", "sub_multicast"):
        value = raw.get(key)
        if value in (None, ""):
            out[key] = ""
            continue
        try:
            group = parse_group(value, f"{where}.{key}")
        except ValueError as exc:
            raise CameraListError(str(exc)) from None
        if key == "sub_multicast" and raw.get("sub_url") in (None, ""):
            raise CameraListError(f"{where}.sub_multicast: the camera has no sub_url")
        if group in groups:
            raise CameraListError(f"{where}.{key}: {group[0]}:{group[1]} is already {groups[group]}")
        groups[group] = f"{where.rsplit(': ', 1)[-1]}.{key}"
        out[key] = f"{group[0]}:{group[1]}"
    direct = raw.get("direct_rtsp")
    if direct is not None and not isinstance(direct, bool):
        raise CameraListError(f"{where}.direct_rtsp: expected true, false or null")
    out["direct_rtsp"] = direct
    return out


def parse_cameras(data: Any, source: str) -> tuple[list[dict], list[dict]]:
    """(public camera records, private sources) from a decoded camera list."""
    if not isinstance(data, list):
        raise CameraListError(f"{source}: expected a JSON list of cameras")
    public, private, seen = [], [], set()
    groups: dict[tuple[str, int], str] = {}
    for i, raw in enumerate(data):
        where = f"{source}: [{i}]"
        if not isinstance(raw, dict):
            raise CameraListError(f"{where}: expected an object")
        cam_id = raw.get("id")
        if not isinstance(cam_id, str) or not CAMERA_ID.match(cam_id):
            raise CameraListError(f"{where}.id: expected 1-64 letters, digits, '_', '.' or '-'")
        if cam_id in seen:
            raise CameraListError(f"{where}.id: {cam_id!r} appears twice")
        seen.add(cam_id)
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise CameraListError(f"{where}.name: expected a non-empty string")
        url = _url(raw.get("url"), f"{where}.url")
        sub_url = _url(raw["sub_url"], f"{where}.sub_url") if raw.get("sub_url") not in (None, "") else ""
        lat = _number(raw.get("lat"), f"{where}.lat", -90, 90)
        lon = _number(raw.get("lon"), f"{where}.lon", -180, 180)
        township = raw.get("township", "")
        if not isinstance(township, str):
            raise CameraListError(f"{where}.township: expected a string")
        ptz = raw.get("ptz")
        if ptz is not None and not isinstance(ptz, dict):
            raise CameraListError(f"{where}.ptz: expected an object such as "
                                  '{"protocol": "pelco-d", "port": "/dev/ttyUSB0", "address": 1}')
        public.append({"id": cam_id, "name": name.strip(), "lat": lat, "lon": lon, "township": township,
                       "has_sub": bool(sub_url), "ptz": ptz is not None, **_outputs(raw, where, groups)})
        private.append({"id": cam_id, "url": url, "sub_url": sub_url, "ptz": ptz})
    return public, private


def load_camera_file(path: str | Path) -> tuple[list[dict], list[dict]]:
    path = Path(path)
    data = read_json(path, CameraListError)
    return parse_cameras(data, str(path))


async def apply_cameras(core: Core, public: list[dict], private: list[dict]) -> int:
    """Make the store match the list: sources replaced, records upserted (health kept), others deleted.

    Returns the number of change events published.
    """
    await core.set_camera_sources(private)
    changes = []
    wanted = {cam["id"] for cam in public}
    for cam in public:
        current = core.get("cameras", cam["id"])
        record = {**HEALTH_DEFAULTS, **(current or {}), **cam}
        if record != current:
            changes.append(Change("cameras", "upsert", cam["id"], record))
    for current in core.all("cameras"):
        if current["id"] not in wanted:
            changes.append(Change("cameras", "delete", current["id"]))
    if changes:
        await core.publish(changes)
    return len(changes)
