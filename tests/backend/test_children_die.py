"""A SIGKILLed backend takes its Janus and its nats-server with it (they would otherwise hold their ports and
keep the restarted backend's own copies from starting); the camera relay is the exception, adopted on restart."""
from __future__ import annotations

import socket
import time

import psutil

from tests.helpers.backend_proc import start_backend


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int, names: tuple[str, ...], timeout: float = 60.0) -> dict[str, psutil.Process]:
    deadline = time.monotonic() + timeout
    found: dict[str, psutil.Process] = {}
    while time.monotonic() < deadline:
        for child in psutil.Process(pid).children(recursive=True):
            try:
                name = child.name()
            except psutil.NoSuchProcess:
                continue
            for wanted in names:
                if wanted in name:
                    found[wanted] = child
        if len(found) == len(names):
            return found
        time.sleep(0.2)
    raise TimeoutError(f"children {names} not started; found {sorted(found)}")


def test_janus_and_nats_server_end_with_a_sigkilled_backend(tmp_path):
    backend = start_backend(tmp_path, extra_args=[
        "--janus-prestart", "--centre", "city", "--fed-role", "hub", "--fed-centres", "qx",
        "--fed-leaf-port", str(_free_port())])
    try:
        kids = _children(backend.proc.pid, ("janus", "nats-server"))
        backend.kill()
        gone, alive = psutil.wait_procs(list(kids.values()), timeout=20)
        assert not alive, f"outlived the backend: {[p.name() for p in alive]}"
    finally:
        for p in list(locals().get("kids", {}).values()):
            if p.is_running():
                p.kill()
        backend.stop()
