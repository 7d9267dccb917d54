"""Reliability fixtures: a small tmpfs to fill, and a frame collector for raw websocket clients."""
from __future__ import annotations

import asyncio
import itertools
import subprocess
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from backend_client import protocol

_ids = itertools.count(1)


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MiB tmpfs mounted at tmp_path/disk (root only); unmounted afterwards."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(disk: Path) -> Path:
    """Fill the file system until ENOSPC; returns the filler file (delete it to free the space)."""
    filler = disk / "filler"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    return filler


class Collector:
    """A raw client whose frames are collected by a background task (so waits never steal frames)."""

    def __init__(self, ws):
        self.ws, self.frames, self.times = ws, [], []
        self._new = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str, token: str, since=None) -> "Collector":
        ws = await connect(url, max_size=None, open_timeout=30)
        await ws.send(protocol.encode(protocol.auth(token, since, "reliability-test")))
        self = cls(ws)
        await self.wait(lambda m: m["type"] == "auth_ok")
        return self

    async def _read(self):
        try:
            async for raw in self.ws:
                self.frames.append(protocol.decode_server(raw))
                self.times.append(time.monotonic())
                self._new.set()
        except Exception:
            pass
        self._new.set()

    async def wait(self, pred, timeout: float = 30.0) -> dict:
        async with asyncio.timeout(timeout):
            seen = 0
            while True:
                for msg in self.frames[seen:]:
                    if pred(msg):
                        return msg
                seen = len(self.frames)
                self._new.clear()
                await self._new.wait()

    async def send_command(self, action: str, args: dict | None = None) -> str:
        cmd_id = f"r-{next(_ids)}"
        await self.ws.send(protocol.encode(protocol.command(cmd_id, action, args or {})))
        return cmd_id

    async def result(self, cmd_id: str, timeout: float = 30.0) -> dict:
        return await self.wait(lambda m: m["type"] == "result" and m["id"] == cmd_id, timeout)

    async def close(self):
        await self.ws.close()
        self._task.cancel()


@pytest.fixture
def backend(tmp_path):
    from tests.helpers.backend_proc import start_backend

    proc = start_backend(tmp_path)
    try:
        yield proc
    finally:
        proc.stop()
