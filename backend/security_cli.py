"""``cc-backend user …`` (beyond add) and ``cc-backend tls init``, and the hub's security options."""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from backend_client.models import ROLES


def add_user_parsers(user: argparse._SubParsersAction) -> None:
    """Subcommands next to ``user add``."""
    p = user.add_parser("passwd", help="set a user's password (asked twice on a terminal, else one line of stdin)")
    p.add_argument("name")
    p = user.add_parser("totp", help="give a user a new TOTP secret; prints the otpauth:// URI (one line)")
    p.add_argument("name")
    p = user.add_parser("role", help="change a user's role (closes the user's connections)")
    p.add_argument("name")
    p.add_argument("role", choices=ROLES)
    for cmd, text in (("disable", "disable a user (closes the user's connections; tokens stop working)"),
                      ("enable", "enable a disabled user"),
                      ("logout", "end all of a user's sessions now (connections close within 1 s)"),
                      ("unlock", "lift a login lockout"),
                      ("token", "replace a user's enrolment token (prints the new one; the old one stops working)"),
                      ("revoke", "withdraw a user's enrolment token (a kiosk taken out of service; its sessions end)")):
        user.add_parser(cmd, help=text).add_argument("name")
    user.add_parser("list", help="list users: name, role, disabled, password set, TOTP enrolled, enrolment token")


def add_tls_parser(sub: argparse._SubParsersAction) -> None:
    tls = sub.add_parser("tls", help="TLS material of the hub").add_subparsers(dest="tls_command", required=True)
    init = tls.add_parser("init", help="create a local CA and server certificate in <db dir>/tls/")
    init.add_argument("--san", action="append", default=[], metavar="NAME",
                      help="extra host name or IP address the hub is reached by (repeatable)")
    init.add_argument("--force", action="store_true", help="replace an existing CA")


def add_hub_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("security (issue 10; see backend/PROTOCOL.md)")
    g.add_argument("--tls", choices=("auto", "on", "off"), default="auto",
                   help="wss:// with TLS 1.3: auto = on unless --host is 127.0.0.1/::1/localhost; "
                        "off is refused for any other host")
    g.add_argument("--origin", action="append", default=[], metavar="URL",
                   help="a browser Origin allowed at the handshake, exactly (repeatable; no Origin is always allowed)")
    g.add_argument("--allow-remote-tokens", action="store_true",
                   help="accept long-lived tokens of commanding roles from other machines (default: loopback only)")
    g.add_argument("--session-ttl", type=float, default=1800.0, metavar="S",
                   help="a login session ends this long after its last use (default 1800)")
    g.add_argument("--max-failures", type=int, default=5, help=argparse.SUPPRESS)
    g.add_argument("--lockout-window", type=float, default=300.0, help=argparse.SUPPRESS)
    g.add_argument("--lockout-seconds", type=float, default=900.0, help=argparse.SUPPRESS)
    g.add_argument("--max-conns-per-user", type=int, default=8, metavar="N")
    g.add_argument("--rate", type=float, default=20.0, metavar="N", help="frames/s per connection (bucket rate)")
    g.add_argument("--burst", type=float, default=40.0, metavar="N", help="frames per connection in a burst")


def hub_kwargs(args: argparse.Namespace) -> dict:
    """Hub keyword arguments from the options; raises TlsError/ValueError for a refused combination."""
    from backend import tls
    from backend.sessions import Policy

    need = args.tls == "on" or (args.tls == "auto" and not tls.is_loopback(args.host))
    if args.tls == "off" and not tls.is_loopback(args.host):
        raise ValueError(f"--tls off: refused for --host {args.host}; plain ws:// is for 127.0.0.1/::1 only")
    context = tls.server_context(tls.tls_dir(args.db)) if need else None
    check_totp_key(args.db)
    policy = Policy(session_ttl=args.session_ttl, max_failures=args.max_failures,
                    failure_window=args.lockout_window, lockout=args.lockout_seconds,
                    allow_remote_tokens=args.allow_remote_tokens)
    return {"ssl_context": context, "origins": args.origin, "policy": policy,
            "max_conns_per_user": args.max_conns_per_user, "rate": args.rate, "burst": args.burst}


def check_totp_key(db: Path) -> None:
    """Seal TOTP secrets still in the clear and check the others open with the state dir's secrets.key;
    SecretError (a ValueError naming the users and the way out) if not, so the backend refuses to start."""
    from backend import auth, store

    conn = store.connect(db)
    try:
        auth.ensure_schema(conn)
        auth.seal_totp_secrets(conn, auth.sealer_for(conn))
    finally:
        conn.close()


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("new password: ")
        if getpass.getpass("again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def run_user(db: Path, args: argparse.Namespace) -> int | None:
    """Handle ``user <cmd>`` other than add; None for ``add`` (the caller's)."""
    from backend import auth, store

    cmd = args.user_command
    if cmd == "add":
        return None
    store.create_schema(db)
    conn = store.connect(db)
    try:
        auth.ensure_schema(conn)
        if cmd == "passwd":
            auth.set_password(conn, args.name, _read_password())
            print(f"password of {args.name} set; its sessions ended", file=sys.stderr)
        elif cmd == "totp":
            print(auth.new_totp(conn, args.name), flush=True)
        elif cmd == "role":
            auth.set_role(conn, args.name, args.role)
        elif cmd in ("disable", "enable"):
            auth.set_disabled(conn, args.name, cmd == "disable")
        elif cmd == "logout":
            auth.logout(conn, args.name)
        elif cmd == "unlock":
            auth.unlock(conn, args.name)
        elif cmd == "token":
            print(auth.new_enrolment_token(conn, args.name), flush=True)
        elif cmd == "revoke":
            auth.revoke_token(conn, args.name)
        elif cmd == "list":
            for u in auth.list_users(conn):
                print(f"{u['name']}\t{u['role']}\t{'disabled' if u['disabled'] else 'enabled'}\t"
                      f"password={'yes' if u['password'] else 'no'}\ttotp={'yes' if u['totp'] else 'no'}\t"
                      f"token={'yes' if u['token'] else 'revoked'}")
    except (auth.UserError, ValueError) as exc:
        print(f"cc-backend: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    return 0


def run_tls(db: Path, args: argparse.Namespace) -> int:
    from backend import tls

    try:
        paths = tls.init(tls.tls_dir(db), args.san, force=args.force)
    except tls.TlsError as exc:
        print(f"cc-backend: {exc}", file=sys.stderr)
        return 1
    print(paths["ca"], flush=True)
    print(f"CA and server certificate in {paths['ca'].parent}; give clients {paths['ca']} (cc-app --ca)",
          file=sys.stderr)
    return 0
