"""What this machine's libvlc can play, found honestly from its plugin files (no playback attempt).

libvlc plays ``rtsp://`` only through its live555 access plugin (``liblive555_plugin.so`` / ``.dll`` /
``.dylib`` in ``plugins/access``). Debian's libvlc is built without it, so on Debian tiles always play
through the relay; VLC builds for Windows/macOS ship it, and there a tile may ask the relay for a direct
camera URL (only where the relay's direct-RTSP setting allows it: backend/relay/direct.py).
"""
from __future__ import annotations

import ctypes.util
import os
import sys
from pathlib import Path
from typing import Iterable

LIVE555 = ("liblive555_plugin.so", "liblive555_plugin.dll", "liblive555_plugin.dylib")
_STANDARD_DIRS = ("/usr/lib/x86_64-linux-gnu/vlc/plugins", "/usr/lib/aarch64-linux-gnu/vlc/plugins",
                  "/usr/lib/vlc/plugins", "/usr/lib64/vlc/plugins", "/usr/local/lib/vlc/plugins",
                  "/Applications/VLC.app/Contents/MacOS/plugins",
                  r"C:\Program Files\VideoLAN\VLC\plugins", r"C:\Program Files (x86)\VideoLAN\VLC\plugins")


def has_rtsp_plugin(plugin_files: Iterable[str]) -> bool:
    """Pure: whether a listing of plugin file names (any folder depth) includes live555's access plugin."""
    return any(str(name).replace("\\", "/").rsplit("/", 1)[-1].lower() in LIVE555 for name in plugin_files)


def plugin_dirs(env: dict | None = None) -> list[Path]:
    """Where this process's libvlc looks for plugins: VLC_PLUGIN_PATH, next to libvlc, the usual places."""
    env = os.environ if env is None else env
    dirs = [Path(p) for p in env.get("VLC_PLUGIN_PATH", "").split(os.pathsep) if p]
    lib = ctypes.util.find_library("vlc")
    if lib and os.path.isabs(lib):
        dirs += [Path(lib).parent / "vlc" / "plugins", Path(lib).parent / "plugins"]
    try:
        import vlc  # python-vlc knows the folder it loaded libvlc from on Windows/macOS

        if getattr(vlc, "plugin_path", None):
            dirs.append(Path(vlc.plugin_path))
    except (ImportError, OSError):
        pass
    dirs += [Path(p) for p in _STANDARD_DIRS]
    seen, out = set(), []
    for d in dirs:
        if d not in seen and d.is_dir():
            seen.add(d)
            out.append(d)
    return out


def rtsp_client_available(dirs: Iterable[Path] | None = None) -> bool:
    """True when libvlc here has an RTSP client (live555 plugin found); False on Debian's libvlc."""
    for d in plugin_dirs() if dirs is None else dirs:
        access = Path(d) / "access"
        try:
            names = os.listdir(access) if access.is_dir() else [p.name for p in Path(d).rglob("liblive555*")]
        except OSError:
            continue
        if has_rtsp_plugin(names):
            return True
    return False


def play_query(rtsp_ok: bool | None = None) -> str:
    """The extra query for the relay's ``/play/<id>`` request: ``&rtsp=1`` only when RTSP plays here."""
    if rtsp_ok is None:
        rtsp_ok = rtsp_client_available()
    return "&rtsp=1" if rtsp_ok else ""


if __name__ == "__main__":  # ``python -m backend_client.vlc_caps``: say what was found
    found = rtsp_client_available()
    print(f"libvlc RTSP client: {'yes' if found else 'no'} (plugin dirs: {', '.join(map(str, plugin_dirs()))})")
    sys.exit(0)
