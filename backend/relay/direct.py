"""Direct RTSP: whether a client may play a camera straight from the camera instead of through the relay.

Off by default. Debian's libvlc has no RTSP client, so the relay is the normal path; VLC builds for
Windows/macOS have one (live555). A relay-wide setting (``direct_rtsp``) and a per-camera one (the camera's
``"direct_rtsp": true/false``, which wins) allow it; the client says whether its libvlc can play RTSP
(``backend_client/vlc_caps.py``). Only when both agree does the relay hand out the camera's own URL, which
carries the camera's credentials: every URL handed out is recorded as a view (transport "rtsp-direct",
audited by the backend as camera.view), and the camera then serves that client itself (its session limit
applies, and the relay's health, GOP cache and instant start do not).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from backend.relay.pull import split_options

DIRECT_SCHEMES = ("rtsp", "rtsps")


def direct_allowed(relay_setting: bool, camera_setting: bool | None) -> bool:
    """The camera's own setting wins; without one the relay-wide setting decides."""
    return bool(relay_setting if camera_setting is None else camera_setting)


def choose_play(source_url: str, relay_setting: bool, camera_setting: bool | None, client_rtsp: bool,
                relay_url: str) -> tuple[str, str]:
    """("rtsp-direct", the camera's URL) when allowed for this camera AND the client can play RTSP AND the
    source is RTSP; else ("http", ``relay_url``)."""
    base, _opts = split_options(source_url)
    scheme = urlsplit(base).scheme.lower() if "://" in base else ""
    if client_rtsp and scheme in DIRECT_SCHEMES and direct_allowed(relay_setting, camera_setting):
        return "rtsp-direct", base
    return "http", relay_url
