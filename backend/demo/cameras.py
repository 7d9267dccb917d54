"""The demo city's 20 cameras, and the command that writes them as a camera list file (INTERFACES.md).

    python -m backend.demo.cameras --rtsp rtsp://127.0.0.1:8554 > cameras.json
"""
from __future__ import annotations

import argparse
import json
import random
import sys

from backend.demo.city import jitter, township

# (township code, place): cam-01 … cam-20 in this order. The places are plausible, not surveyed.
CAMERA_SITES: tuple[tuple[str, str], ...] = (
    ("330784003", "丽州路口"),
    ("330784001", "五金城广场"),
    ("330784002", "胜利街口"),
    ("330784001", "望春路口"),
    ("330784003", "金胜路口"),
    ("330784002", "西津桥"),
    ("330784001", "总部中心"),
    ("330784003", "南苑路口"),
    ("330784002", "华溪桥"),
    ("330784105", "镇区主干道"),
    ("330784106", "前仓大桥"),
    ("330784107", "水库大坝"),
    ("330784108", "集镇中心"),
    ("330784109", "方岩景区入口"),
    ("330784110", "龙山集镇路口"),
    ("330784111", "工业园区"),
    ("330784112", "镇区路口"),
    ("330784113", "工业区大门"),
    ("330784114", "镇区主干道"),
    ("330784115", "芝英古镇街口"),
)
CAMERA_IDS: tuple[str, ...] = tuple(f"cam-{i:02d}" for i in range(1, len(CAMERA_SITES) + 1))


def demo_cameras(rtsp_base: str = "rtsp://127.0.0.1:8554") -> list[dict]:
    """The demo cameras as camera list entries: id, name, url, sub_url (the same clip), lat, lon, township."""
    base = rtsp_base.rstrip("/")
    rng = random.Random(20)  # fixed: the cameras stand still between runs
    out = []
    for cam_id, (code, place) in zip(CAMERA_IDS, CAMERA_SITES):
        t = township(code)
        lat, lon = jitter(rng, (t.lat, t.lon), 500)
        url = f"{base}/{cam_id}"
        out.append({"id": cam_id, "name": f"{t.name} {place}", "url": url, "sub_url": url,
                    "lat": round(lat, 6), "lon": round(lon, 6), "township": code})
    return out


def camera_records(rtsp_base: str = "rtsp://127.0.0.1:8554") -> list[dict]:
    """The public part of each demo camera (models.Camera fields; never the URL)."""
    return [{"id": c["id"], "name": c["name"], "lat": c["lat"], "lon": c["lon"], "township": c["township"],
             "has_sub": True, "ptz": False} for c in demo_cameras(rtsp_base)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.demo.cameras",
                                     description="Print the demo city's camera list (JSON) on stdout.")
    parser.add_argument("--rtsp", default="rtsp://127.0.0.1:8554",
                        help="base URL of the demo RTSP server (default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.rtsp.startswith(("rtsp://", "rtsps://", "http://", "https://")):
        parser.error(f"--rtsp: expected an rtsp:// or http(s):// URL, got {args.rtsp!r}")
    json.dump(demo_cameras(args.rtsp), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
