"""The leader's view (consultation role): KPIs per domain, open incidents by grade and cycle, one-key consultation,
the decision log, the room devices with room-scene buttons and each step's result, and the wall miniature."""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDockWidget, QFrame, QGridLayout, QHBoxLayout, QHeaderView, QInputDialog, QLabel,
    QMainWindow, QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout, QWidget,
)

from app import leader_model as lm
from backend_client.layouts import load_layouts
from widgets.connections import disconnect_all
from widgets.wall_miniature import WallMiniature

log = logging.getLogger(__name__)
LAYOUTS_DIR = Path(__file__).resolve().parent.parent / "layouts"
ROOM_SCENES = (("consultation", "Alt+1"), ("briefing", "Alt+2"), ("off", "Alt+3"))
STATE_COLOUR = {"online": "#5fd35f", "offline": "#ff5a4e", "unknown": "#9aa4ad"}
GRADE_NAMES = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}



translate = QCoreApplication.translate  # lupdate reads translate("LeaderView", "…")


def _table(headers: list[str], stretch: int = -1) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch < 0:
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    else:
        t.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return t


def _set_rows(table: QTableWidget, rows: list[list[str]], colours: dict[tuple[int, int], str] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if colours and (r, c) in colours:
                item.setForeground(QColor(colours[(r, c)]))
            table.setItem(r, c, item)


def _device_detail(device: lm.DeviceRow) -> str:
    """"power on, lamp 1200 h, 80%" in the UI's language (电源开，灯泡 1200 小时，80%)."""
    bits = []
    if device.power in ("on", "off"):
        bits.append(translate("LeaderView", "power on") if device.power == "on"
                    else translate("LeaderView", "power off"))
    elif device.power:
        bits.append(translate("LeaderView", "power %1").replace("%1", device.power))
    if device.lamp_hours is not None:
        bits.append(translate("LeaderView", "lamp %1 h").replace("%1", str(device.lamp_hours)))
    if device.brightness is not None:
        bits.append(f"{device.brightness}%")
    return ("，" if QLocale().language() == QLocale.Language.Chinese else ", ").join(bits)


class DomainTile(QFrame):
    """One domain's KPI: active alerts in big type, red/orange and unacknowledged below."""

    def __init__(self, domain: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kpiTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(domain)
        self.title.setObjectName("panelTitle")
        self.value = QLabel("0")
        self.value.setStyleSheet("font-size: 34px; font-weight: bold;")
        self.sub = QLabel()  # two short lines: five tiles side by side in half a screen
        box = QVBoxLayout(self)
        for w in (self.title, self.value, self.sub):
            box.addWidget(w)

    def show_kpi(self, kpi: lm.DomainKpi) -> None:
        self.value.setText(str(kpi.active))
        self.value.setStyleSheet(f"font-size: 34px; font-weight: bold; color: {'#ff7043' if kpi.serious else '#e8eef2'};")
        self.sub.setText(translate("LeaderView", "red/orange %1\nunacknowledged %2").replace("%1", str(kpi.serious))
                         .replace("%2", str(kpi.unacked)))


class LeaderView(QWidget):
    """The leader's panels over one ClientStore; refreshes at most every 300 ms.

    Attributes:
        tiles {domain: DomainTile}, grade_table, decision_table, incident_box, device_table, steps_table,
        wall (WallMiniature, read-only unless the role may set cells), status (last command outcome).
        consult_action (F8), decision_action (Ctrl+D), minutes_action (Ctrl+Shift+M), end_action,
        scene_actions {name: QAction} (Alt+1..3).
    """

    def __init__(self, store: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self._tasks: set[asyncio.Task] = set()
        self.layouts = {lay.name: lay for lay in load_layouts(LAYOUTS_DIR)[0]}
        self.tiles = {d: DomainTile(d, self) for d in lm.DOMAINS}
        tiles = QHBoxLayout()
        for t in self.tiles.values():
            tiles.addWidget(t)

        self.grade_table = _table([translate("LeaderView", "Grade"), translate("LeaderView", "Micro"), translate("LeaderView", "Small"), translate("LeaderView", "Big")])
        self.decision_table = _table([translate("LeaderView", "Time"), translate("LeaderView", "Decided by"), translate("LeaderView", "Decision"), translate("LeaderView", "Incident")], 2)
        self.incident_box = QComboBox(self)
        self.incident_box.setToolTip(translate("LeaderView", "Incident for the one-key consultation"))
        self.consultation_label = QLabel()
        self.status = QLabel()
        self.status.setWordWrap(True)

        self.consult_action = self._action(translate("LeaderView", "One-key consultation"), "F8", translate("LeaderView", 
            "Start a consultation on the chosen incident: invite, switch the wall, set up the room (F8)"),
            self.start_consultation)
        self.decision_action = self._action(translate("LeaderView", "Record decision…"), "Ctrl+D",
                                            translate("LeaderView", "Record who decided what in the open consultation (Ctrl+D)"),
                                            self.ask_decision)
        self.minutes_action = self._action(translate("LeaderView", "Add to minutes…"), "Ctrl+Shift+M",
                                           translate("LeaderView", "Append a line to the consultation minutes (Ctrl+Shift+M)"),
                                           self.ask_minutes)
        self.end_action = self._action(translate("LeaderView", "End consultation"), "Ctrl+Shift+E",
                                       translate("LeaderView", "End the open consultation (Ctrl+Shift+E)"), self.end_consultation)
        titles = {"consultation": translate("LeaderView", "Consultation"), "briefing": translate("LeaderView", "Briefing"), "off": translate("LeaderView", "Room off")}
        self.scene_actions = {
            name: self._action(titles[name], key, translate("LeaderView", "Run the room scene \"%1\" (%2)").replace("%1", titles[name])
                               .replace("%2", key), lambda _checked=False, n=name: self.run_scene(n))
            for name, key in ROOM_SCENES}
        self.device_table = _table([translate("LeaderView", "Device"), translate("LeaderView", "State"), translate("LeaderView", "Detail"), translate("LeaderView", "Errors")], 3)
        self.steps_table = _table([translate("LeaderView", "Step"), translate("LeaderView", "Device"), translate("LeaderView", "Result"), translate("LeaderView", "ms")], 2)
        self.run_label = QLabel()
        self.wall = WallMiniature(self._camera_name, self, translate("LeaderView", "On the wall"))
        self.wall.setAcceptDrops(store.can("wall.set_cell"))
        self.wall_note = QLabel()

        consult = QGridLayout()
        consult.addWidget(self._title(translate("LeaderView", "Open incidents by grade and cycle")), 0, 0)
        consult.addWidget(self.grade_table, 1, 0)
        row = QGridLayout()  # the incident on a line of its own, its actions two by two below: half a screen
        for i, a in enumerate((self.consult_action, self.decision_action, self.minutes_action, self.end_action)):
            row.addWidget(self._button(a), i // 2, i % 2)
        row.setColumnStretch(2, 1)
        consult.addWidget(self._title(translate("LeaderView", "Consultation and decision log")), 0, 1)
        right = QVBoxLayout()
        right.addWidget(self.incident_box)
        right.addLayout(row)
        right.addWidget(self.consultation_label)
        right.addWidget(self.decision_table, 1)
        consult.addLayout(right, 1, 1)
        consult.setColumnStretch(1, 2)

        room = QVBoxLayout()
        room.addWidget(self._title(translate("LeaderView", "Consultation room")))
        buttons = QHBoxLayout()
        for a in self.scene_actions.values():
            buttons.addWidget(self._button(a))
        buttons.addStretch(1)
        room.addLayout(buttons)
        room.addWidget(self.device_table, 3)
        room.addWidget(self.run_label)
        room.addWidget(self.steps_table, 3)
        wall = QVBoxLayout()
        wall.addWidget(self._title(translate("LeaderView", "Video wall")))
        wall.addWidget(self.wall, 1)
        wall.addWidget(self.wall_note)
        lower = QHBoxLayout()
        lower.addLayout(room, 3)
        lower.addLayout(wall, 2)

        box = QVBoxLayout(self)
        box.addLayout(tiles)
        box.addLayout(consult, 3)
        box.addLayout(lower, 4)
        box.addWidget(self.status)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self.refresh)
        self._signals = [(store.reset, self._later), (store.alert_changed, self._later),
                         (store.incident_changed, self._later), (store.wall_changed, self._later),
                         (store.entity_changed, self._on_entity), (store.entity_removed, self._on_entity),
                         (store.session_changed, self._later)]
        for signal, slot in self._signals:
            signal.connect(slot)
        self.refresh()

    # ---- construction ----------------------------------------------------------------------------
    def _action(self, text: str, key: str, tip: str, slot) -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _button(self, action: QAction) -> QToolButton:
        b = QToolButton(self)
        b.setDefaultAction(action)
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return b

    @staticmethod
    def _title(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("panelTitle")
        return label

    def _camera_name(self, camera_id: str) -> str | None:
        return getattr(self.store.get("cameras", camera_id), "name", None) or camera_id

    # ---- rendering -------------------------------------------------------------------------------
    def _later(self, *_args: Any) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _on_entity(self, entity: str, _key: str) -> None:
        if entity in ("decisions", "consultations", "room_devices", "room_runs", "tasks"):
            self._later()

    def refresh(self) -> None:
        s = self.store
        for kpi in lm.domain_kpis(s.alerts()):
            self.tiles[kpi.domain].show_kpi(kpi)
        counts = lm.incidents_by_grade_and_cycle(s.incidents())
        _set_rows(self.grade_table, [[GRADE_NAMES[g]] +
                                     [str(counts[(g, c)]) for c in lm.CYCLES] for g in lm.GRADES])
        incidents = {i.id: i for i in s.incidents()}
        rows = lm.decision_log(s.records("decisions").values(), incidents)
        _set_rows(self.decision_table, [[time.strftime("%m-%d %H:%M", time.localtime(r.at)), r.by, r.text, r.incident]
                                        for r in rows])
        self._fill_incidents([i for i in incidents.values() if i.stage not in lm.CLOSED])
        current = lm.open_consultation(s.records("consultations").values())
        if current:
            invited = "、".join(current.get("invited", {}).get("departments", []))
            self.consultation_label.setText(translate("LeaderView", "Open: %1 (%2) — invited: %3").replace("%1", current["id"])
                                            .replace("%2", str(current.get("title", ""))).replace("%3", invited))
        else:
            self.consultation_label.setText(translate("LeaderView", "No consultation open"))
        for a in (self.decision_action, self.minutes_action, self.end_action):
            a.setEnabled(current is not None)
        self.consult_action.setEnabled(s.can("consultation.start") and self.incident_box.count() > 0)
        for a in self.scene_actions.values():
            a.setEnabled(s.can("room.scene"))
        devices = lm.device_rows(s.records("room_devices").values())
        states = {"online": translate("LeaderView", "online"), "offline": translate("LeaderView", "offline"), "unknown": translate("LeaderView", "unknown")}
        _set_rows(self.device_table, [[d.name, states[d.state], _device_detail(d), "; ".join(d.errors)]
                                      for d in devices],
                  {(r, 1): STATE_COLOUR[d.state] for r, d in enumerate(devices)}
                  | {(r, 3): "#ff5a4e" for r, d in enumerate(devices) if d.errors})
        self._show_run(lm.last_run(s.records("room_runs").values()))
        wall = s.wall("main")
        self.wall.set_screen(getattr(wall, "screen", None))
        self.wall.show_scene(self.layouts.get(wall.layout) if wall else None, wall.cells if wall else None)
        layout = self.layouts.get(wall.layout) if wall else None
        self.wall_note.setText((layout.title if layout else "") + " · " + (
            translate("LeaderView", "you may change the wall") if s.can("wall.take") else translate("LeaderView", "read only")))

    def _fill_incidents(self, incidents: list[Any]) -> None:
        chosen = self.incident_box.currentData()
        items = sorted(incidents, key=lambda i: (i.grade, -(i.created or 0)))
        if [self.incident_box.itemData(n) for n in range(self.incident_box.count())] == [i.id for i in items]:
            return
        self.incident_box.blockSignals(True)
        self.incident_box.clear()
        for i in items:
            self.incident_box.addItem(f"{GRADE_NAMES.get(i.grade, '?')} · {i.title}", i.id)
        idx = self.incident_box.findData(chosen)
        self.incident_box.setCurrentIndex(max(idx, 0))
        self.incident_box.blockSignals(False)

    def _show_run(self, run: dict | None) -> None:
        if run is None:
            self.run_label.setText(translate("LeaderView", "No room scene run yet"))
            self.steps_table.setRowCount(0)
            return
        state = {"running": translate("LeaderView", "running"), "done": translate("LeaderView", "done"), "partial": translate("LeaderView", "some steps failed")}
        self.run_label.setText(translate("LeaderView", "Room scene %1 by %2: %3").replace("%1", str(run.get("title", run.get("scene"))))
                               .replace("%2", str(run.get("by", ""))).replace("%3", state.get(run.get("state"), "")))
        steps = run.get("steps") or []
        ok = {True: "✔ ", False: "✘ ", None: "… "}
        _set_rows(self.steps_table, [[f"{s.get('index', 0) + 1}. {s.get('op', '')}", str(s.get("device", "")),
                                      ok.get(s.get("ok"), "") + str(s.get("detail", "")), str(s.get("ms", ""))]
                                     for s in steps],
                  {(r, 2): "#5fd35f" if s.get("ok") else "#9aa4ad" if s.get("ok") is None else "#ff5a4e"
                   for r, s in enumerate(steps)})

    # ---- intents -----------------------------------------------------------------------------------
    def _send(self, action: str, args: dict, done_text: str) -> asyncio.Task | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.store.command_failed.emit(action, translate("LeaderView", "Not connected to the hub"))
            return None
        self.status.setText(translate("LeaderView", "Sending: %1").replace("%1", action))

        async def run() -> Any:
            try:
                result = await self.store.command(action, args, timeout=60.0)
            except Exception as exc:  # noqa: BLE001 - reported through command_failed as well
                self.status.setText(translate("LeaderView", "Failed: %1").replace("%1", str(exc)))
                return None
            self.status.setText(done_text)
            return result
        task = loop.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def start_consultation(self) -> asyncio.Task | None:
        incident = self.incident_box.currentData()
        if not incident:
            return None
        return self._send("consultation.start", {"incident": incident}, translate("LeaderView", "Consultation started"))

    def _current(self) -> str:
        current = lm.open_consultation(self.store.records("consultations").values())
        return current["id"] if current else ""

    def record_decision(self, text: str, by: str = "") -> asyncio.Task | None:
        args = {"consultation": self._current(), "text": text}
        if by:
            args["by"] = by
        return self._send("decision.record", args, translate("LeaderView", "Decision recorded"))

    def append_minutes(self, text: str) -> asyncio.Task | None:
        return self._send("minutes.append", {"consultation": self._current(), "text": text}, translate("LeaderView", "Minutes updated"))

    def ask_decision(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self, translate("LeaderView", "Record decision"), translate("LeaderView", "Decision:"))
        if ok and text.strip():
            by, ok = QInputDialog.getText(self, translate("LeaderView", "Record decision"), translate("LeaderView", "Decided by (empty: you):"))
            self.record_decision(text.strip(), by.strip() if ok else "")

    def ask_minutes(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self, translate("LeaderView", "Minutes"), translate("LeaderView", "Add to the minutes:"))
        if ok and text.strip():
            self.append_minutes(text.strip())

    def end_consultation(self) -> asyncio.Task | None:
        return self._send("consultation.end", {"consultation": self._current()}, translate("LeaderView", "Consultation ended"))

    def run_scene(self, name: str) -> asyncio.Task | None:
        return self._send("room.scene", {"name": name}, translate("LeaderView", "Room scene sent"))

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        disconnect_all(self._signals)
        super().closeEvent(event)


def install_consultation(window: QMainWindow, store: Any) -> None:
    view = LeaderView(store, window)
    dock = QDockWidget(translate("LeaderView", "Leader's view"), window)
    dock.setObjectName("leaderView")
    dock.setWidget(view)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.leader_view = view
