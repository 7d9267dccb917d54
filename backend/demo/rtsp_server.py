"""Demo RTSP server: each clip DIR/<name>.<h264|h265|mjpeg> looped seamlessly at rtsp://HOST:PORT/<name>.

    /usr/bin/python3 backend/demo/rtsp_server.py --port 8554 --clips var/demo/clips [--user U --password P]

Needs gst-rtsp-server through Debian's python3-gi (system python, not the venv). The clip is split into
access units once, held in memory, and pushed through an appsrc at the frame rate with live timestamps,
so the loop point is invisible to clients (no timestamp jump, no reconnect). One shared pipeline per clip
serves every client. Prints ``rtsp server listening on rtsp://HOST:PORT (N clips)`` when ready.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

CODECS = {  # extension: (caps, parse+pay launch fragment)
    "h264": ("video/x-h264,stream-format=byte-stream,alignment=au,framerate={fps}/1",
             "h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1"),
    "h265": ("video/x-h265,stream-format=byte-stream,alignment=au,framerate={fps}/1",
             "h265parse ! rtph265pay name=pay0 pt=96 config-interval=-1"),
    "mjpeg": ("image/jpeg,framerate={fps}/1", "jpegparse ! rtpjpegpay name=pay0 pt=26"),
}


def _start_codes(data: bytes) -> list[int]:
    """Offsets of the NAL header byte after each 00 00 01 start code."""
    out, i = [], data.find(b"\x00\x00\x01")
    while i >= 0:
        out.append(i + 3)
        i = data.find(b"\x00\x00\x01", i + 3)
    return out


def split_access_units(data: bytes, codec: str) -> list[tuple[bytes, bool]]:
    """[(access unit bytes, is keyframe)]. H.264/H.265 split at access unit delimiters; MJPEG at SOI."""
    if codec == "mjpeg":
        starts = []
        i = data.find(b"\xff\xd8\xff")
        while i >= 0:
            starts.append(i)
            i = data.find(b"\xff\xd8\xff", i + 3)
        bounds = starts + [len(data)]
        return [(data[a:b], True) for a, b in zip(bounds, bounds[1:]) if b > a]
    aud, key_types = (9, {5}) if codec == "h264" else (35, {16, 17, 18, 19, 20, 21})
    units: list[tuple[bytes, bool]] = []
    start, key = None, False
    for pos in _start_codes(data):
        if pos >= len(data):
            break
        nal = data[pos] & 0x1F if codec == "h264" else (data[pos] >> 1) & 0x3F
        sc = pos - 4 if pos >= 4 and data[pos - 4] == 0 else pos - 3  # include a 4-byte start code's zero
        if nal == aud:
            if start is not None:
                units.append((data[start:sc], key))
            start, key = sc, False
        elif nal in key_types:
            key = True
    if start is not None:
        units.append((data[start:], key))
    if not units:
        raise ValueError(f"no access unit delimiters found (make clips with backend/demo/clips.py)")
    return units


class LoopingClip:
    """One clip's access units in memory and the factory that serves them."""

    def __init__(self, path: Path, fps: int):
        self.name, self.codec, self.fps = path.stem, path.suffix.lstrip("."), fps
        self.units = split_access_units(path.read_bytes(), self.codec)
        if self.codec != "mjpeg":  # start the loop on a keyframe so the seam is clean
            first = next((i for i, (_u, k) in enumerate(self.units) if k), 0)
            self.units = self.units[first:]
        caps, pay = CODECS[self.codec]
        self.launch = (f"( appsrc name=src is-live=true do-timestamp=true format=time "
                       f"caps={caps.format(fps=fps)} ! {pay} )")
        self.clients = 0

    def factory(self) -> GstRtspServer.RTSPMediaFactory:
        f = GstRtspServer.RTSPMediaFactory()
        f.set_launch(self.launch)
        f.set_shared(True)
        f.connect("media-configure", self._on_configure)
        return f

    def _on_configure(self, _factory, media) -> None:
        appsrc = media.get_element().get_child_by_name("src")
        threading.Thread(target=self._push, args=(appsrc,), name=f"push-{self.name}", daemon=True).start()

    def _push(self, appsrc) -> None:
        period = 1.0 / self.fps
        t0, i = time.monotonic(), 0
        while True:
            delay = t0 + i * period - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -1.0:  # we fell far behind (machine busy): skip ahead rather than burst
                t0, i = time.monotonic(), 0
            data, key = self.units[i % len(self.units)]
            buf = Gst.Buffer.new_wrapped(data)
            buf.duration = int(Gst.SECOND * period)
            if not key:
                buf.set_flags(Gst.BufferFlags.DELTA_UNIT)
            if appsrc.emit("push-buffer", buf) != Gst.FlowReturn.OK:
                return  # the shared pipeline was torn down (no clients left)
            i += 1


def build_server(clips: list[LoopingClip], host: str, port: int, user: str = "",
                 password: str = "") -> GstRtspServer.RTSPServer:
    server = GstRtspServer.RTSPServer()
    server.set_address(host)
    server.set_service(str(port))
    mounts = server.get_mount_points()
    for clip in clips:
        factory = clip.factory()
        if user:
            factory.add_role_from_structure(Gst.Structure.from_string(
                "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")[0])
        mounts.add_factory(f"/{clip.name}", factory)
    if user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "viewer")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        server.set_auth(auth)
    return server


def load_clips(folder: Path, fps: int) -> list[LoopingClip]:
    clips = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lstrip(".") in CODECS and not path.name.startswith("."):
            try:
                clips.append(LoopingClip(path, fps))
            except (OSError, ValueError) as exc:
                print(f"rtsp server: {path}: skipped: {exc}", file=sys.stderr)
    return clips


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips", type=Path, required=True, help="folder of <name>.h264|h265|mjpeg clips")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8554, help="0: any free port")
    p.add_argument("--fps", type=int, default=25, help="frame rate of the clips (default 25)")
    p.add_argument("--user", default="", help="require this user (RTSP basic auth) on every clip")
    p.add_argument("--password", default="")
    args = p.parse_args(argv)
    if not args.clips.is_dir():
        print(f"rtsp server: --clips {args.clips}: not a folder", file=sys.stderr)
        return 2
    Gst.init(None)
    clips = load_clips(args.clips, args.fps)
    if not clips:
        print(f"rtsp server: no clips in {args.clips} (make them: python -m backend.demo.clips --out DIR)",
              file=sys.stderr)
        return 2
    server = build_server(clips, args.host, args.port, args.user, args.password)
    if server.attach(None) == 0:
        print(f"rtsp server: cannot listen on {args.host}:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"rtsp server listening on rtsp://{args.host}:{server.get_bound_port()} ({len(clips)} clips: "
          f"{', '.join(c.name for c in clips[:5])}{' …' if len(clips) > 5 else ''})", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
