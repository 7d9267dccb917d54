"""libvlc in tests and benchmarks: the environment it wants."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile


def private_runtime_dir() -> None:
    """libvlc complains without XDG_RUNTIME_DIR: when it is unset, a private one, removed at exit."""
    if "XDG_RUNTIME_DIR" not in os.environ:
        os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="cc-xdg-")
        atexit.register(shutil.rmtree, os.environ["XDG_RUNTIME_DIR"], ignore_errors=True)
