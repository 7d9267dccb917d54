"""Idle lock: after a quiet spell the windows are covered and input is held until the user proves it is
still them — the password, plus a fresh one-time code where the hub asks for one (its auth_ok ``unlock``:
"password+totp" | "password"). A session that cannot be re-authenticated on the spot (a token-only user
without a password: ``unlock`` "") ends instead and the login dialog takes over (``login_needed``)."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QRegularExpressionValidator
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

log = logging.getLogger(__name__)
_INPUT = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
          QEvent.Type.TouchBegin}
_HELD = {QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride, QEvent.Type.Shortcut,
         QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
         QEvent.Type.Wheel, QEvent.Type.ContextMenu}
REFRESH_EVERY = 60.0  # tell the hub the session is in use at most this often


class LockOverlay(QWidget):
    """Covers one window: a dark veil, the user's name, a password field (and a one-time-code field when
    ``needs`` is "password+totp") and an Unlock button; with ``needs`` "" only a note that a login is needed.

    Signals:
        unlock_requested(str, str): the password and the code typed ("" without a code field).
    """

    unlock_requested = Signal(str, str)

    def __init__(self, window: QWidget, user: str, needs: str = "password"):
        super().__init__(window)
        self.setObjectName("idleLock")
        self.needs = needs
        self.setStyleSheet("QLabel { font-size: 22px; color: #e6edf3; }")
        title = QLabel(self.tr("Console locked"))
        title.setStyleSheet("font-size: 32px; font-weight: bold;")
        if not needs:
            text = self.tr("Locked after inactivity. This session cannot be unlocked here: log in to continue.")
        elif needs == "password+totp":
            text = self.tr("Locked after inactivity. %1, enter your password and a new one-time code to "
                           "continue.").replace("%1", user)
        else:
            text = self.tr("Locked after inactivity. %1, enter your password to continue.").replace("%1", user)
        self.who = QLabel(text)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("password"))
        self.password.setFixedWidth(360)
        self.code = QLineEdit()
        self.code.setPlaceholderText(self.tr("6 digits from the authenticator app"))
        self.code.setValidator(QRegularExpressionValidator(r"\d{0,6}"))
        self.code.setMaxLength(6)
        self.code.setFixedWidth(360)
        self.button = QPushButton(self.tr("Unlock"))
        self.button.setToolTip(self.tr("Unlock (Enter)"))
        self.error = QLabel("")
        self.error.setStyleSheet("color: #ff6b6b; font-size: 22px;")
        box = QVBoxLayout(self)
        box.addStretch(1)
        for w in (title, self.who, self.password, self.code, self.button, self.error):
            box.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(2)
        self.code.setVisible(needs == "password+totp")
        for w in (self.password, self.button):
            w.setVisible(bool(needs))
        self.button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.code.returnPressed.connect(self._submit)
        window.installEventFilter(self)
        self.setGeometry(window.rect())

    def paintEvent(self, event) -> None:  # opaque: an unattended console shows nothing
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(5, 8, 12))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # keep covering the window when it resizes
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False

    def _submit(self) -> None:
        if not self.password.text():
            return
        if self.code.isVisible() and len(self.code.text()) != 6:
            self.error.setText(self.tr("Enter the 6-digit one-time code."))
            self.code.setFocus()
            return
        self.button.setEnabled(False)
        self.unlock_requested.emit(self.password.text(), self.code.text() if self.code.isVisible() else "")

    def refused(self, text: str) -> None:
        self.error.setText(text)
        self.password.clear()
        self.code.clear()
        self.button.setEnabled(True)
        self.password.setFocus()


class IdleLock(QObject):
    """Watches user input on the whole application; locks ``windows`` after ``minutes`` without any.

    While locked every key, click and shortcut outside the overlays (and the login dialog) is held back.
    Password and code are checked by the hub (``store.client.unlock``); wrong ones count towards the
    account lockout. While unlocked, input refreshes the hub session at most once a minute.

    Attributes:
        locked: whether the overlays are shown.
    Signals:
        locked_changed(bool); login_needed(): locked, and the session cannot be unlocked here (no
        password): the owner ends it and shows the login dialog; ``unlock()`` once a login succeeded.
    """

    locked_changed = Signal(bool)
    login_needed = Signal()

    def __init__(self, store: Any, windows: list[QWidget], minutes: float, parent: QObject | None = None):
        super().__init__(parent)
        self.store, self.windows, self.locked = store, list(windows), False
        self.overlays: list[LockOverlay] = []
        self._refreshed = 0.0
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(max(1, int(minutes * 60_000)))
        self.timer.timeout.connect(self.lock)
        self.timer.start()
        app = QApplication.instance()
        app.installEventFilter(self)
        self.action = QAction(self.tr("Lock console"), self)
        self.action.setShortcut(QKeySequence("Ctrl+Alt+L"))
        self.action.setToolTip(self.tr("Lock the console now (Ctrl+Alt+L)"))
        self.action.triggered.connect(lambda _checked=False: self.lock())
        for window in self.windows:
            window.addAction(self.action)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if self.locked:
            if kind in _HELD and not self._inside_overlay(obj):
                return True
            return False
        if kind in _INPUT:
            self.timer.start()
            now = time.monotonic()
            if now - self._refreshed >= REFRESH_EVERY and getattr(self.store, "client", None) is not None:
                self._refreshed = now
                asyncio.ensure_future(self.store.client.refresh())
        return False

    def _inside_overlay(self, obj: QObject) -> bool:
        while obj is not None:
            if isinstance(obj, (LockOverlay, QDialog)):  # the overlay, or the login dialog over it
                return True
            obj = obj.parent()
        return False

    def needs(self) -> str:
        """What unlocking this session takes, as the hub said at auth: "password+totp", "password" or ""."""
        client = getattr(self.store, "client", None)
        session = getattr(client, "session", None) if client is not None else None
        needs = session.get("unlock", "") if isinstance(session, dict) else ""
        return needs if needs in ("password", "password+totp") else ""

    def lock(self, needs: str | None = None) -> None:
        """Cover the windows. ``needs`` None: as the session allows (a session without a password emits
        ``login_needed``); "" : covered until the owner's login succeeds (no signal: the owner asked)."""
        if self.locked:
            return
        ask = needs is None
        needs = self.needs() if needs is None else needs
        self.locked = True
        user = getattr(self.store, "user", "")
        for window in self.windows:
            overlay = LockOverlay(window, user, needs)
            overlay.unlock_requested.connect(self._try_unlock)
            overlay.show()
            overlay.raise_()
            self.overlays.append(overlay)
        if self.overlays:
            self.overlays[0].password.setFocus()
        log.info("console locked%s", "" if needs else ": the session ends, a login is needed")
        self.locked_changed.emit(True)
        if ask and not needs:
            self.login_needed.emit()

    def unlock(self) -> None:
        for overlay in self.overlays:
            overlay.deleteLater()
        self.overlays.clear()
        self.locked = False
        self.timer.start()
        self.locked_changed.emit(False)

    def _try_unlock(self, password: str, code: str = "") -> None:
        asyncio.ensure_future(self._check(password, code))

    async def _check(self, password: str, code: str = "") -> None:
        client = getattr(self.store, "client", None)
        try:
            ok = client is not None and await client.unlock(password, totp=code)
            text = self.tr("Wrong password or one-time code.") if code else self.tr("Wrong password.")
        except Exception as exc:  # offline or timed out: stay locked, say why
            ok, text = False, self.tr("Cannot reach the hub to check the password: %1").replace("%1", str(exc))
        if ok:
            self.unlock()
        else:
            for overlay in self.overlays:
                overlay.refused(text)
