"""Conference recordings: switch Janus videoroom recording on per room, convert the .mjr files with
janus-pp-rec afterwards into playable files, and link each file to the incident as a ``recordings`` record.

    await start_recording(videoroom, "CS-1", rec_dir=janus.recordings_dir / "CS-1", secret=room_secret)
    ...                                                   # the meeting
    await stop_recording(videoroom, "CS-1", secret=room_secret)
    files = await convert_room(rec_dir, out_dir)          # [Recording(...)] — H.264 → .mp4, VP8/VP9 → .webm
    await link_recordings(core, files, incident="INC-7", room="CS-1")   # records the incident timeline shows

Conversion runs after the meeting, never during it (janus-pp-rec reads a finished file), in a thread pool so
the event loop stays free; a file that does not convert is reported with its reason, the others go on.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from backend.core import Change

log = logging.getLogger(__name__)

PP_REC = shutil.which("janus-pp-rec") or "/usr/bin/janus-pp-rec"
EXTENSIONS = {"h264": ".mp4", "h265": ".mp4", "vp8": ".webm", "vp9": ".webm", "av1": ".mp4", "opus": ".opus",
              "g711": ".wav", "pcmu": ".wav", "pcma": ".wav"}
# videoroom-<room>-user-<participant>-<timestamp>-<video|audio>-<n>.mjr (Janus 1.1 multistream names)
_NAME = re.compile(r"^videoroom-(?P<room>.+)-user-(?P<user>.+)-(?P<ts>\d+)-(?P<kind>video|audio|data)-(?P<n>\d+)$")


class RecordingError(RuntimeError):
    """A conversion that failed, naming the .mjr file and the reason."""


@dataclass(frozen=True)
class Recording:
    """One converted stream. Attributes: id, source (.mjr path), path (playable file), kind (video|audio),
    codec, participant, room, bytes, duration_s, error (non-empty when conversion failed)."""

    id: str
    source: str
    path: str
    kind: str
    codec: str
    participant: str
    room: str
    bytes: int = 0
    duration_s: float = 0.0
    error: str = ""


def _body(request: str, room: str, secret: str, admin_key: str, **fields) -> dict:
    body = {"request": request, "room": room, **fields}
    if secret:
        body["secret"] = secret
    if admin_key:
        body["admin_key"] = admin_key
    return body


async def start_recording(videoroom, room: str, *, rec_dir: str | Path, secret: str = "",
                          admin_key: str = "") -> Path:
    """Record every publisher of ``room`` into ``rec_dir`` (created) from now on."""
    rec_dir = Path(rec_dir)
    rec_dir.mkdir(parents=True, exist_ok=True)
    await videoroom.request(_body("edit", room, secret, admin_key, new_rec_dir=str(rec_dir)))
    await videoroom.request(_body("enable_recording", room, secret, admin_key, record=True))
    return rec_dir


async def stop_recording(videoroom, room: str, *, secret: str = "", admin_key: str = "") -> None:
    await videoroom.request(_body("enable_recording", room, secret, admin_key, record=False))


def _header_codec(mjr: Path) -> str:
    """The codec janus-pp-rec reads from the .mjr header (``--json`` prints it)."""
    out = subprocess.run([PP_REC, "--json", str(mjr)], capture_output=True, text=True, timeout=30)
    match = re.search(r'"c"\s*:\s*"(\w+)"', out.stdout + out.stderr)
    return match.group(1).lower() if match else ""


def _probe_duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
                         capture_output=True, text=True, timeout=30)
    try:
        return float(json.loads(out.stdout)["format"]["duration"])
    except (ValueError, KeyError, TypeError):
        return 0.0


def convert_file(mjr: Path, out_dir: Path) -> Recording:
    """janus-pp-rec one .mjr into out_dir; the Recording says what came out (or why nothing did)."""
    mjr = Path(mjr)
    match = _NAME.match(mjr.stem)
    room, user, kind = (match["room"], match["user"], match["kind"]) if match else ("", "", "video")
    codec = ""
    try:
        codec = _header_codec(mjr)
        if codec not in EXTENSIONS:
            raise RecordingError(f"{mjr}: codec {codec or 'unknown'!r} cannot be converted")
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / (mjr.stem + EXTENSIONS[codec])
        run = subprocess.run([PP_REC, str(mjr), str(target)], capture_output=True, text=True, timeout=300)
        if run.returncode != 0 or not target.exists() or target.stat().st_size == 0:
            tail = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no output"]
            raise RecordingError(f"{mjr}: janus-pp-rec failed ({run.returncode}): {tail[0][:200]}")
        return Recording(mjr.stem, str(mjr), str(target), kind, codec, user, room, target.stat().st_size,
                         _probe_duration(target))
    except (RecordingError, OSError, subprocess.SubprocessError) as exc:
        log.warning("recording: %s", exc)
        return Recording(mjr.stem, str(mjr), "", kind, codec, user, room, error=str(exc))


async def convert_room(rec_dir: str | Path, out_dir: str | Path) -> list[Recording]:
    """Convert every .mjr in rec_dir (in a worker thread, one file at a time: two shared cores)."""
    files = sorted(Path(rec_dir).glob("*.mjr"))
    results = []
    for mjr in files:
        results.append(await asyncio.to_thread(convert_file, mjr, Path(out_dir)))
    return results


async def link_recordings(core, recordings: list[Recording], *, incident: str = "", room: str = "",
                          actor: str = "conference") -> list[dict]:
    """One ``recordings`` record per converted file, carrying the incident id (the incident timeline lists
    them by that field). Failed conversions are recorded too, with their error, so nothing goes missing."""
    now = time.time()
    changes = []
    for rec in recordings:
        data = {**asdict(rec), "incident": incident, "room": room or rec.room, "ts": now}
        changes.append(Change("recordings", "upsert", rec.id, data))
    if changes:
        await core.publish(changes, actor=actor)
    return [c.data for c in changes]
