"""The login dialog: user name, password and the one-time code from the user's authenticator app."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.theme import COLOURS


class LoginDialog(QDialog):
    """Asks for credentials; the caller starts the session with them and calls ``show_error`` on refusal.

    Signals:
        submitted(str, str, str): (user, password, code) — the Log in button or Enter.
    """

    submitted = Signal(str, str, str)

    def __init__(self, hub: str, parent: QWidget | None = None, user: str = ""):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Command centre — log in"))
        self.setModal(True)
        self.setMinimumWidth(460)
        self.hub = QLabel(self.tr("Hub: %1").replace("%1", hub))
        self.hub.setStyleSheet(f"color: {COLOURS['muted']};")
        self.user = QLineEdit(user)
        self.user.setPlaceholderText(self.tr("user name"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("password"))
        self.code = QLineEdit()
        self.code.setPlaceholderText(self.tr("6 digits from the authenticator app"))
        self.code.setValidator(QRegularExpressionValidator(r"\d{0,6}"))
        self.code.setMaxLength(6)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #ff6b6b; font-weight: bold;")
        self.error.setVisible(False)
        form = QFormLayout()
        form.addRow(self.tr("User"), self.user)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.tr("One-time code"), self.code)
        buttons = QDialogButtonBox()
        self.login_button = buttons.addButton(self.tr("Log in"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.login_button.setToolTip(self.tr("Log in (Enter)"))
        buttons.addButton(self.tr("Quit"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hub)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        (self.password if user else self.user).setFocus(Qt.FocusReason.OtherFocusReason)

    def _submit(self) -> None:
        if not self.user.text().strip() or not self.password.text():
            self.show_error(self.tr("Enter the user name and the password."))
            return
        self.login_button.setEnabled(False)
        self.error.setVisible(False)
        self.submitted.emit(self.user.text().strip(), self.password.text(), self.code.text())

    def show_error(self, text: str) -> None:
        """Show why the hub refused, clear the password and code, allow another try."""
        self.error.setText(text)
        self.error.setVisible(True)
        self.password.clear()
        self.code.clear()
        self.login_button.setEnabled(True)
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def error_text(self, code: str, message: str) -> str:
        """The operator's text for a hub error code (the hub's English message as a fallback)."""
        texts = {
            "auth_failed": self.tr("Wrong user name, password or one-time code."),
            "locked": self.tr("Too many failed logins: this account is locked for 15 minutes. "
                              "An administrator can unlock it."),
            "totp_required": self.tr("This role needs a one-time code: ask an administrator to enrol you."),
            "session_expired": self.tr("The session expired. Log in again."),
            "logged_out": self.tr("You were logged out. Log in again."),
            "role_changed": self.tr("Your role was changed. Log in again."),
            "disabled": self.tr("This user is disabled."),
            "token_not_allowed": self.tr("Log in with password and one-time code on this machine."),
            "idle_locked": self.tr("Locked after inactivity: log in to continue."),
            "secret_unreadable": self.tr("Your one-time code cannot be checked on this hub: ask an "
                                         "administrator to enrol you again."),
        }
        return texts.get(code, message or code)
