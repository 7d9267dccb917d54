"""How the app gets its hub session: a token (kiosks, the demo), or the login dialog, then the idle lock."""
from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from app.idle_lock import IdleLock
from app.login_dialog import LoginDialog
from backend_client.client import client_ssl_context

log = logging.getLogger(__name__)


class SessionFlow(QObject):
    """Starts the store with a token, or asks for credentials until the hub accepts them; shows the
    dialog again (with the reason) when the hub ends the session (expired, logged out, role changed).

    Every console and consultation session gets the idle lock once online (walls never lock): unlock
    with the password (+ one-time code for commanding roles), checked by the hub; a token session whose
    user has no password cannot be unlocked, so it is logged out and the login dialog shows instead.
    While the dialog shows after a session ended, the windows stay covered.

    Attributes:
        dialog: the LoginDialog (None until needed). idle_lock: the IdleLock once a session is online.
    """

    def __init__(self, args: Any, store: Any, windows: list, parent: QObject | None = None):
        super().__init__(parent)
        self.args, self.store, self.windows = args, store, windows
        self.ssl = client_ssl_context(args.ca) if args.backend.startswith("wss://") else None
        self.name = f"{args.role}@{socket.gethostname()}"
        self.dialog: LoginDialog | None = None
        self.idle_lock: IdleLock | None = None
        store.connection_changed.connect(self._on_state)
        if args.token:
            store.start(args.backend, args.token, self.name, ssl_context=self.ssl)
        else:
            self._ask()

    def _ask(self, error: str = "") -> None:
        if self.dialog is None:
            self.dialog = LoginDialog(self.args.backend, self.windows[0] if self.windows else None,
                                      user=self.store.user)
            self.dialog.submitted.connect(self._login)
            self.dialog.rejected.connect(QApplication.quit)
        if error:
            self.dialog.show_error(error)
        self.dialog.open()

    def _login(self, user: str, password: str, code: str) -> None:
        asyncio.ensure_future(self._start(user, password, code))

    async def _start(self, user: str, password: str, code: str) -> None:
        await self.store.stop()
        self.store.start(self.args.backend, "", self.name, ssl_context=self.ssl, login=(user, password, code))

    def _on_state(self, state: str) -> None:
        if state == "online":
            if self.dialog is not None and self.dialog.isVisible():
                self.dialog.accept()
                if self.idle_lock is not None and self.idle_lock.locked:
                    self.idle_lock.unlock()  # a login after the lock or after the session ended
            if self.idle_lock is None and self.args.idle_lock > 0 and getattr(self.args, "role", "") != "wall":
                self.idle_lock = IdleLock(self.store, self.windows, self.args.idle_lock, self)
                self.idle_lock.login_needed.connect(self._login_needed)
        elif state == "auth_failed":
            client = self.store.client
            code, message = (client.auth_code, client.auth_error) if client is not None else ("", "")
            if self.idle_lock is not None and not self.idle_lock.locked:
                self.idle_lock.lock(needs="")  # keep the windows covered while the login dialog shows
            log.warning("hub ended the session: %s %s", code, message)
            dialog_text = LoginDialog.error_text(self.dialog or LoginDialog(self.args.backend), code, message)
            self._ask(dialog_text)


    def _login_needed(self) -> None:
        """Locked, and this session cannot be unlocked here: end it on the hub, then ask for a login."""
        async def end() -> None:
            try:
                await self.store.logout()
            except Exception:  # offline: the session still expires on the hub
                log.exception("logout after the idle lock failed")
            if self.dialog is not None:
                self.dialog.user.setText("")
            self._ask(LoginDialog.error_text(self.dialog or LoginDialog(self.args.backend), "idle_locked", ""))
        asyncio.ensure_future(end())


def connect_session(args: Any, store: Any, windows: list) -> SessionFlow:
    return SessionFlow(args, store, windows)
