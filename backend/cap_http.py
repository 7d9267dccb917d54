"""Feature: the CAP HTTP endpoint (``POST /cap``) in ``cc-backend`` (``--cap-http PORT``, loopback only).

A 202 answer means the alert is durably committed (``CapIngest.ingest`` returns after the group commit);
resending the same document is answered ``duplicate`` and stores nothing twice.
"""
from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cap-http", type=int, default=None, metavar="PORT",
                        help="serve POST /cap on 127.0.0.1:PORT (0: any free port)")


async def start(core, args):
    if getattr(args, "cap_http", None) is None:
        return None
    from backend.cap.inbox import CapIngest, serve_http

    server = await serve_http(CapIngest(core), "127.0.0.1", args.cap_http)
    port = server.sockets[0].getsockname()[1]
    log.info("CAP HTTP endpoint on http://127.0.0.1:%d/cap", port)

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    return stop
