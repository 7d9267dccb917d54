"""Dispatch pad: one-key buttons per terminal and per group, multi-select → temporary group, group call,
all-call, patch, push-to-talk, emergency state, and the call log with instant recall."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (QApplication, QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea,
                               QSizePolicy, QSpinBox, QSplitter, QToolButton, QVBoxLayout, QWidget)

from widgets.call_log_view import CallLogView

BUSY_STATES = ("dialing", "ringing", "active")



translate = QCoreApplication.translate  # lupdate reads translate("DispatchPad", "…")


def kind_name(kind: str) -> str:
    return {"radio": translate("DispatchPad", "Radio"), "phone": translate("DispatchPad", "Phone"), "video": translate("DispatchPad", "Video terminal"), "bodycam": translate("DispatchPad", "Body cam"),
            "drone": translate("DispatchPad", "Drone"), "vehicle": translate("DispatchPad", "Vehicle"), "group": translate("DispatchPad", "Group")}.get(kind, kind)


def status_name(status: str) -> str:
    return {"available": translate("DispatchPad", "available"), "busy": translate("DispatchPad", "busy"), "on_scene": translate("DispatchPad", "on scene"),
            "returning": translate("DispatchPad", "returning"), "off_duty": translate("DispatchPad", "off duty"), "offline": translate("DispatchPad", "offline"),
            "unknown": translate("DispatchPad", "unknown")}.get(status, status)


@dataclass(frozen=True)
class PadKey:
    """One one-key button: a terminal or a group, what it shows, and its state."""

    kind: str          # "terminal" | "group"
    id: str
    label: str
    icon: str          # the kind's short name, shown on the key's second line
    online: bool = True
    emergency: bool = False
    in_call: bool = False
    detail: str = ""   # department / status, for the tooltip


def pad_keys(terminals: list[dict], groups: list[dict], calls: list[dict], query: str = "",
             department: str = "") -> list[PadKey]:
    """The buttons: emergencies first, then groups, then terminals by department and name."""
    busy = {t for c in calls if c.get("state") in BUSY_STATES for t in c.get("terminals", [])}
    busy_groups = {c.get("group") for c in calls if c.get("state") in BUSY_STATES}
    q = query.strip().lower()
    keys = []
    for g in sorted(groups, key=lambda g: (g.get("temporary", False), g["id"])):
        if q and q not in g.get("name", "").lower() or department:
            continue
        keys.append(PadKey("group", g["id"], g.get("name", g["id"]), kind_name("group"), True, False,
                           g["id"] in busy_groups, translate("DispatchPad", "%1 members").replace("%1", str(len(g.get("members", []))))))
    terms = []
    for t in terminals:
        hay = " ".join(str(t.get(k, "")) for k in ("name", "id", "address", "department")).lower()
        if q and q not in hay or department and t.get("department") != department:
            continue
        terms.append(PadKey("terminal", t["id"], t.get("name", t["id"]), kind_name(t.get("kind", "")),
                            t.get("presence") == "online", bool(t.get("emergency")), t["id"] in busy,
                            f"{t.get('department', '')} · {status_name(t.get('status', ''))}"))
    terms.sort(key=lambda k: (not k.emergency, k.detail, k.label))
    return [k for k in terms if k.emergency] + keys + [k for k in terms if not k.emergency]


class DispatchPad(QWidget):
    """Renders the directory as one-key buttons and sends dispatch commands through the store.

    Click a key: call it (a terminal, or a group call). Ctrl+click: add it to the selection; "Group call"
    makes a temporary group of the selection and calls it. Commands carry the chosen incident.

    Signals:
        selection_changed(list): the selected terminal ids.
        assign_requested(str): the operator asked to put this key on a function key (right click).
    """

    selection_changed = Signal(list)
    assign_requested = Signal(str)

    def __init__(self, store, parent: QWidget | None = None, columns: int = 3) -> None:
        super().__init__(parent)
        self._store, self._columns = store, columns
        self.selected: list[str] = []
        self.keys: list[PadKey] = []
        self.buttons: dict[str, QToolButton] = {}
        self.search = QLineEdit()
        self.search.setPlaceholderText(translate("DispatchPad", "Search terminals (name, number, department)"))
        self.search.setClearButtonEnabled(True)
        self.department = QComboBox()
        self.department.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # "All departments" whole
        self.incident = QComboBox()
        self.incident.setToolTip(translate("DispatchPad", "Calls are logged in this incident's timeline"))
        self.emergency_banner = QLabel()
        self.emergency_banner.setObjectName("emergencyBanner")
        self.emergency_banner.setStyleSheet("background:#e5322d;color:white;font-weight:bold;padding:4px;")
        self.emergency_banner.hide()
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setSpacing(6)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll = scroll
        self.group_call_button = QPushButton(translate("DispatchPad", "Group call"))
        self.all_call_button = QPushButton(translate("DispatchPad", "All-call"))
        self.ptt_button = QPushButton(translate("DispatchPad", "PTT (hold)"))
        self.ptt_button.setObjectName("ptt")
        self.patch_a, self.patch_b = QSpinBox(), QSpinBox()
        for box, v in ((self.patch_a, 1), (self.patch_b, 2)):
            box.setRange(1, 99)
            box.setValue(v)
            box.setPrefix(translate("DispatchPad", "ch "))
        self.patch_button = QPushButton(translate("DispatchPad", "Patch"))
        self.call_log = CallLogView(store)
        top = QHBoxLayout()
        top.addWidget(self.search, 2)
        top.addWidget(self.department)
        top.addWidget(QLabel(translate("DispatchPad", "Incident")))
        top.addWidget(self.incident, 1)
        actions = QHBoxLayout()
        for w in (self.group_call_button, self.all_call_button, self.ptt_button, self.patch_a, self.patch_b,
                  self.patch_button):
            actions.addWidget(w)
        actions.addStretch(1)
        upper = QWidget()
        ul = QVBoxLayout(upper)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addLayout(top)
        ul.addWidget(self.emergency_banner)
        ul.addWidget(scroll, 1)
        ul.addLayout(actions)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(self.call_log)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        # the stretch only shares what is left after the size hints, and the log's is tall: 3:1 from the start
        split.setSizes([3000, 1000])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split)
        self.search.textChanged.connect(self.refresh)
        self.department.currentIndexChanged.connect(self.refresh)
        self.group_call_button.clicked.connect(self.group_call)
        self.all_call_button.clicked.connect(self.all_call)
        self.ptt_button.pressed.connect(lambda: self.ptt(True))
        self.ptt_button.released.connect(lambda: self.ptt(False))
        self.patch_button.clicked.connect(self.patch)
        self.call_log.hangup_requested.connect(self.hangup)
        store.entity_changed.connect(self._on_changed)
        store.reset.connect(self.refresh_all)
        self.refresh_all()

    # -- rendering -------------------------------------------------------------------------------
    def _records(self, entity: str) -> list[dict]:
        return [r for r in self._store.records(entity).values() if isinstance(r, dict)]

    def _on_changed(self, entity: str, _key: str) -> None:
        if entity in ("terminals", "talkgroups", "calls"):
            self.refresh()
        if entity == "terminals":
            self._refresh_departments()
        elif entity == "incidents":
            self._refresh_incidents()

    def refresh_all(self) -> None:
        self._refresh_departments()
        self._refresh_incidents()
        self.refresh()

    def _refresh_departments(self) -> None:
        depts = sorted({t.get("department", "") for t in self._records("terminals")} - {""})
        current = self.department.currentData() or ""
        if [self.department.itemData(i) for i in range(1, self.department.count())] == depts:
            return
        self.department.blockSignals(True)
        self.department.clear()
        self.department.addItem(translate("DispatchPad", "All departments"), "")
        for d in depts:
            self.department.addItem(d, d)
        self.department.setCurrentIndex(max(self.department.findData(current), 0))
        self.department.blockSignals(False)

    def _refresh_incidents(self) -> None:
        current = self.incident.currentData() or ""
        self.incident.blockSignals(True)
        self.incident.clear()
        self.incident.addItem(translate("DispatchPad", "(none)"), "")
        for inc in sorted(self._store.incidents(), key=lambda i: i.created, reverse=True)[:50]:
            if inc.stage not in ("closed", "archived"):
                self.incident.addItem(f"{inc.id} {inc.title}", inc.id)
        self.incident.setCurrentIndex(max(self.incident.findData(current), 0))
        self.incident.blockSignals(False)

    def refresh(self) -> None:
        calls = self._records("calls")
        self.keys = pad_keys(self._records("terminals"), self._records("talkgroups"), calls, self.search.text(),
                             self.department.currentData() or "")
        while self.grid.count():
            w = self.grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.buttons = {}
        for i, key in enumerate(self.keys):
            b = QToolButton()
            b.setObjectName("padKey")
            b.setCheckable(True)
            b.setChecked(key.id in self.selected)
            state = translate("DispatchPad", "EMERGENCY") if key.emergency else translate("DispatchPad", "in call") if key.in_call else \
                key.detail.split(" · ")[-1] if key.kind == "terminal" else key.detail
            b.setText(f"{key.label}\n{key.icon} · {state}")
            b.setToolTip(key.detail)
            b.setMinimumSize(160, 48)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setStyleSheet(self._style(key))
            b.clicked.connect(lambda _c=False, k=key: self._key_clicked(k))
            b.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            b.customContextMenuRequested.connect(lambda _p, k=key.id: self.assign_requested.emit(k))
            self.grid.addWidget(b, i // self._columns, i % self._columns)
            self.buttons[key.id] = b
        self.grid.setRowStretch(len(self.keys) // self._columns + 1, 1)
        emergencies = [k.label for k in self.keys if k.emergency]
        self.emergency_banner.setText(translate("DispatchPad", "EMERGENCY: %1").replace("%1", "、".join(emergencies)))
        self.emergency_banner.setVisible(bool(emergencies))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        columns = max(1, (self.width() - 40) // 172)
        if columns != self._columns:
            self._columns = columns
            self.refresh()

    @staticmethod
    def _style(key: PadKey) -> str:
        if key.emergency:
            bg, fg = "#e5322d", "#ffffff"
        elif key.in_call:
            bg, fg = "#1e7d45", "#ffffff"
        elif not key.online:
            bg, fg = "#2a2e33", "#6d757d"
        else:
            bg, fg = "#23405e" if key.kind == "group" else "#2b3540", "#e6edf3"
        return (f"QToolButton{{background:{bg};color:{fg};border:1px solid #3d4853;border-radius:4px;"
                f"padding:4px;text-align:left;}} QToolButton:checked{{border:2px solid #f5d21f;}}")

    # -- intents ---------------------------------------------------------------------------------
    def _args(self, **kw) -> dict:
        inc = self.incident.currentData() or ""
        return {**kw, "incident": inc} if inc else kw

    def _key_clicked(self, key: PadKey) -> None:
        if QApplication.keyboardModifiers() & Qt.KeyboardModifier.ControlModifier and key.kind == "terminal":
            self.toggle_selected(key.id)
            return
        self.buttons[key.id].setChecked(key.id in self.selected)
        self.press(key.id)

    def toggle_selected(self, terminal_id: str) -> None:
        if terminal_id in self.selected:
            self.selected.remove(terminal_id)
        else:
            self.selected.append(terminal_id)
        if terminal_id in self.buttons:
            self.buttons[terminal_id].setChecked(terminal_id in self.selected)
        self.selection_changed.emit(list(self.selected))

    def press(self, key_id: str):
        """The one-key action: call a terminal, or group-call a group."""
        key = next((k for k in self.keys if k.id == key_id), None)
        if key is None:
            key = PadKey("group" if self._store.get("talkgroups", key_id) else "terminal", key_id, key_id, "")
        if key.kind == "group":
            return self._store.request("dispatch.call", self._args(group=key.id))
        return self._store.request("dispatch.call", self._args(terminal=key.id))

    def group_call(self):
        """A temporary group of the selection, then a group call to it."""
        members = list(self.selected)
        if len(members) < 2:
            self._store.command_failed.emit("dispatch.group.create", translate("DispatchPad", "Select at least two terminals (Ctrl+click)"))
            return None
        self.selected = []
        self.refresh()

        async def run():
            res = await self._store.command("dispatch.group.create", {"members": members})
            return await self._store.command("dispatch.call", self._args(group=res["group"]))
        try:
            task = asyncio.get_running_loop().create_task(run())
        except RuntimeError:
            self._store.command_failed.emit("dispatch.group.create", translate("DispatchPad", "Not connected to the hub"))
            return None
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # failures were reported by the store
        return task

    def all_call(self):
        return self._store.request("dispatch.broadcast", self._args())

    def ptt(self, on: bool):
        return self._store.request("dispatch.ptt", self._args(on=on))

    def patch(self):
        return self._store.request("dispatch.patch", self._args(a=self.patch_a.value(), b=self.patch_b.value()))

    def hangup(self, call_id: str = ""):
        return self._store.request("dispatch.hangup", {"call": call_id} if call_id else {})

    def closeEvent(self, event) -> None:  # noqa: N802
        try:
            self._store.entity_changed.disconnect(self._on_changed)
            self._store.reset.disconnect(self.refresh_all)
        except (RuntimeError, TypeError):
            pass
        super().closeEvent(event)
