"""Feature: a red banner across the console / consultation window while the backend's store refuses writes.

The hub sends a transient ``status`` frame (backend/PROTOCOL.md) when the store's disk is full, read-only
or failing, and again when it recovers; ``ClientStore.backend_status_changed`` carries it here.
"""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QSizePolicy, QToolBar




def message_for(status: dict) -> str:
    """The banner text for a status, "" when the store is fine."""
    if status.get("store", "ok") == "ok":
        return ""
    reasons = {"disk_full": QCoreApplication.translate("StoreAlarm", "the disk is full"),
               "read_only": QCoreApplication.translate("StoreAlarm", "the disk is read-only"),
               "io_error": QCoreApplication.translate("StoreAlarm", "the disk reports I/O errors")}
    why = reasons.get(status.get("reason", ""), QCoreApplication.translate("StoreAlarm", "writes fail"))
    since = status.get("since") or 0.0
    when = time.strftime("%H:%M:%S", time.localtime(since)) if since else ""
    text = QCoreApplication.translate(
        "StoreAlarm",
        "STORE FAULT since {when}: {why}. New commands are refused; incoming data is held and saved when the disk recovers. Call the system administrator.")  # noqa: E501 (one literal for lupdate)
    return text.format(when=when, why=why)


class StoreAlarmBar(QToolBar):
    """A fixed, full-width banner row at the top of a main window; hidden while the store is fine.

    Attributes:
        label: the QLabel showing the message (empty while hidden).
    """

    def __init__(self, window: QMainWindow, store: Any):
        super().__init__(QCoreApplication.translate("StoreAlarm", "Store alarm"), window)
        self.setObjectName("store_alarm_bar")
        self.setMovable(False)
        self.setFloatable(False)
        self.label = QLabel(self)
        self.label.setObjectName("store_alarm_label")
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.label.setStyleSheet("QLabel { background: #b71c1c; color: white; font-size: 16px; font-weight: bold;"
                                 " padding: 8px 14px; }")
        self.label.setAccessibleName(QCoreApplication.translate("StoreAlarm", "Store alarm"))
        self.addWidget(self.label)
        self.setStyleSheet("QToolBar { background: #b71c1c; border: 0; }")
        window.addToolBarBreak(Qt.TopToolBarArea)
        window.addToolBar(Qt.TopToolBarArea, self)
        self._store = store
        store.backend_status_changed.connect(self.show_status)
        self.show_status(getattr(store, "backend_status", {"store": "ok"}))

    def show_status(self, status: dict) -> None:
        text = message_for(status)
        self.label.setText(text)
        self.setVisible(bool(text))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt)
        try:
            self._store.backend_status_changed.disconnect(self.show_status)
        except (RuntimeError, TypeError):
            pass
        super().closeEvent(event)


def install_console(window: QMainWindow, store: Any) -> StoreAlarmBar | None:
    if not hasattr(store, "backend_status_changed"):
        return None
    window.store_alarm = StoreAlarmBar(window, store)
    return window.store_alarm


def install_consultation(window: QMainWindow, store: Any) -> StoreAlarmBar | None:
    return install_console(window, store)
