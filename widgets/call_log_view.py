"""Call log with instant recall: the last calls, newest first; replay one or the last N (audio + metadata)."""
from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QSpinBox, QVBoxLayout, QWidget

STATE_COLOURS = {"dialing": "#f5d21f", "ringing": "#f5d21f", "active": "#2ecc71", "ended": "#8a939c",
                 "busy": "#f28c1b", "no_answer": "#f28c1b", "failed": "#e5322d"}



translate = QCoreApplication.translate  # lupdate reads translate("CallLogView", "…")


def state_name(state: str) -> str:
    return {"dialing": translate("CallLogView", "dialling"), "ringing": translate("CallLogView", "ringing"), "active": translate("CallLogView", "in call"), "ended": translate("CallLogView", "ended"),
            "busy": translate("CallLogView", "busy"), "no_answer": translate("CallLogView", "no answer"), "failed": translate("CallLogView", "failed")}.get(state, state)


def kind_name(kind: str) -> str:
    return {"individual": translate("CallLogView", "call"), "group": translate("CallLogView", "group call"), "all": translate("CallLogView", "all-call"), "patch": translate("CallLogView", "patch"),
            "ptt": translate("CallLogView", "PTT")}.get(kind, kind)


def describe(call: dict) -> str:
    """One line: "14:02:11  group call  临时组 1  in call  32 s  [yk-INC-00003]  🎙"."""
    started = time.strftime("%H:%M:%S", time.localtime(call.get("started") or 0))
    parts = [started, kind_name(call.get("kind", "")), call.get("label", ""), state_name(call.get("state", ""))]
    if call.get("duration") is not None:
        parts.append(translate("CallLogView", "%1 s").replace("%1", f"{call['duration']:.0f}"))
    if call.get("incident"):
        parts.append(f"[{call['incident']}]")
    if (call.get("recording") or {}).get("audio"):
        parts.append("♪")
    return "  ".join(p for p in parts if p)


class CallLogView(QWidget):
    """The latest calls from the `calls` records; emits recall requests, never plays or sends anything itself.

    Signals:
        recall_requested(list): call records to replay, oldest first (audio where recorded, else metadata).
        hangup_requested(str): end this call.
    """

    recall_requested = Signal(list)
    hangup_requested = Signal(str)

    def __init__(self, store, limit: int = 50, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store, self._limit = store, limit
        self.list = QListWidget()
        self.list.setObjectName("callLog")
        self.recall_button = QPushButton(translate("CallLogView", "Recall"))
        self.recall_button.setToolTip(translate("CallLogView", "Replay the selected call, or the last calls if none is selected"))
        self.last_n = QSpinBox()
        self.last_n.setRange(1, 20)
        self.last_n.setValue(5)
        self.last_n.setPrefix(translate("CallLogView", "last "))
        self.hangup_button = QPushButton(translate("CallLogView", "Hang up"))
        self.recall_button.clicked.connect(self.recall)
        self.hangup_button.clicked.connect(self._hangup)
        row = QHBoxLayout()
        row.addWidget(self.recall_button)
        row.addWidget(self.last_n)
        row.addStretch(1)
        row.addWidget(self.hangup_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.list, 1)
        lay.addLayout(row)
        store.entity_changed.connect(self._on_changed)
        store.reset.connect(self.refresh)
        self.refresh()

    def calls(self) -> list[dict]:
        """The latest calls, newest first."""
        recs = [r for r in self._store.records("calls").values() if isinstance(r, dict)]
        return sorted(recs, key=lambda r: (r.get("started") or 0, r["id"]), reverse=True)[:self._limit]

    def _on_changed(self, entity: str, _key: str) -> None:
        if entity == "calls":
            self.refresh()

    def refresh(self) -> None:
        selected = self.selected_id()
        self.list.clear()
        for call in self.calls():
            item = QListWidgetItem(describe(call))
            item.setData(Qt.ItemDataRole.UserRole, call["id"])
            item.setForeground(QColor(STATE_COLOURS.get(call.get("state", ""), "#cfd6dd")))
            self.list.addItem(item)
            if call["id"] == selected:
                item.setSelected(True)

    def selected_id(self) -> str:
        items = self.list.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else ""

    def recall(self) -> list[dict]:
        """Ask to replay the selected call, else the last N finished calls (oldest first)."""
        calls = self.calls()
        sel = self.selected_id()
        chosen = [c for c in calls if c["id"] == sel] if sel else \
            [c for c in calls if c.get("state") not in ("dialing", "ringing", "active")][:self.last_n.value()][::-1]
        if chosen:
            self.recall_requested.emit(chosen)
        return chosen

    def _hangup(self) -> None:
        sel = self.selected_id()
        self.hangup_requested.emit(sel)

    def closeEvent(self, event) -> None:  # noqa: N802
        try:
            self._store.entity_changed.disconnect(self._on_changed)
            self._store.reset.disconnect(self.refresh)
        except (RuntimeError, TypeError):
            pass
        super().closeEvent(event)
