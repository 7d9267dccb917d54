"""Adding a sub-centre while the city's hub runs: no restart, nothing re-read from files.

``federation.add_centre {id, name?, level?}`` (admin, hub only): issues the centre's link bundle (when leaf
links are secured), adds its link user to the hub's nats-server (config rewritten, reloaded by SIGHUP),
adds its up-stream to the hub's UP sources, and publishes its ``centres`` record — which is also how the
hub knows it after a restart (records with ``parent`` = the hub, besides --fed-centres).
"""
from __future__ import annotations

import logging
from pathlib import Path

from backend.auth import User
from backend.core import CommandError, Core
from backend.federation import pki
from backend.federation.links import LEVELS, Centre, LinkMonitor
from backend.federation.natsd import NatsServer
from backend.federation.ownership import CENTRES
from backend.federation.transport import CENTRE_ID, Transport

log = logging.getLogger(__name__)


def known_centres(core: Core) -> list[Centre]:
    """Sub-centres added earlier (live), from their ``centres`` records."""
    return [Centre(r["id"], str(r.get("name") or r["id"]), r.get("level") if r.get("level") in LEVELS else "township",
                   core.centre)
            for r in core.all(CENTRES) if r.get("parent") == core.centre and CENTRE_ID.match(str(r.get("id", "")))]


class LiveCentres:
    """Attributes: core, transport, monitor (its ``peers`` is the hub's list), server (None: an external
    NATS), pki_dir (None: links not secured), centres (the set the assign command checks)."""

    def __init__(self, core: Core, transport: Transport, monitor: LinkMonitor, server: NatsServer | None,
                 pki_dir: Path | None, centres: set[str]):
        self.core, self.transport, self.monitor = core, transport, monitor
        self.server, self.pki_dir, self.centres = server, pki_dir, centres

    async def add(self, centre: Centre) -> Path | None:
        """Link ``centre`` in; returns its bundle folder (None when links are not secured)."""
        bundle = None
        if self.pki_dir is not None and self.server is not None:
            bundle = pki.issue(self.pki_dir, centre.id)
            self.server.config.leaf_users = {**self.server.config.leaf_users,
                                             centre.id: pki.leaf_passwords(self.pki_dir)[centre.id]}
            await self.server.reload()
        await self.transport.add_centre(centre.id)
        self.monitor.peers[centre.id] = centre
        self.centres.add(centre.id)
        await self.monitor.check()  # its record now (link down until it connects)
        log.info("federation: sub-centre %s (%s) added live", centre.id, centre.name)
        return bundle

    async def handle(self, core: Core, user: User, args: dict) -> dict:
        cid = args.get("id")
        if not isinstance(cid, str) or not CENTRE_ID.match(cid):
            raise CommandError("bad_args", "id: lower-case letters, digits, _ (max 32), starting with a letter")
        if cid == core.centre or cid in self.monitor.peers:
            raise CommandError("conflict", f"centre {cid} is already part of this federation")
        name = args.get("name") or cid
        level = args.get("level") or "township"
        if not isinstance(name, str) or len(name) > 100:
            raise CommandError("bad_args", "name: a text of at most 100 characters")
        if level not in LEVELS or level == "city":
            raise CommandError("bad_args", "level: department or township")
        try:
            bundle = await self.add(Centre(cid, name, level, core.centre))
        except CommandError:
            raise
        except Exception as exc:
            log.exception("federation: adding centre %s failed", cid)
            raise CommandError("unavailable", f"centre {cid} not added: {exc}") from None
        return {"id": cid, "bundle": str(bundle) if bundle else None}


async def add_centre_off(core: Core, user: User, args: dict) -> dict:
    raise CommandError("conflict", "only the city centre's hub adds sub-centres")
