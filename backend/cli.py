"""``cc-backend``: run the backend (store, hub, relay, demo) or manage users and the audit log."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sqlite3
import sys
from pathlib import Path

from backend import security_cli
from backend import reliability_cli
from backend.relay import options as relay_options
from backend_client.models import ROLES

log = logging.getLogger("backend")


def default_db() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "command-centre" / "cc.db"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cc-backend", description="Command-centre backend.")
    p.add_argument("--db", default=None, metavar="FILE|URL",
                   help="SQLite file (default: $XDG_DATA_HOME/command-centre/cc.db), or a PostgreSQL URL"
                        " postgresql://user@host/dbname (users and sessions then stay in STATE_DIR/cc.db)")
    p.add_argument("--state-dir", type=Path, default=None,
                   help="with a PostgreSQL --db: the local folder for users, sessions, keys and TLS files"
                        " (default: $XDG_DATA_HOME/command-centre)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="hub port (0: any free port)")
    p.add_argument("--no-demo", action="store_true", help="do not run the demo city")
    p.add_argument("--demo-seed", type=int, default=None)
    p.add_argument("--cap-inbox", type=Path, default=None, help="watched folder of CAP files")
    p.add_argument("--cameras", type=Path, default=None, help="camera list file (JSON)")
    p.add_argument("--relay-port", type=int, default=8780)
    p.add_argument("--no-relay", action="store_true", help="do not start or adopt the camera relay")
    p.add_argument("--keep-relay", action="store_true",
                   help="leave the camera relay playing when the backend stops (restarts keep the wall's video)")
    relay_options.add_arguments(p)
    p.add_argument("--centre", default="yk", help="centre id, prefix of event ids")
    p.add_argument("--layouts", type=Path, default=None, help="folder of wall scenes (default: the repo's layouts/)")
    p.add_argument("--auth-timeout", type=float, default=10.0, help=argparse.SUPPRESS)
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command")
    user = sub.add_parser("user", help="manage users").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="create a user and print its token (one line)")
    add.add_argument("name")
    add.add_argument("role", choices=ROLES)
    security_cli.add_user_parsers(user)
    security_cli.add_tls_parser(sub)
    audit = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_command", required=True)
    audit.add_parser("verify", help="check the audit hash chain; exit 1 if it was tampered with")
    reliability_cli.add_parsers(sub, audit)
    from backend import features

    security_cli.add_hub_options(p)
    features.add_arguments(p)
    return p


def _user_add(db: Path, name: str, role: str) -> int:
    from backend import auth, store

    store.create_schema(db)
    conn = store.connect(db)
    try:
        token = auth.add_user(conn, name, role)
    except auth.UserError as exc:
        print(f"cc-backend: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    print(token, flush=True)
    return 0


def _audit_verify(db: Path, store_url: str | None = None) -> int:
    from backend import audit

    if store_url:
        return _audit_verify_pg(store_url)
    if not db.is_file():
        print(f"cc-backend: {db}: no such database", file=sys.stderr)
        return 1
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        problems = audit.verify(conn)
        count = conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
    finally:
        conn.close()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"audit: {count} rows, {'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


def _audit_verify_pg(url: str) -> int:
    from backend import audit
    from backend.store_pg import PgStore

    pg = PgStore(url)
    try:
        with pg.connect() as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")  # one consistent view of the chain
            problems = audit.verify(conn)
            count = conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
            conn.execute("COMMIT")
    except Exception as exc:  # psycopg.Error: unreachable, no such database, no audit table
        print(f"cc-backend: {pg.location}: {type(exc).__name__}: {str(exc).strip()}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"audit: {count} rows, {'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


def resolve_db(args: argparse.Namespace) -> None:
    """``args.db`` → the local SQLite file (a Path); ``args.store_url`` → the PostgreSQL URL or None."""
    from backend.store import is_url

    if is_url(args.db):
        args.store_url = args.db
        state_dir = Path(args.state_dir) if args.state_dir else default_db().parent
        args.db = state_dir / "cc.db"
    else:
        args.store_url = None
        args.db = Path(args.db) if args.db else default_db()


async def serve(args: argparse.Namespace) -> int:
    from backend import cameras, commands, features
    from backend.core import Core
    from backend.hub import Hub

    core = Core(args.db, centre=args.centre, layouts_dir=args.layouts, store_url=getattr(args, "store_url", None))
    try:
        await core.start()
    except Exception as exc:  # PostgreSQL unreachable or already used by another backend
        log.error("store %s: %s", core.store.location, exc)
        await core.close()
        return 2
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    hub = relay = demo = inbox = None
    demo_task: asyncio.Task | None = None
    inbox_task: asyncio.Task | None = None
    feature_stops: list = []
    try:
        commands.install(core)
        await commands.ensure_main_wall(core)
        if args.cameras is not None:
            try:
                public, private = cameras.load_camera_file(args.cameras)
            except cameras.CameraListError as exc:
                log.error("%s", exc)
                return 2
            changed = await cameras.apply_cameras(core, public, private)
            log.info("cameras: %d in %s, %d changes", len(public), args.cameras, changed)
        if args.cap_inbox is not None:
            try:
                inbox, inbox_task = _start_cap_inbox(core, args.cap_inbox)
            except ValueError as exc:
                log.error("%s", exc)
                return 2
        if not args.no_relay:
            relay = await _start_relay(core, args)
        feature_stops = await features.start_all(core, args)
        try:
            security = security_cli.hub_kwargs(args)
        except (ValueError, RuntimeError) as exc:  # TLS needed but missing, or plain ws beyond loopback
            log.error("%s", exc)
            return 2
        hub = Hub(core, args.host, args.port, auth_timeout=args.auth_timeout, **security)
        await hub.start()
        if not args.no_demo:
            demo, demo_task = _start_demo(core, args)
        scheme = "wss" if security["ssl_context"] is not None else "ws"
        print(f"hub listening on {scheme}://{args.host}:{hub.port}", file=sys.stderr, flush=True)
        await stopping.wait()
        log.info("stopping")
        return 0
    finally:
        if demo is not None:
            demo.stop()
        if inbox is not None:
            inbox.stop()
        for task in (demo_task, inbox_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if hub is not None:
            await hub.stop()
        await features.stop_all(feature_stops)
        if relay is not None:
            try:
                await relay.stop()
            except Exception:
                log.exception("relay stop failed")
        await core.close()


async def _start_relay(core, args):
    try:
        from backend.relay.supervisor import RelaySupervisor
    except ImportError as exc:
        log.warning("camera relay not available (%s); continuing without it", exc)
        return None
    sup = RelaySupervisor(core, host=args.host, port=args.relay_port, state_dir=Path(args.db).resolve().parent,
                          keep_relay=True if getattr(args, "keep_relay", False) else None,
                          settings=relay_options.settings(args))
    try:
        await sup.start()
    except Exception:  # no video, but alerts and commands must keep working
        log.exception("camera relay did not start; continuing without it")
        return None
    core.relay_url, core.relay_service_token = sup.base_url, sup.service_token
    core.relay_sync = sup.sync_now  # push a new source at once (backend/conference/warm.py)
    log.info("camera relay at %s", sup.base_url)
    return sup


def _start_cap_inbox(core, directory: Path):
    try:
        from backend.cap.inbox import CapInbox, CapIngest
    except ImportError as exc:
        log.warning("CAP inbox not implemented yet (%s; %s ignored)", exc, directory)
        return None, None
    directory.mkdir(parents=True, exist_ok=True)
    inbox = CapInbox(CapIngest(core), directory)  # ValueError: a folder it must not watch
    log.info("CAP inbox watching %s", directory)
    return inbox, _guarded(inbox.run(), "CAP inbox", "cap-inbox")


def _guarded(coro, what: str, name: str) -> asyncio.Task:
    async def run() -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s stopped with an error", what)

    return asyncio.create_task(run(), name=name)


def _start_demo(core, args):
    try:
        from backend.demo.simulator import DemoCity
    except ImportError as exc:
        log.warning("demo city not available (%s); continuing without it", exc)
        return None, None
    demo = DemoCity(core, seed=args.demo_seed)
    return demo, _guarded(demo.run(), "demo city", "demo-city")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("websockets").setLevel(logging.WARNING)
    resolve_db(args)
    if args.command == "user":
        done = security_cli.run_user(args.db, args)
        return _user_add(args.db, args.name, args.role) if done is None else done
    if args.command == "tls":
        return security_cli.run_tls(args.db, args)
    done = reliability_cli.run(args)
    if done is not None:
        return done
    if args.command == "audit":
        return _audit_verify(args.db, args.store_url)
    refused = reliability_cli.lock_or_refuse(args.db)
    if refused is not None:
        return refused
    try:
        return asyncio.run(serve(args))
    except OSError as exc:  # e.g. the port is taken
        log.error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
