"""A pseudo-terminal pair joined by socat, for testing serial code on real ttys; can be unplugged and replugged.

    with PtyPair(tmp_path) as pair:          # pair.a, pair.b: stable symlinks to /dev/pts/N
        ...open pair.a with SerialTransport, pair.b with os.open or another transport...
        pair.unplug()                        # socat dies: both ttys hang up (EIO / SerialException)
        pair.replug()                        # a new socat, new /dev/pts/N, same link paths

Both ends are raw with echo off, like a serial line. Bytes written at one end come out of the other.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path


class PtyPair:
    """Runs `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`.

    Attributes:
        a, b: paths of the two link names (str), valid while plugged in.
        log: socat's stderr (its -d -d notices), for diagnostics when something fails.
        starts: how many socat processes this pair has started.
    """

    def __init__(self, directory: Path | str, *, timeout: float = 10.0) -> None:
        if shutil.which("socat") is None:
            raise RuntimeError("socat is not installed (Debian package 'socat')")
        self._dir = Path(directory)
        self._dir.mkdir(parents=True, exist_ok=True)
        self.a = str(self._dir / "a")
        self.b = str(self._dir / "b")
        self.log = self._dir / "socat.log"
        self.timeout = timeout
        self.starts = 0
        self._proc: subprocess.Popen | None = None

    @property
    def plugged(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> "PtyPair":
        """Start socat and wait until both links point at live ttys."""
        if self.plugged:
            return self
        for link in (self.a, self.b):
            if os.path.lexists(link):  # left dangling by a SIGKILLed socat
                os.unlink(link)
        with open(self.log, "ab") as log:
            self._proc = subprocess.Popen(
                ["socat", "-d", "-d",
                 f"pty,raw,echo=0,link={self.a}", f"pty,raw,echo=0,link={self.b}"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        self.starts += 1
        deadline = time.monotonic() + self.timeout
        while not (os.path.exists(self.a) and os.path.exists(self.b)):
            if self._proc.poll() is not None:
                raise RuntimeError(f"socat exited with {self._proc.returncode}: {self.log.read_text()[-500:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"socat did not create {self.a} and {self.b} within {self.timeout} s")
            time.sleep(0.005)
        return self

    def stop(self, *, hard: bool = False) -> None:
        """End socat (SIGTERM, or SIGKILL with hard=True, which leaves the links dangling) and reap it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
            try:
                proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=self.timeout)

    def unplug(self, *, hard: bool = False) -> None:
        """Pull the cable: both ttys hang up; the link paths vanish (or dangle, with hard=True)."""
        self.stop(hard=hard)

    def replug(self) -> None:
        """Plug back in: a fresh socat behind the same link paths."""
        self.stop()
        self.start()

    def __enter__(self) -> "PtyPair":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
