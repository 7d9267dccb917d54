"""Alert handling on the console: filter bar, assign / escalate actions, a sound for new red/orange alerts
and an escalation indicator (issue 4, console half)."""
from __future__ import annotations

import logging
import math
import struct
import wave
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QMainWindow,
                               QWidget)

from backend_client.townships import township_name
from widgets.alert_filter_bar import AlertFilter, AlertFilterBar
from widgets.alert_list_view import FrameThrottle
from widgets.connections import disconnect_all

log = logging.getLogger(__name__)

SOUND_DIR = Path(__file__).resolve().parent.parent / "resources" / "sounds"
SOUND_COLOURS = ("red", "orange")
# Departments of the Yongkang centre an alert may be handed to (free text is accepted too).
DEPARTMENTS = ("应急管理局", "公安局", "消防救援大队", "卫生健康局", "水利局", "自然资源和规划局", "生态环境分局",
               "住房和城乡建设局", "交通运输局", "综合行政执法局", "市场监督管理局", "供电公司")


def write_tone(path: Path, pattern: list[tuple[float, float]], rate: int = 22050, volume: float = 0.5) -> None:
    """A mono 16-bit WAV of (frequency Hz, seconds) segments; frequency 0 is silence."""
    frames = bytearray()
    for freq, seconds in pattern:
        n = int(rate * seconds)
        for i in range(n):
            fade = min(1.0, i / 200, (n - i) / 200)  # no clicks at segment edges
            value = volume * fade * math.sin(2 * math.pi * freq * i / rate) if freq else 0.0
            frames += struct.pack("<h", int(value * 32767))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))


def ensure_sounds(directory: Path = SOUND_DIR) -> dict[str, Path]:
    """The WAV per colour, written if missing: red is a fast high two-tone, orange a slower single tone."""
    patterns = {"red": [(1320, 0.12), (0, 0.04), (990, 0.12), (0, 0.04)] * 3,
                "orange": [(880, 0.2), (0, 0.1), (880, 0.2)]}
    paths = {}
    for colour, pattern in patterns.items():
        path = directory / f"alert_{colour}.wav"
        if not path.exists():
            try:
                write_tone(path, pattern)
            except OSError as exc:
                log.warning("alert sound %s cannot be written: %s", path, exc)
        paths[colour] = path
    return paths


class AlertSound(QObject):
    """Plays a sound when a new red/orange alert arrives or an alert is escalated; muting is remembered.

    Alerts present in a snapshot (reset) never sound; only later arrivals do.

    Attributes:
        muted: no sound while True (QSettings "alerts/muted").  effects: {colour: QSoundEffect or None}.
    Signals:
        sounded(str, str): (colour, alert id) a sound was due (emitted even when the device cannot play).
    """

    sounded = Signal(str, str)

    def __init__(self, store: Any, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.muted = QSettings().value("alerts/muted", False, type=bool)
        self.effects: dict[str, Any] = {}
        for colour, path in ensure_sounds().items():
            self.effects[colour] = _effect(path, self)
        self._seen: dict[str, int] = {}  # id -> escalation level already sounded for
        self._signals = [(store.reset, self._on_reset), (store.alert_changed, self._on_alert)]
        for signal, slot in self._signals:
            signal.connect(slot)
        self._on_reset()

    def set_muted(self, muted: bool) -> None:
        self.muted = bool(muted)
        QSettings().setValue("alerts/muted", self.muted)
        if self.muted:
            for effect in self.effects.values():
                if effect is not None:
                    effect.stop()

    @Slot()
    def _on_reset(self) -> None:
        self._seen = {a.id: a.escalation_level for a in self.store.alerts()}

    @Slot(object)
    def _on_alert(self, alert: Any) -> None:
        before = self._seen.get(alert.id)
        self._seen[alert.id] = alert.escalation_level
        if alert.status != "active" or alert.acked:
            return
        if before is None and alert.colour in SOUND_COLOURS:
            self.play(alert.colour, alert.id)
        elif before is not None and alert.escalation_level > before:
            self.play("red", alert.id)  # an escalation is as urgent as a red alert

    def play(self, colour: str, alert_id: str = "") -> None:
        if self.muted:
            return
        self.sounded.emit(colour, alert_id)
        effect = self.effects.get(colour)
        if effect is not None and not effect.isPlaying():
            effect.play()

    def shutdown(self) -> None:
        disconnect_all(self._signals)
        self._signals = []


def _effect(path: Path, parent: QObject) -> Any:
    """A QSoundEffect for ``path``, or None when QtMultimedia is missing (the console stays silent)."""
    try:
        from PySide6.QtMultimedia import QSoundEffect
    except ImportError as exc:
        log.warning("QtMultimedia unavailable (%s): alerts will not sound", exc)
        return None
    effect = QSoundEffect(parent)
    effect.setSource(QUrl.fromLocalFile(str(path)))
    effect.setVolume(0.9)
    return effect


class AssignDialog(QDialog):
    """Choose the department or unit an alert is handed to (an editable list)."""

    def __init__(self, alerts: list[Any], targets: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Assign alert"))
        self.target = QComboBox()
        self.target.setEditable(True)
        self.target.addItems(targets)
        if alerts and alerts[0].assigned_to:
            self.target.setCurrentText(alerts[0].assigned_to)
        form = QFormLayout(self)
        titles = "\n".join(a.title for a in alerts[:5]) + ("\n…" if len(alerts) > 5 else "")
        form.addRow(self.tr("Alerts"), QLabel(titles))
        form.addRow(self.tr("Assign to"), self.target)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def value(self) -> str:
        return self.target.currentText().strip()


class EscalateDialog(QDialog):
    """An optional reason for escalating."""

    def __init__(self, count: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Escalate alert"))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("Reason (optional)"))
        form = QFormLayout(self)
        form.addRow(QLabel(self.tr("Escalate %1 alert(s) to the next level?").replace("%1", str(count))))
        form.addRow(self.tr("Reason"), self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class AlertHandling(QObject):
    """The alert-handling parts installed on a ConsoleWindow.

    Attributes:
        filter_bar: AlertFilterBar above the alert list.  sound: AlertSound.  indicator: QLabel in the
        status bar showing escalated, unacknowledged alerts.  assign_action (Ctrl+Shift+A),
        escalate_action (Ctrl+Shift+E), mute_action (Ctrl+Shift+M, checkable), filter_action (Ctrl+F).
    """

    def __init__(self, window: QMainWindow, store: Any):
        super().__init__(window)
        self.window, self.store = window, store
        self.alert_list = window.alert_list
        self.filter_bar = AlertFilterBar()
        panel = self.alert_list.parentWidget()
        if panel is not None and panel.layout() is not None:
            panel.layout().insertWidget(panel.layout().indexOf(self.alert_list), self.filter_bar)
        self.filter_bar.filter_changed.connect(self.apply_filter)
        self.sound = AlertSound(store, self)
        self.indicator = QLabel()
        self.indicator.setObjectName("escalationIndicator")
        self.indicator.setToolTip(self.tr("Escalated alerts not yet acknowledged; click to show them"))
        self.indicator.mousePressEvent = lambda _e: self.show_escalated()
        window.statusBar().addPermanentWidget(self.indicator)

        self.assign_action = self._action(self.tr("Assign…"), "Ctrl+Shift+A",
                                          self.tr("Hand the selected alerts to a department or unit"),
                                          self.assign_selected)
        self.escalate_action = self._action(self.tr("Escalate"), "Ctrl+Shift+E",
                                            self.tr("Escalate the selected alerts to the next level"),
                                            self.escalate_selected)
        self.mute_action = self._action(self.tr("Mute alert sound"), "Ctrl+Shift+M",
                                        self.tr("Switch the sound for new red and orange alerts off or on"),
                                        lambda: self.sound.set_muted(self.mute_action.isChecked()))
        self.mute_action.setCheckable(True)
        self.mute_action.setChecked(self.sound.muted)
        self.filter_action = self._action(self.tr("Filter alerts"), "Ctrl+F",
                                          self.tr("Type to filter the alert list"), self.focus_filter)
        toolbar = getattr(window, "toolbar", None)
        if toolbar is not None:
            toolbar.addActions([self.assign_action, self.escalate_action, self.mute_action])
        for menu_action in window.menuBar().actions():
            if menu_action.menu() is not None and menu_action.text().replace("&", "") == self.tr("Alerts"):
                menu_action.menu().addActions([self.assign_action, self.escalate_action, self.mute_action,
                                               self.filter_action])
                break
        self._throttle = FrameThrottle(self.refresh, frame_ms=250, parent=self)
        self._signals = [(store.alert_changed, self._throttle.request), (store.reset, self._throttle.request),
                         (store.session_changed, self._throttle.request)]
        for signal, slot in self._signals:
            signal.connect(slot)
        self.alert_list.selection_changed.connect(self._update_actions)
        window.installEventFilter(self)
        self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def _action(self, text: str, shortcut: str, tip: str, slot) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})")
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)
        return action

    # ---- intents ---------------------------------------------------------------------------------
    def targets(self) -> list[str]:
        """Departments (known ones, those in plans and tasks) then units, for the assign dialog."""
        names = list(DEPARTMENTS)
        for entity in ("plans", "tasks"):
            for record in self.store.records(entity).values():
                for dept in _departments(record):
                    if dept not in names:
                        names.append(dept)
        names += [u.name for u in self.store.units() if u.name not in names]
        return names

    def assign_selected(self, to: str | None = None) -> list[str]:
        """Ask the hub to assign the selected alerts to ``to`` (asked for in a dialog when None)."""
        alerts = self.alert_list.selected_alerts()
        if not alerts or not self.store.can("alert.assign"):
            return []
        if to is None:
            dialog = AssignDialog(alerts, self.targets(), self.window)
            if not dialog.exec() or not dialog.value():
                return []
            to = dialog.value()
        for alert in alerts:
            self.store.request("alert.assign", {"id": alert.id, "to": to})
        return [a.id for a in alerts]

    def escalate_selected(self, reason: str | None = None) -> list[str]:
        alerts = [a for a in self.alert_list.selected_alerts() if a.status == "active"]
        if not alerts or not self.store.can("alert.escalate"):
            return []
        if reason is None:
            dialog = EscalateDialog(len(alerts), self.window)
            if not dialog.exec():
                return []
            reason = dialog.reason.text().strip()
        for alert in alerts:
            self.store.request("alert.escalate", {"id": alert.id, **({"reason": reason} if reason else {})})
        return [a.id for a in alerts]

    # ---- view --------------------------------------------------------------------------------------
    @Slot(object)
    def apply_filter(self, value: AlertFilter) -> None:
        self.alert_list.alert_model.set_predicate(None if value.is_empty() else value.matches)

    def focus_filter(self) -> None:
        self.filter_bar.search.setFocus()
        self.filter_bar.search.selectAll()

    def show_escalated(self) -> None:
        self.filter_bar.set_filter(AlertFilter(status="escalated"))

    def escalated_unacked(self) -> list[Any]:
        return [a for a in self.store.alerts() if a.escalated and not a.acked and a.status == "active"]

    @Slot()
    def refresh(self, *_args: Any) -> None:
        townships = sorted({a.township for a in self.store.alerts() if a.township})
        if townships != [self.filter_bar.township_box.itemData(i) for i in range(1, self.filter_bar.township_box.count())]:
            self.filter_bar.set_townships((t, township_name(t)) for t in townships)
        escalated = self.escalated_unacked()
        if escalated:
            top = max(a.escalation_level for a in escalated)
            self.indicator.setText("⇧ " + self.tr("%1 escalated (level %2)").replace("%1", str(len(escalated)))
                                   .replace("%2", str(max(1, top))))
            self.indicator.setStyleSheet("background: #c0392b; color: white; padding: 2px 10px; font-weight: bold;")
        else:
            self.indicator.setText(self.tr("No escalations"))
            self.indicator.setStyleSheet("color: #9aa7b4; padding: 2px 10px;")
        self._update_actions()

    @Slot()
    def _update_actions(self, *_args: Any) -> None:
        selected = self.alert_list.selected_alerts()
        self.assign_action.setEnabled(self.store.can("alert.assign") and bool(selected))
        self.escalate_action.setEnabled(self.store.can("alert.escalate")
                                        and any(a.status == "active" for a in selected))

    def shutdown(self) -> None:
        disconnect_all(self._signals)
        self._signals = []
        self.sound.shutdown()


def _departments(record: Any) -> list[str]:
    if not isinstance(record, dict):
        return []
    out = [record["department"]] if isinstance(record.get("department"), str) and record["department"] else []
    for task in record.get("tasks") or []:
        if isinstance(task, dict) and isinstance(task.get("department"), str) and task["department"]:
            out.append(task["department"])
    return out


def install_console(window: QMainWindow, store: Any) -> None:
    """Plug alert handling into the duty console (app/features.py)."""
    window.alert_handling = AlertHandling(window, store)
