"""The app side over a real TLS hub: login dialog (refusal shown, then online with a session token),
idle lock (held input, wrong and right password), logout by an admin brings the dialog back."""
import argparse
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent

from backend_client.store import ClientStore
from tests.backend_client.qt_async import qloop, run  # noqa: F401  (fixture)
from tests.helpers.backend_proc import start_backend
from tests.security.conftest import PASSWORD, enrol, fresh_code, tls_init
from tests.helpers.shots import shot_path

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tls_loopback(tmp_path):
    ca = tls_init(tmp_path)
    proc = start_backend(tmp_path, extra_args=["--tls", "on"])
    try:
        yield proc, ca
    finally:
        proc.stop()


def test_login_dialog_idle_lock_and_logout(qtbot, qloop, tls_loopback):  # noqa: F811
    from app.console_window import ConsoleWindow
    from app.session import SessionFlow

    proc, ca = tls_loopback
    totp, used = enrol(proc, "wang", "duty_officer"), set()
    store = ClientStore()
    window = ConsoleWindow(store, ROOT / "layouts")
    qtbot.addWidget(window)
    window.resize(1400, 860)
    window.show()
    args = argparse.Namespace(backend=f"wss://127.0.0.1:{proc.port}", ca=ca, token="", role="console",
                              idle_lock=0.05)  # 3 s
    flow = SessionFlow(args, store, [window])
    dialog = flow.dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.user.setText("wang")
    dialog.password.setText("not the password")
    dialog.code.setText(fresh_code(totp, used))
    dialog.login_button.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible() and dialog.login_button.isEnabled(), timeout=30_000)
    assert "Wrong user name" in dialog.error.text() and dialog.password.text() == ""
    dialog.grab().save(str(shot_path("security-login.png")))

    dialog.password.setText(PASSWORD)
    dialog.code.setText(fresh_code(totp, used))
    dialog.login_button.click()
    qtbot.waitUntil(lambda: store.connection == "online" and not dialog.isVisible(), timeout=30_000)
    assert store.user == "wang" and store.token == store.client.token and len(store.token) > 30

    qtbot.waitUntil(lambda: flow.idle_lock is not None and flow.idle_lock.locked, timeout=30_000)
    overlay = flow.idle_lock.overlays[0]
    assert overlay.isVisible() and overlay.geometry() == window.rect()
    held = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert flow.idle_lock.eventFilter(window, held) is True  # shortcuts do not reach the console
    assert flow.idle_lock.eventFilter(overlay.password, held) is False
    overlay.password.setText("wrong password!")
    overlay.button.click()
    qtbot.waitUntil(lambda: overlay.error.text() != "" and overlay.button.isEnabled(), timeout=30_000)
    assert flow.idle_lock.locked
    window.grab().save(str(shot_path("security-idle-lock.png")))
    overlay.password.setText(PASSWORD)
    overlay.button.click()
    qtbot.waitUntil(lambda: not flow.idle_lock.locked, timeout=30_000)

    proc.cli("user", "logout", "wang")
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.error.isVisible(), timeout=30_000)
    assert "logged out" in dialog.error.text()
    dialog.rejected.disconnect()  # it would quit the application
    dialog.close()
    run(qtbot, store.stop())
