"""The pull engine: the ffmpeg command for a camera source, and what its stderr says went wrong.

ffmpeg does all network and container work with ``-c copy`` (no re-encoding); only codecs MPEG-TS
players cannot take (MJPEG) are transcoded to H.264, and the health says so.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

PASSTHROUGH = {"h264", "hevc", "mpeg2video", "mpeg4"}
_INPUT_CODEC = re.compile(r"Stream #0:\d+.*?: Video: (\w+)")
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/@\s]*@")
_ERRORS = (  # (pattern in ffmpeg's stderr, code, message)
    (re.compile(r"401 Unauthorized|403 Forbidden|authori[sz]ation failed", re.I), "unauthorized",
     "the camera refused the credentials (401/403)"),
    (re.compile(r"404 Not Found|No such file or directory|Stream not found", re.I), "not_found",
     "no such stream at the camera (404 / no such file)"),
    (re.compile(r"Connection refused", re.I), "refused", "connection refused: nothing listens there"),
    (re.compile(r"timed out|Connection timed out|Operation timed out", re.I), "timeout",
     "the camera did not answer in time"),
    (re.compile(r"Name or service not known|Failed to resolve|Temporary failure in name resolution", re.I),
     "bad_host", "unknown host name"),
    (re.compile(r"Protocol not found|Invalid argument|Invalid data found|could not find codec", re.I),
     "bad_source", "not a playable source (bad URL or format)"),
    (re.compile(r"Connection reset|End of file|Broken pipe|Server returned", re.I), "disconnected",
     "the camera closed the connection"),
)


def redact(text: str) -> str:
    """Remove user:password@ from any URL in ``text`` (ffmpeg echoes URLs in its errors)."""
    return _USERINFO.sub(r"\1***@", text)


def split_options(url: str) -> tuple[str, dict[str, str]]:
    """``rtsp://cam/x#transport=udp`` → (``rtsp://cam/x``, {"transport": "udp"}): relay options ride in the
    fragment, which is never sent to the camera."""
    if "#" not in url:
        return url, {}
    base, frag = url.split("#", 1)
    opts = dict(part.split("=", 1) for part in frag.split("&") if "=" in part)
    return base, opts


def input_args(url: str, rtsp_transport: str = "tcp", io_timeout_s: float = 5.0) -> list[str]:
    url, opts = split_options(url)
    scheme = urlsplit(url).scheme.lower() if "://" in url else "file"
    timeout_us = str(int(io_timeout_s * 1_000_000))
    live_rtp = scheme == "file" and url.lower().endswith(".sdp")
    network = scheme in ("rtsp", "rtsps", "http", "https", "udp", "rtp")
    # What ffmpeg reads before it writes anything. -c copy needs no frame rate and no decoded frame, and
    # ffmpeg's stream copy starts at the first keyframe anyway, so the analysis only delays that keyframe's
    # way out: no frame-rate probe, and a short analysis. RTP described by an SDP (a conference participant):
    # the codec is in the SDP, only the keyframe's SPS is wanted: first TS bytes 0.3 s after the keyframe
    # request instead of 0.7 s (issue 12 bench). A camera: 0.5 s (the codec's parameters are in the SDP or
    # the first packets; a stream without them for longer is copied all the same, as with 1.5 s when its
    # GOP is longer): a camera not yet pulled gives its first bytes at its next keyframe, not 1.5 s after
    # the request at the earliest (2026-11-27, the demo RTSP server, join at a random moment: median 0.79 s
    # against 1.75 s for H.264 with a 2 s GOP, 0.17 s against 0.95 s for MJPEG). A file (demo) keeps 1.5 s.
    analyze, probe = ("100000", "65536") if live_rtp else ("500000", "1000000") if network else ("1500000", "1000000")
    args = ["-fflags", "+genpts+discardcorrupt", "-analyzeduration", analyze, "-probesize", probe]
    if live_rtp or network:
        args += ["-fpsprobesize", "0"]
    if scheme in ("rtsp", "rtsps"):
        args += ["-rtsp_transport", opts.get("transport", rtsp_transport), "-timeout", timeout_us]
    elif scheme in ("http", "https"):
        args += ["-rw_timeout", timeout_us, "-reconnect", "0"]
    elif scheme in ("udp", "rtp"):
        args += ["-timeout", timeout_us]
    elif live_rtp:  # RTP described by an SDP file (a conference participant): live
        args += ["-protocol_whitelist", "file,udp,rtp"]
    else:  # a file (demo/test source): play it in real time, looped, like a camera
        if url.startswith("file://"):
            url = url[len("file://"):]
        args += ["-re", "-stream_loop", "-1"]
    return args + ["-i", url]


def ffmpeg_command(url: str, transcode: bool = False, rtsp_transport: str = "tcp",
                   io_timeout_s: float = 5.0, gop: int = 25) -> list[str]:
    """ffmpeg: pull ``url`` once, write MPEG-TS to stdout with every packet flushed at once."""
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info"]
    cmd += input_args(url, rtsp_transport, io_timeout_s)
    cmd += ["-map", "0:v:0", "-map", "0:a:0?"]
    if transcode:
        cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
                "-g", str(gop), "-bf", "0", "-crf", "26", "-c:a", "copy"]
    else:
        cmd += ["-c", "copy"]
    cmd += ["-f", "mpegts", "-muxdelay", "0", "-muxpreload", "0", "-flush_packets", "1",
            "-mpegts_flags", "+resend_headers", "pipe:1"]
    return cmd


class StderrWatch:
    """Reads ffmpeg's stderr lines: the input codec and the most telling error (redacted).

    Attributes:
        input_codec: e.g. "h264", "hevc", "mjpeg" once ffmpeg printed its input, else "".
        error_code, error: the last classified problem ("unauthorized", …) and a readable message.
    """

    def __init__(self) -> None:
        self.input_codec = ""
        self.error_code = ""
        self.error = ""
        self.last_line = ""

    def line(self, text: str) -> None:
        text = redact(text.strip())
        if not text:
            return
        self.last_line = text[-300:]
        if not self.input_codec:
            m = _INPUT_CODEC.search(text)
            if m:
                self.input_codec = m.group(1)
        for pattern, code, message in _ERRORS:
            if pattern.search(text):
                if code == "disconnected" and self.error_code not in ("", "disconnected"):
                    break  # keep the more specific cause
                self.error_code, self.error = code, message
                break

    def needs_transcode(self) -> bool:
        return bool(self.input_codec) and self.input_codec not in PASSTHROUGH
