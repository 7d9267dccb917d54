"""Short looping demo camera clips (camera name + running clock burned in), made once with ffmpeg.

    python -m backend.demo.clips --out var/demo/clips --cameras 20      # cam-01.h264 … cam-20.h264
    python -m backend.demo.clips --out DIR --variants                   # + h265-test.h265, mjpeg-test.mjpeg

Clips are raw elementary streams (H.264/H.265 Annex B with access unit delimiters, or concatenated JPEGs)
that backend/demo/rtsp_server.py loops seamlessly. No B-frames and a fixed GOP, like most cameras.
Runs standalone too (``python backend/demo/clips.py``): it imports nothing from the project.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
EXTENSIONS = {"h264": "h264", "h265": "h265", "mjpeg": "mjpeg"}
PATTERNS = ("testsrc2", "smptehdbars", "rgbtestsrc", "testsrc")


@dataclass(frozen=True)
class ClipSpec:
    """What one clip looks like. ``gop`` in frames; ``kbps`` the target bitrate (H.264/H.265)."""

    name: str
    codec: str = "h264"
    width: int = 640
    height: int = 360
    fps: int = 25
    gop: int = 50
    seconds: float = 12.0
    kbps: int = 600

    @property
    def filename(self) -> str:
        return f"{self.name}.{EXTENSIONS[self.codec]}"


def _video_filter(spec: ClipSpec, index: int) -> tuple[str, str]:
    pattern = PATTERNS[index % len(PATTERNS)]
    src = f"{pattern}=size={spec.width}x{spec.height}:rate={spec.fps}"
    size = max(14, spec.height // 12)
    text = spec.name.replace("'", "").replace(":", " ").replace("\\", "")  # keep drawtext's parser happy
    font = f"fontfile={FONT}:" if os.path.exists(FONT) else ""
    draw = (f"drawtext={font}text='{text}  %{{pts\\:hms}}':fontsize={size}:fontcolor=white:"
            f"box=1:boxcolor=black@0.6:boxborderw=6:x=16:y=16")
    return src, draw


def ffmpeg_command(spec: ClipSpec, out: Path, index: int = 0) -> list[str]:
    """The ffmpeg command line that writes ``spec`` to ``out``."""
    if spec.codec not in EXTENSIONS:
        raise ValueError(f"clip {spec.name}: codec {spec.codec!r} not one of {', '.join(EXTENSIONS)}")
    src, draw = _video_filter(spec, index)
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", src,
           "-t", f"{spec.seconds:.3f}", "-vf", draw, "-pix_fmt", "yuv420p" if spec.codec != "mjpeg" else "yuvj420p"]
    if spec.codec == "h264":
        cmd += ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-bf", "0",
                "-g", str(spec.gop), "-keyint_min", str(spec.gop), "-sc_threshold", "0",
                "-b:v", f"{spec.kbps}k", "-maxrate", f"{spec.kbps * 2}k", "-bufsize", f"{spec.kbps * 2}k",
                "-bsf:v", "h264_metadata=aud=insert", "-f", "h264"]
    elif spec.codec == "h265":
        cmd += ["-c:v", "libx265", "-preset", "veryfast", "-b:v", f"{spec.kbps}k",
                "-x265-params", f"log-level=error:bframes=0:keyint={spec.gop}:min-keyint={spec.gop}:"
                                f"scenecut=0:aud=1:repeat-headers=1", "-f", "hevc"]
    else:
        cmd += ["-c:v", "mjpeg", "-q:v", "6", "-f", "mjpeg"]
    return cmd + [str(out)]


def make_clip(spec: ClipSpec, out_dir: str | os.PathLike, index: int = 0, force: bool = False) -> Path:
    """Write the clip into ``out_dir`` (atomically) unless it is already there; return its path."""
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("ffmpeg not found: install it (apt-get install ffmpeg)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / spec.filename
    if path.exists() and path.stat().st_size > 0 and not force:
        return path
    tmp = out_dir / f".{spec.filename}.{os.getpid()}.tmp"
    try:
        proc = subprocess.run(ffmpeg_command(spec, tmp, index), capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not tmp.exists():
            raise RuntimeError(f"clip {spec.name}: ffmpeg failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def demo_specs(cameras: int = 20, **kw) -> list[ClipSpec]:
    """cam-01 … cam-NN, H.264."""
    return [ClipSpec(f"cam-{i:02d}", **kw) for i in range(1, cameras + 1)]


def variant_specs() -> list[ClipSpec]:
    """The codec variants the relay tests use."""
    return [ClipSpec("h264-test", "h264", gop=25, seconds=8),
            ClipSpec("h265-test", "h265", gop=25, seconds=8),
            ClipSpec("mjpeg-test", "mjpeg", width=480, height=270, seconds=6)]


def make_clips(out_dir: str | os.PathLike, specs: list[ClipSpec], force: bool = False) -> list[Path]:
    return [make_clip(spec, out_dir, i, force) for i, spec in enumerate(specs)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m backend.demo.clips", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True, help="folder for the clips")
    p.add_argument("--cameras", type=int, default=20, help="number of demo cameras cam-01 … (default 20)")
    p.add_argument("--variants", action="store_true", help="also the H.264/H.265/MJPEG test clips")
    p.add_argument("--size", default="640x360", help="WxH (default 640x360)")
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--gop", type=int, default=50)
    p.add_argument("--seconds", type=float, default=12.0)
    p.add_argument("--force", action="store_true", help="remake clips that exist")
    args = p.parse_args(argv)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        p.error(f"--size: expected WxH such as 640x360, got {args.size!r}")
    if not 0 <= args.cameras <= 999:
        p.error("--cameras: expected 0-999")
    specs = demo_specs(args.cameras, width=width, height=height, fps=args.fps, gop=args.gop,
                       seconds=args.seconds)
    if args.variants:
        specs += variant_specs()
    try:
        paths = make_clips(args.out, specs, args.force)
    except RuntimeError as exc:
        print(f"clips: {exc}", file=sys.stderr)
        return 1
    print(f"clips: {len(paths)} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
