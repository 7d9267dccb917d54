"""The conference panel (console and leader): pick an open conference, see its sites, moderate it, push one layout.

Every operator action is a QAction with a shortcut (Alt+…), sent to the backend as a ``conference.*`` command;
the panel redraws only from the ``conferences`` records the backend publishes.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QDockWidget, QHBoxLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

from widgets.connections import disconnect_all
from widgets.conference_view import ConferenceView

translate = QCoreApplication.translate  # lupdate reads translate("ConferencePanel", "…")
ENTITY = "conferences"
ROLLCALL_DWELL = 10.0
ACTION_OF = {"mute_all": "conference.mute", "unmute_all": "conference.mute", "mute": "conference.mute",
             "floor": "conference.floor", "next_hand": "conference.floor", "kick": "conference.kick",
             "lock": "conference.lock", "rollcall": "conference.rollcall", "end": "conference.end"}


class ConferencePanel(QWidget):
    """Attributes:
        store: the ClientStore.  picker: open conferences.  view: the ConferenceView.
        actions: {name: QAction} — mute_all, unmute_all, mute, floor, next_hand, kick, lock, rollcall,
            split_1/4/9/16, mode_fixed/rotating/speaker, end.
    """

    def __init__(self, store: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.picker = QComboBox()
        self.picker.setMinimumWidth(220)
        self.picker.setToolTip(translate("ConferencePanel", "Open conferences"))
        self.view = ConferenceView()
        top = QHBoxLayout()
        top.addWidget(QLabel(translate("ConferencePanel", "Conference:")))
        top.addWidget(self.picker, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.view, 1)
        self.actions: dict[str, QAction] = {}
        self._make_actions()
        self._connections = [(store.entity_changed, self._on_entity), (store.entity_removed, self._on_entity),
                             (store.reset, self.refresh), (store.command_failed, self._on_failed)]
        for signal, slot in self._connections:
            signal.connect(slot)
        self.picker.currentIndexChanged.connect(lambda _i: self._show())
        self.view.participant_activated.connect(self._give_floor)
        self.view.table.itemSelectionChanged.connect(self._enable)
        self.refresh()

    # -- actions ----------------------------------------------------------------------------------
    def _make_actions(self) -> None:
        spec = [
            ("mute_all", translate("ConferencePanel", "Mute all"), "Alt+Shift+M",
             translate("ConferencePanel", "Mute every site's microphone"),
             lambda: self._send("conference.mute", mute=True)),
            ("unmute_all", translate("ConferencePanel", "Unmute all"), "Alt+Shift+U",
             translate("ConferencePanel", "Open every site's microphone"),
             lambda: self._send("conference.mute", mute=False)),
            ("mute", translate("ConferencePanel", "Mute / unmute"), "Alt+M",
             translate("ConferencePanel", "Mute or unmute the selected site"), self._toggle_mute),
            ("floor", translate("ConferencePanel", "Give floor"), "Alt+F",
             translate("ConferencePanel", "The selected site speaks: first tile when speaker-following"),
             lambda: self._give_floor(self.view.selected_participant())),
            ("next_hand", translate("ConferencePanel", "Next hand"), "Alt+N",
             translate("ConferencePanel", "Give the floor to the first raised hand"), self._next_hand),
            ("kick", translate("ConferencePanel", "Remove site"), "Alt+Shift+K",
             translate("ConferencePanel", "Remove the selected site from the conference"),
             lambda: self._send("conference.kick", participant=self.view.selected_participant())),
            ("lock", translate("ConferencePanel", "Lock"), "Alt+Shift+L",
             translate("ConferencePanel", "Lock the conference: no new sites can join"), self._toggle_lock),
            ("rollcall", translate("ConferencePanel", "Roll-call"), "Alt+Shift+R",
             translate("ConferencePanel", "Start or stop the roll-call through the sites"), self._toggle_rollcall),
        ]
        for n, key in zip((1, 4, 9, 16), ("Alt+Shift+1", "Alt+Shift+2", "Alt+Shift+3", "Alt+Shift+4")):
            spec.append((f"split_{n}", translate("ConferencePanel", "{n} split").format(n=n), key,
                         translate("ConferencePanel", "Push a {n}-tile layout to every screen").format(n=n),
                         lambda _c=False, n=n: self._send("conference.layout", split=n)))
        modes = (("fixed", translate("ConferencePanel", "Fixed"), "Alt+Shift+F"),
                 ("rotating", translate("ConferencePanel", "Rotating"), "Alt+Shift+O"),
                 ("speaker", translate("ConferencePanel", "Speaker"), "Alt+Shift+S"))
        for mode, label, key in modes:
            spec.append((f"mode_{mode}", label, key,
                         translate("ConferencePanel", "Tiles: fixed, rotating pages or following the speaker"),
                         lambda _c=False, m=mode: self._set_mode(m)))
        spec.append(("end", translate("ConferencePanel", "End"), "",
                     translate("ConferencePanel", "End the conference for every site"),
                     lambda: self._send("conference.end")))
        for name, text, key, tip, slot in spec:
            act = QAction(text, self)
            if key:
                act.setShortcut(QKeySequence(key))
                act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.setToolTip(f"{tip} ({key})" if key else tip)
            act.triggered.connect(slot)
            self.actions[name] = act
            if name.startswith(("split_", "mode_")) or name == "end":
                self.view.layout_bar.addAction(act)
            else:
                self.view.toolbar.addAction(act)

    def current(self) -> dict | None:
        room = self.picker.currentData()
        rec = self.store.get(ENTITY, room) if room else None
        return rec if isinstance(rec, dict) else None

    def _send(self, action: str, **args: Any) -> None:
        rec = self.current()
        if rec is None:
            return
        if "participant" in args and not args["participant"]:
            self.view.status.setText(translate("ConferencePanel", "Select a site first"))
            return
        self.view.status.setText("")
        self.store.request(action, {"room": rec["id"], **args})

    def _toggle_mute(self) -> None:
        pid, rec = self.view.selected_participant(), self.current()
        if rec and pid in (rec.get("participants") or {}):
            self._send("conference.mute", participant=pid, mute=not rec["participants"][pid].get("audio_muted"))

    def _give_floor(self, pid: str) -> None:
        self._send("conference.floor", participant=pid)

    def _next_hand(self) -> None:
        rec = self.current()
        if rec and rec.get("hands"):
            self._give_floor(rec["hands"][0])

    def _toggle_lock(self) -> None:
        rec = self.current()
        if rec:
            self._send("conference.lock", locked=not rec.get("locked"))

    def _toggle_rollcall(self) -> None:
        rec = self.current()
        if rec:
            active = not (rec.get("rollcall") or {}).get("active")
            self._send("conference.rollcall", active=active, dwell=ROLLCALL_DWELL)

    def _set_mode(self, mode: str) -> None:
        rec = self.current()
        if rec is None:
            return
        if mode == "fixed":  # fixed on what is shown now
            split = int((rec.get("layout") or {}).get("split", 4))
            shown = [p for p in (rec.get("layout") or {}).get("tiles", []) if p][:split]
            self._send("conference.layout", mode="fixed", fixed=shown)
        else:
            self._send("conference.layout", mode=mode)

    # -- rendering --------------------------------------------------------------------------------
    def refresh(self) -> None:
        records = sorted(((k, v) for k, v in self.store.records(ENTITY).items() if isinstance(v, dict)),
                         key=lambda kv: kv[1].get("created", 0), reverse=True)
        open_ = [(k, v) for k, v in records if v.get("state") == "open"]
        keep = self.picker.currentData()
        self.picker.blockSignals(True)
        self.picker.clear()
        for key, rec in open_:
            self.picker.addItem(f"{key} {rec.get('title', '')}", key)
        index = self.picker.findData(keep) if keep else -1
        self.picker.setCurrentIndex(index if index >= 0 else (0 if open_ else -1))
        self.picker.blockSignals(False)
        self._show()

    def _show(self) -> None:
        rec = self.current()
        self.view.set_record(rec)
        lock = self.actions["lock"]
        lock.setText(translate("ConferencePanel", "Unlock") if rec and rec.get("locked")
                     else translate("ConferencePanel", "Lock"))
        call = self.actions["rollcall"]
        call.setText(translate("ConferencePanel", "Stop roll-call") if rec and (rec.get("rollcall") or {}).get("active")
                     else translate("ConferencePanel", "Roll-call"))
        self._enable()

    def _enable(self) -> None:
        rec = self.current()
        selected = bool(self.view.selected_participant())
        for name, act in self.actions.items():
            needs = (selected or name not in ("mute", "floor", "kick")) and \
                (name != "next_hand" or bool(rec and rec.get("hands")))
            act.setEnabled(rec is not None and self.store.can(ACTION_OF.get(name, "conference.layout")) and needs)

    def _on_entity(self, entity: str, _key: str = "") -> None:
        if entity == ENTITY:
            self.refresh()

    def _on_failed(self, action: str, text: str) -> None:
        if action.startswith("conference."):
            self.view.status.setText(translate("ConferencePanel", "Refused: {text}").format(text=text))

    def closeEvent(self, event) -> None:
        disconnect_all(self._connections)
        super().closeEvent(event)


def _install(window: QMainWindow, store: Any, area: Qt.DockWidgetArea) -> None:
    panel = ConferencePanel(store, window)
    dock = QDockWidget(translate("ConferencePanel", "Conference"), window)
    dock.setObjectName("conferencePanel")
    dock.setWidget(panel)
    window.addDockWidget(area, dock)
    for act in panel.actions.values():
        window.addAction(act)  # the shortcuts work wherever the focus is in the window
    window.conference_panel = panel


def install_console(window: QMainWindow, store: Any) -> None:
    _install(window, store, Qt.DockWidgetArea.BottomDockWidgetArea)  # a tab beside the incident desk


def install_consultation(window: QMainWindow, store: Any) -> None:
    # a tab behind the leader's view, the full height of the screen: below it, it took the leader's view a
    # third of its height
    _install(window, store, Qt.DockWidgetArea.RightDockWidgetArea)
