"""``python -m backend.relay --port 8780 --host 127.0.0.1 --state-dir DIR``: run the camera relay process.

On start it writes ``DIR/relay.json`` (mode 0600): {"secret", "host", "port", "pid", "instance"}; the backend
reads it to control (and later adopt) this relay. ``--config FILE`` applies a control config at start
({"cameras": [...], "tokens": {...}, "settings": {...}}), for running the relay without a backend.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

from backend.relay.channel import GOP_MODES, Settings
from backend.relay.server import HttpError, RelayServer

log = logging.getLogger("relay")
STATE_FILE = "relay.json"


def write_state(state_dir: Path, data: dict) -> Path:
    """Write the control file atomically, readable by this user only."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / STATE_FILE
    tmp = state_dir / f".{STATE_FILE}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


async def run(args: argparse.Namespace) -> int:
    settings = Settings(linger_s=args.linger, gop_mode=args.gop_mode)
    secret = secrets.token_urlsafe(32)
    server = RelayServer(args.host, args.port, secret, settings, orphan_timeout_s=args.orphan_timeout)
    if args.config is not None:
        try:
            await server.configure(json.loads(args.config.read_text("utf-8")), from_backend=False)
        except (OSError, ValueError, HttpError) as exc:
            print(f"relay: --config {args.config}: {exc}", file=sys.stderr)
            return 2
    try:
        await server.start()
    except OSError as exc:
        print(f"relay: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    state = write_state(args.state_dir, {"secret": secret, "host": args.host, "port": server.port,
                                         "pid": os.getpid(), "instance": server.instance})
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.stopped.set)
    print(f"relay listening on http://{args.host}:{server.port} (control file {state})", file=sys.stderr,
          flush=True)
    await server.stopped.wait()
    log.info("relay stopping")
    await server.stop()
    try:  # leave no stale control file behind (unless another relay has replaced it meanwhile)
        if json.loads(state.read_text()).get("instance") == server.instance:
            state.unlink()
    except (OSError, ValueError):
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m backend.relay", description="Camera relay (MPEG-TS over HTTP).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8780, help="0: any free port")
    p.add_argument("--state-dir", type=Path, required=True, help="folder for the 0600 control file")
    p.add_argument("--linger", type=float, default=10.0, help="seconds a pull outlives its last viewer")
    p.add_argument("--gop-mode", choices=GOP_MODES, default="gop",
                   help="what a new viewer gets first: the cached GOP, its keyframe only, or nothing")
    p.add_argument("--orphan-timeout", type=float, default=0.0,
                   help="exit after this many seconds without a backend and without viewers (0: never)")
    p.add_argument("--config", type=Path, default=None, help="apply this control config at start")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
