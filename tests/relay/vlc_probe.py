"""A headless libvlc player (--vout=dummy) that reports how many frames it decoded from a URL."""
from __future__ import annotations

import time

import pytest

from tests.helpers.libvlc import private_runtime_dir

private_runtime_dir()

try:
    import vlc
except (ImportError, OSError):  # pragma: no cover - depends on the machine
    vlc = None

ARGS = ["--vout=dummy", "--aout=dummy", "--no-audio", "--avcodec-threads=1", "--network-caching=200", "--quiet"]


class HeadlessPlayer:
    """``with HeadlessPlayer(url) as p: p.wait_frames(10)``; ``p.decoded()`` is libvlc's decoded-video count."""

    _instance = None

    def __init__(self, url: str, options: tuple = ()):
        if vlc is None:
            pytest.skip("python-vlc / libvlc not available")
        if HeadlessPlayer._instance is None:
            HeadlessPlayer._instance = vlc.Instance(ARGS)
        inst = HeadlessPlayer._instance
        self.media = inst.media_new(url, *options)  # e.g. ":miface=lo" to join a multicast group on lo
        self.player = inst.media_player_new()
        self.player.set_media(self.media)
        self._stats = vlc.MediaStats()

    def decoded(self) -> int:
        return self._stats.decoded_video if self.media.get_stats(self._stats) else 0

    def wait_frames(self, n: int, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.decoded() >= n:
                return self.decoded()
            time.sleep(0.05)
        raise TimeoutError(f"libvlc decoded {self.decoded()} frames, wanted {n}")

    def __enter__(self) -> "HeadlessPlayer":
        self.player.play()
        return self

    def __exit__(self, *exc) -> None:
        self.player.stop()
        self.player.release()
        self.media.release()
