"""``cc-app``: start the console, wall or consultation windows against a hub, on one Qt + asyncio loop."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BACKEND = "ws://127.0.0.1:8765"
DEFAULT_LAYOUTS = ROOT / "layouts"
ROLES = ("console", "wall", "consultation")

log = logging.getLogger("app")


def _screens(text: str) -> list[int]:
    try:
        screens = [int(part) for part in text.split(",") if part.strip() != ""]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected screen numbers separated by commas, like 0,1; got {text!r}") from None
    if not screens or any(s < 0 for s in screens):
        raise argparse.ArgumentTypeError(f"expected screen numbers >= 0 separated by commas, like 0,1; got {text!r}")
    return screens


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cc-app", description="Command-centre windows: the duty console, the video wall or the leader's "
                                   "consultation screen, connected to a cc-backend hub.")
    p.add_argument("--role", required=True, choices=ROLES, help="which windows to open")
    p.add_argument("--backend", default=os.environ.get("CC_BACKEND", DEFAULT_BACKEND), metavar="ws://HOST:PORT",
                   help=f"the hub (default: $CC_BACKEND or {DEFAULT_BACKEND})")
    p.add_argument("--token", default=None, help="this user's token (default: $CC_TOKEN; prefer the variable, "
                                                 "a command line is visible to other users); without one the "
                                                 "app asks for user name, password and one-time code")
    p.add_argument("--ca", type=Path, default=None, metavar="FILE",
                   help="the hub's CA certificate for wss:// (default: $CC_CA, else tls/ca.pem beside the "
                        "default database)")
    p.add_argument("--idle-lock", type=float, default=10.0, metavar="MIN",
                   help="lock the windows after this many minutes without input, for password logins (0: never)")
    p.add_argument("--screens", type=_screens, default=None, metavar="0,1",
                   help="screens to use: the wall covers each of them (default: all); other roles open on the first")
    p.add_argument("--layout", default=None, metavar="NAME", help="wall scene to show first (a file stem in --layouts)")
    p.add_argument("--lang", default=None, metavar="zh_CN",
                   help="user interface language: zh_CN or en (default: Chinese on a Chinese locale)")
    p.add_argument("--layouts", type=Path, default=DEFAULT_LAYOUTS, metavar="DIR",
                   help=f"folder of wall scenes (default: {DEFAULT_LAYOUTS})")
    p.add_argument("--multicast", nargs="?", const="", default=None, metavar="IFACE",
                   help="play cameras from the relay's UDP multicast groups where they have one, joined on "
                        "IFACE (default: the route's interface); HTTP otherwise")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return p


def parse_args(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> argparse.Namespace:
    """Parse and check the command line; a bad value exits with status 2 and a message naming it."""
    environ = os.environ if environ is None else environ
    parser = build_parser()
    args = parser.parse_args(argv)
    args.token = args.token or environ.get("CC_TOKEN", "")
    url = urlparse(args.backend)
    if url.scheme not in ("ws", "wss") or not url.hostname:
        parser.error(f"--backend: expected ws://HOST:PORT or wss://HOST:PORT, got {args.backend!r}")
    if args.ca is None and environ.get("CC_CA"):
        args.ca = Path(environ["CC_CA"])
    if args.ca is None and url.scheme == "wss":
        data_home = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        beside = Path(data_home) / "command-centre" / "tls" / "ca.pem"
        if beside.is_file():
            args.ca = beside
    if url.scheme == "wss" and (args.ca is None or not args.ca.is_file()):
        parser.error(f"--ca: wss:// needs the hub's CA certificate file (from cc-backend tls init); got {args.ca}")
    if args.idle_lock < 0:
        parser.error("--idle-lock: expected minutes >= 0")
    from app.i18n import choose_language  # Qt import deferred: --help must work without a display
    try:
        args.lang = choose_language(args.lang)
    except ValueError as exc:
        parser.error(str(exc))
    if not args.layouts.is_dir():
        parser.error(f"--layouts: {args.layouts} is not a folder")
    if args.layout is not None:
        names = sorted(p.stem for p in args.layouts.glob("*.json"))
        if args.layout not in names:
            parser.error(f"--layout: no scene {args.layout!r} in {args.layouts}; available: {', '.join(names)}")
    return args


def open_windows(args: argparse.Namespace, store) -> list:
    """The windows of ``args.role``, shown. Raises ValueError for a screen that does not exist."""
    from PySide6.QtGui import QGuiApplication

    from app import features

    if args.role == "wall":
        from app.cells import make_cell
        from app.wall_window import open_wall_windows

        return open_wall_windows(store, args.layouts, args.screens, lambda cell: make_cell(cell, store))
    if args.role == "console":
        from app.console_window import ConsoleWindow

        window = ConsoleWindow(store, args.layouts)
        features.install(window, store, "install_console")
    else:
        from app.consultation_window import ConsultationWindow

        window = ConsultationWindow(store)
        features.install(window, store, "install_consultation")
    screens = QGuiApplication.screens()
    if args.screens:
        index = args.screens[0]
        if index >= len(screens):
            raise ValueError(f"--screens: there is no screen {index}; this machine has {len(screens)}")
        window.setScreen(screens[index])
        window.move(screens[index].availableGeometry().topLeft())
    window.showMaximized()
    return [window]


def take_first_scene(store, layout: str) -> None:
    """Ask the hub for ``layout`` on the wall once the session is online (the wall follows the hub)."""
    def on_state(state: str) -> None:
        if state == "online":
            store.connection_changed.disconnect(on_state)
            log.info("asking the hub to show scene %s on the wall", layout)
            store.request_take(layout)
    store.connection_changed.connect(on_state)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import qasync
    from PySide6.QtCore import QLocale, QTimer
    from PySide6.QtWidgets import QApplication

    from app.i18n import install_translators
    from app.theme import apply_theme
    from backend_client.store import ClientStore

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("command-centre")
    app.setOrganizationName("command-centre")
    if args.lang == "zh_CN":
        QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    install_translators(app, args.lang)
    apply_theme(app, pixel_size=22 if args.role == "wall" else 16)

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    store = ClientStore()
    store.use_multicast(args.multicast)
    try:
        windows = open_windows(args, store)
    except ValueError as exc:
        print(f"cc-app: {exc}", file=sys.stderr)
        return 2
    store.connection_changed.connect(lambda state: log.info("hub %s: %s", args.backend, state))
    if args.layout and args.role == "wall":
        take_first_scene(store, args.layout)
    from app.session import connect_session

    session = connect_session(args, store, windows)  # token, or the login dialog and later the idle lock

    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    app.lastWindowClosed.connect(app.quit)
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C and `kill`: close the windows cleanly
        signal.signal(sig, lambda *_: app.quit())
    wake = QTimer()  # Python handles signals only when Python code runs
    wake.start(300)
    wake.timeout.connect(lambda: None)
    log.info("%s: %d window(s), hub %s", args.role, len(windows), args.backend)
    with loop:
        loop.run_until_complete(closed.wait())
        loop.run_until_complete(store.stop())
    return 0


if __name__ == "__main__":
    sys.exit(main())
