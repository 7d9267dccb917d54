"""Backend feature (backend/features.py): this centre in the federation, as hub (city) or leaf (sub-centre).

    cc-backend --centre city --fed-role hub  --fed-centres centres.json --fed-leaf-port 7422
    cc-backend --centre qx   --fed-role leaf --fed-hub nats-leaf://city-host:7422 --fed-parent city \
               --fed-tls-dir /srv/cc/qx-bundle      (the city's <state>/federation/pki/leaves/qx/, copied)

Starts this centre's nats-server (config and JetStream files next to the store; or uses --fed-nats-url),
the replication engine, the ownership guard and the link monitor; registers federation.escalate, .assign
and .accept (refused with ``unavailable`` while federation is off).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
from pathlib import Path

from backend.federation import actions, live, pki
from backend.tls import is_loopback
from backend.federation.engine import Replicator
from backend.federation.links import LEVELS, Centre, LinkMonitor, parse_centres
from backend.federation.nats_transport import NatsTransport
from backend.federation.natsd import NatsServer, hub_config, leaf_config
from backend.federation.ownership import OwnershipGuard
from backend.federation.transport import CENTRE_ID, FederationError

log = logging.getLogger(__name__)

DUTY = {"duty_officer", "admin"}
ADMIN = {"admin"}
ACTIONS = ("federation.escalate", "federation.assign", "federation.accept")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("federation of centres (NATS JetStream)")
    g.add_argument("--fed-role", choices=("off", "hub", "leaf"), default="off",
                   help="hub: the city centre; leaf: a sub-centre (default off)")
    g.add_argument("--fed-centres", default="", metavar="FILE|IDS",
                   help="hub: the sub-centres, a JSON file [{id, name, level}] or ids separated by commas")
    g.add_argument("--fed-hub", default="", metavar="URL", help="leaf: the hub's leaf-node url nats-leaf://HOST:PORT")
    g.add_argument("--fed-parent", default="", metavar="ID", help="leaf: the city centre's id (default: yk)")
    g.add_argument("--fed-name", default="", help="this centre's display name")
    g.add_argument("--fed-level", choices=LEVELS, default=None, help="this centre's level")
    g.add_argument("--fed-leaf-port", type=int, default=7422, help="hub: leaf-node port (default 7422)")
    g.add_argument("--fed-leaf-host", default="127.0.0.1", metavar="ADDR",
                   help="hub: the address the leaf-node port listens on (default 127.0.0.1; 0.0.0.0 for the LAN)")
    g.add_argument("--fed-nats-port", type=int, default=0, help="client port of this centre's nats-server")
    g.add_argument("--fed-nats-url", default="", help="use this running NATS server instead of starting one")
    g.add_argument("--fed-nats-host", default="127.0.0.1", help=argparse.SUPPRESS)
    g.add_argument("--fed-tls-dir", default="", metavar="DIR",
                   help="hub: the federation CA, leaf-port certificate and the sub-centres' link bundles "
                        "(default <state>/federation/pki, created on first start; bundle of centre X: "
                        "DIR/leaves/X/); leaf: the bundle the city issued it (ca.pem, cert.pem, key.pem, "
                        "password). Leaf links are TLS with a certificate of the federation CA and a per-centre "
                        "password; each sub-centre may publish only its own JetStream traffic")
    g.add_argument("--fed-tls-cert", default="", metavar="PEM", help="use this certificate instead of the issued one")
    g.add_argument("--fed-tls-key", default="", metavar="PEM", help="its private key")
    g.add_argument("--fed-tls-ca", default="", metavar="PEM",
                   help="hub: the CA leaf certificates must be signed by; leaf: the CA of the hub's certificate")
    g.add_argument("--fed-san", action="append", default=[], metavar="NAME",
                   help="hub: a host name or address leaves use to reach it (in its certificate; repeatable)")
    g.add_argument("--fed-insecure", action="store_true",
                   help="leaf links without TLS and passwords (a lab on one machine only)")


def secure_links(config, args: argparse.Namespace, state_dir: Path, leaves: list[str]) -> Path | None:
    """TLS and credentials on the leaf links (see backend/federation/pki.py); the hub's pki folder."""
    if config.leaf_listen is not None:
        folder = Path(args.fed_tls_dir) if args.fed_tls_dir else state_dir / "pki"
        files = pki.hub_pki(folder, list(args.fed_san))
        if args.fed_tls_cert or args.fed_tls_key or args.fed_tls_ca:
            files = pki.TlsFiles(Path(args.fed_tls_cert or files.cert), Path(args.fed_tls_key or files.key),
                                 Path(args.fed_tls_ca or files.ca)).check()
        for centre in leaves:
            pki.issue(folder, centre)
        config.tls = files
        config.leaf_users = {c: pw for c, pw in pki.leaf_passwords(folder).items() if c in leaves}
        config.local_password = secrets.token_urlsafe(24)
        return folder
    if not args.fed_tls_dir:
        raise FederationError("--fed-role leaf needs --fed-tls-dir: the bundle the city issued this centre "
                              "(<city state>/federation/pki/leaves/<id>/), or --fed-insecure for a lab")
    bundle = pki.load_bundle(Path(args.fed_tls_dir), cert=args.fed_tls_cert, key=args.fed_tls_key,
                             ca=args.fed_tls_ca)
    config.tls, config.leaf_password = bundle.files, bundle.password
    return None


async def start(core, args: argparse.Namespace):
    role = getattr(args, "fed_role", "off") or "off"
    if role == "off":
        for action in ACTIONS:
            core.register_action(action, DUTY, actions.federation_off)
        core.register_action("federation.add_centre", ADMIN, actions.federation_off)
        return None
    if not CENTRE_ID.match(core.centre):
        raise FederationError(f"--centre {core.centre!r}: a federated centre id is lower-case letters, digits, _")
    state_dir = Path(core.db_path).resolve().parent / "federation"
    is_hub = role == "hub"
    if is_hub:
        peers = parse_centres(args.fed_centres, core.centre) if args.fed_centres else []
        peers += [c for c in live.known_centres(core) if c.id not in {p.id for p in peers}]  # added live
        me = Centre(core.centre, args.fed_name or core.centre, args.fed_level or "city", "")
        parent = ""
    else:
        parent = args.fed_parent or "yk"
        if not args.fed_hub and not args.fed_nats_url:
            raise FederationError("--fed-role leaf needs --fed-hub nats-leaf://HOST:PORT")
        me = Centre(core.centre, args.fed_name or core.centre, args.fed_level or "township", parent)
        peers = [Centre(parent, parent, "city", "")]
    server = pki_dir = None
    if args.fed_nats_url:
        url, monitor = args.fed_nats_url, None
    else:
        if is_hub:
            config = hub_config(state_dir, core.centre, port=args.fed_nats_port, leaf_port=args.fed_leaf_port,
                                host=args.fed_nats_host)
        else:
            config = leaf_config(state_dir, core.centre, args.fed_hub, port=args.fed_nats_port,
                                 host=args.fed_nats_host)
        if is_hub:
            config.leaf_host = args.fed_leaf_host
            if args.fed_insecure and not is_loopback(args.fed_leaf_host):
                raise FederationError(f"--fed-insecure with --fed-leaf-host {args.fed_leaf_host}: leaf links "
                                      "reachable beyond this machine need TLS and passwords")
        if not args.fed_insecure:
            pki_dir = secure_links(config, args, state_dir, [c.id for c in peers] if is_hub else [])
        else:
            log.warning("federation: leaf links WITHOUT TLS and passwords (--fed-insecure)")
        server = await NatsServer(config, state_dir).start()
        url, monitor = server.url, server.monitor_url
    transport = NatsTransport(core.centre, url, is_hub=is_hub, hub_centre=parent, monitor=monitor,
                              leaves=[c.id for c in peers] if is_hub else None,
                              log_path=server.log_path if server else None)
    try:
        await transport.start()
    except Exception:
        if server is not None:
            await server.stop()
        raise
    handlers = actions.FederationActions(core.centre, parent, {c.id for c in peers} if is_hub else set())
    core.register_action("federation.escalate", DUTY, handlers.escalate)
    core.register_action("federation.assign", DUTY, handlers.assign)
    core.register_action("federation.accept", DUTY, handlers.accept)
    core.add_publish_guard(OwnershipGuard(core))
    replicator = await Replicator(core, transport).start()
    monitor_task = LinkMonitor(core, replicator, me, peers)
    monitor_task.start()
    if is_hub:
        adder = live.LiveCentres(core, transport, monitor_task, server, pki_dir, handlers.centres)
        core.register_action("federation.add_centre", ADMIN, adder.handle)
    else:
        core.register_action("federation.add_centre", ADMIN, live.add_centre_off)
    supervisor = asyncio.create_task(server.supervise(), name="fed-nats-supervisor") if server else None
    log.info("federation: %s as %s over %s (%d peers)", core.centre, role, url, len(peers))

    async def stop() -> None:
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.wait([supervisor], timeout=5)
        await monitor_task.stop()
        await replicator.stop()
        await transport.close()
        if server is not None:
            await server.stop()

    return stop
