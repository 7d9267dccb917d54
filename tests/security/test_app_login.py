"""The app side over a real TLS hub: login dialog (refusal shown, then online with a session token),
idle lock (held input, wrong password, password without code, then password + code), logout by an admin
brings the dialog back over covered windows; a token session without a password locks into the login
dialog; a wall never locks."""
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
    assert overlay.needs == "password+totp" and overlay.code.isVisible()  # a duty officer commands
    held = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert flow.idle_lock.eventFilter(window, held) is True  # shortcuts do not reach the console
    assert flow.idle_lock.eventFilter(overlay.password, held) is False
    overlay.password.setText("wrong password!")
    overlay.code.setText(fresh_code(totp, used))
    overlay.button.click()
    qtbot.waitUntil(lambda: overlay.error.text() != "" and overlay.button.isEnabled(), timeout=30_000)
    assert flow.idle_lock.locked
    window.grab().save(str(shot_path("security-idle-lock.png")))
    overlay.password.setText(PASSWORD)
    overlay.button.click()  # no code: refused here, nothing sent
    assert "6-digit" in overlay.error.text() and flow.idle_lock.locked
    overlay.code.setText("123456")  # the right password, a wrong code: the hub refuses
    overlay.button.click()
    qtbot.waitUntil(lambda: overlay.password.text() == "" and overlay.button.isEnabled(), timeout=30_000)
    assert flow.idle_lock.locked
    overlay.password.setText(PASSWORD)
    overlay.code.setText(fresh_code(totp, used))
    overlay.button.click()
    qtbot.waitUntil(lambda: not flow.idle_lock.locked, timeout=30_000)
    unlocks = [(r["ok"], r["detail"]) for r in proc.audit_rows() if r["action"] == "unlock"]
    assert unlocks == [(False, "auth_failed"), (False, "auth_failed"), (True, "")]

    proc.cli("user", "logout", "wang")
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.error.isVisible(), timeout=30_000)
    assert "logged out" in dialog.error.text()
    assert flow.idle_lock.locked and flow.idle_lock.overlays[0].isVisible()  # nothing shows behind the dialog
    dialog.rejected.disconnect()  # it would quit the application
    dialog.close()
    run(qtbot, store.stop())


def test_token_session_without_password_locks_into_the_login_dialog_and_walls_never_lock(  # noqa: F811
        qtbot, qloop, tmp_path):
    from app.console_window import ConsoleWindow
    from app.session import SessionFlow

    proc = start_backend(tmp_path)
    try:
        token = proc.add_user("kiosk-duty", "duty_officer")  # an enrolment token, no password
        store = ClientStore()
        window = ConsoleWindow(store, ROOT / "layouts")
        qtbot.addWidget(window)
        window.show()
        args = argparse.Namespace(backend=proc.url, ca=None, token=token, role="console", idle_lock=0.05)
        flow = SessionFlow(args, store, [window])
        qtbot.waitUntil(lambda: store.connection == "online", timeout=30_000)
        assert store.client.session["unlock"] == "" and store.token != token  # runs on a session token
        wall_store = ClientStore()
        wall_args = argparse.Namespace(backend=proc.url, ca=None, token=proc.token("wall_operator"), role="wall",
                                       idle_lock=0.05)
        wall_flow = SessionFlow(wall_args, wall_store, [])
        qtbot.waitUntil(lambda: wall_store.connection == "online", timeout=30_000)

        qtbot.waitUntil(lambda: flow.idle_lock is not None and flow.idle_lock.locked, timeout=30_000)
        assert flow.idle_lock.overlays[0].needs == "" and not flow.idle_lock.overlays[0].password.isVisible()
        qtbot.waitUntil(lambda: flow.dialog is not None and flow.dialog.isVisible(), timeout=30_000)
        assert "inactivity" in flow.dialog.error.text()
        qtbot.waitUntil(lambda: store.connection == "offline", timeout=30_000)
        qtbot.waitUntil(lambda: any(r["action"] == "logout" and r["user"] == "kiosk-duty"
                                    for r in proc.audit_rows()), timeout=30_000)
        window.grab().save(str(shot_path("security-idle-token-login.png")))
        # the dialog's fields take input although the console is locked
        assert flow.idle_lock.eventFilter(flow.dialog.user, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A,
                                                                      Qt.KeyboardModifier.NoModifier)) is False
        # the wall stayed online and never locked, well past its idle time
        assert wall_flow.idle_lock is None and wall_store.connection == "online"
        flow.dialog.rejected.disconnect()
        flow.dialog.close()
        run(qtbot, wall_store.stop())
    finally:
        proc.stop()
