"""Review: replay an incident's timeline from the event log (``incident.review``) at 1×, 5× or 20×,
with pause and seek, showing what happened in order."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QElapsedTimer, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QHBoxLayout, QLabel, QMainWindow, QSlider, QToolButton,
                               QVBoxLayout, QWidget)

from widgets.alert_list_view import format_time
from widgets.colours import warning_name
from widgets.stage_bar import stage_name
from widgets.timeline_view import SUPERVISED, TimelineEntry, TimelineView

log = logging.getLogger(__name__)

SPEEDS = (1, 5, 20)
MAX_GAP_S = 30.0  # quiet stretches longer than this replay as this long, so 1× stays watchable
TICK_MS = 50



translate = QCoreApplication.translate  # lupdate reads translate("Review", "…")


def describe(event: dict, before: dict | None) -> TimelineEntry | None:
    """One event-log row → a timeline line, knowing the record's previous state (None: new)."""
    entity, data, key = event.get("entity"), event.get("data") or {}, str(event.get("key", ""))
    at, who = float(event.get("ts") or 0), str(event.get("actor") or "")
    if event.get("op") == "delete":
        return TimelineEntry(at, "incident", who, translate("Review", "%1 %2 removed").replace("%1", str(entity)).replace("%2", key), key=key)
    old = before or {}
    if entity == "incidents":
        if before is None:
            return TimelineEntry(at, "incident", who, translate("Review", "Incident opened: %1").replace("%1", str(data.get("title", ""))), key=key)
        if data.get("stage") != old.get("stage"):
            note = (data.get("stages") or [{}])[-1].get("note") if data.get("stages") else ""
            return TimelineEntry(at, "stage", who, stage_name(str(data.get("stage"))) + (f" — {note}" if note else ""), key=key)
        if data.get("plan") and data.get("plan") != old.get("plan"):
            return TimelineEntry(at, "plan", who, translate("Review", "Plan activated: %1").replace("%1", str(data["plan"])), key=key)
        if data.get("score") is not None and data.get("score") != old.get("score"):
            return TimelineEntry(at, "incident", who, translate("Review", "Evaluated: %1 / 5").replace("%1", str(data["score"])), key=key)
        return TimelineEntry(at, "incident", who, translate("Review", "Incident updated"), key=key)
    if entity == "alerts":
        title = f"{warning_name(str(data.get('colour', '')))} {data.get('title', '')}"
        if before is None:
            text = translate("Review", "Alert raised: %1").replace("%1", title)
        elif data.get("escalation_level", 0) > old.get("escalation_level", 0):
            text = translate("Review", "Alert escalated to level %1: %2").replace("%1", str(data.get("escalation_level"))).replace("%2", title)
        elif data.get("acked") and not old.get("acked"):
            text = translate("Review", "Alert acknowledged: %1").replace("%1", title)
        elif data.get("assigned_to") != old.get("assigned_to"):
            text = translate("Review", "Alert assigned to %1: %2").replace("%1", str(data.get("assigned_to"))).replace("%2", title)
        else:
            text = translate("Review", "Alert updated: %1").replace("%1", title)
        return TimelineEntry(at, "alert", who, text, key=key)
    if entity == "tasks":
        title = str(data.get("title", ""))
        if data.get("supervisions", 0) > old.get("supervisions", 0) or (data.get("supervised") and not old.get("supervised")):
            return TimelineEntry(at, "supervise", who, f"{SUPERVISED}: {title}", supervised=True, key=key)
        status = str(data.get("status", ""))
        if before is None:
            text = translate("Review", "Task for %1: %2").replace("%1", str(data.get("department", ""))).replace("%2", title)
        else:
            text = translate("Review", "Task %1: %2").replace("%1", status).replace("%2", title)
        return TimelineEntry(at, "task", who, text, due=data.get("due"), key=key)
    if entity == "walls":
        return TimelineEntry(at, "wall", who, translate("Review", "Wall shows %1").replace("%1", str(data.get("layout", ""))), key=key)
    if entity == "units":
        lat, lon = data.get("lat"), data.get("lon")
        where = f"{lat:.4f}, {lon:.4f}" if isinstance(lat, (int, float)) and isinstance(lon, (int, float)) else ""
        return TimelineEntry(at, "unit", who, f"{data.get('name', key)} {where} {data.get('status', '')}".strip(), key=key)
    if entity == "notices":
        return TimelineEntry(at, "notice", who, translate("Review", "Notified %1").replace("%1", str(data.get("to") or data.get("target") or key)), key=key)
    if entity == "calls":
        if before is not None and data.get("state") == old.get("state"):
            return None  # duration ticks: the call's start and end are what the review shows
        target = str(data.get("label") or ", ".join(data.get("terminals") or []) or data.get("unit") or key)
        return TimelineEntry(at, "call", who, translate("Review", "Call %1: %2").replace("%1", target)
                             .replace("%2", str(data.get("state", ""))), key=key)
    if entity == "decisions":
        by = str(data.get("by") or who)
        return TimelineEntry(at, "decision", who, translate("Review", "Decision by %1: %2").replace("%1", by)
                             .replace("%2", str(data.get("text", ""))), key=key)
    if entity == "recordings":
        site = str(data.get("participant") or key)
        if data.get("error"):
            text = translate("Review", "Recording of %1 not converted: %2").replace("%1", site).replace(
                "%2", str(data["error"])[:120])
        else:
            text = translate("Review", "Recording of %1 (%2 s): %3").replace("%1", site).replace(
                "%2", f"{float(data.get('duration_s') or 0):.0f}").replace("%3", str(data.get("path", "")))
        return TimelineEntry(at, "recording", who, text, key=key)
    return TimelineEntry(at, str(entity), who, key, key=key)


def review_entries(events: list[dict]) -> list[TimelineEntry]:
    """The review's events (seq order) as timeline lines, in the same order."""
    state: dict[tuple, dict] = {}
    out = []
    for event in sorted((e for e in events if isinstance(e, dict)), key=lambda e: e.get("seq", 0)):
        ident = (event.get("entity"), event.get("key"))
        entry = describe(event, state.get(ident))
        state[ident] = event.get("data") or {}
        if entry is not None:
            out.append(entry)
    return out


class ReplayClock:
    """Replay time over event times with long quiet gaps shortened to ``max_gap``. Plain Python.

    Attributes:
        offsets: replay second of each event (0 for the first).  t: the replay time now.
        speed: 1, 5, 20 ….  playing: advancing on ``advance``.
    """

    def __init__(self, times: list[float], max_gap: float = MAX_GAP_S):
        self.offsets: list[float] = []
        t = 0.0
        for i, at in enumerate(times):
            if i:
                t += min(max(0.0, at - times[i - 1]), max_gap)
            self.offsets.append(t)
        self.t = 0.0
        self.speed = 1
        self.playing = False

    @property
    def length(self) -> float:
        return self.offsets[-1] if self.offsets else 0.0

    def position(self) -> int:
        """How many events have happened by replay time t."""
        return sum(1 for o in self.offsets if o <= self.t) if self.offsets else 0

    def advance(self, real_seconds: float) -> int:
        if self.playing:
            self.t = min(self.length, self.t + real_seconds * self.speed)
            if self.t >= self.length:
                self.playing = False
        return self.position()

    def seek(self, position: int) -> None:
        """Jump so that exactly ``position`` events have happened (0: before the first)."""
        position = max(0, min(position, len(self.offsets)))
        self.t = self.offsets[position - 1] if position else -1e-9

    def finished(self) -> bool:
        return bool(self.offsets) and self.t >= self.length


class ReviewPlayer(QWidget):
    """Play / pause (Space), speed 1×/5×/20×, a seek slider, and the timeline revealing each event.

    Attributes:
        clock: ReplayClock.  entries: the TimelineEntry list.  timeline: TimelineView.  slider: QSlider.
        speed_box: QComboBox.  play_button: QToolButton.  now_label: what happened last.
    Signals:
        position_changed(int): how many events have been shown.
    """

    position_changed = Signal(int)

    def __init__(self, store: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.incident_id = ""
        self.entries: list[TimelineEntry] = []
        self.clock = ReplayClock([])
        self.timeline = TimelineView()
        self.now_label = QLabel(self.tr("Choose an incident to review"))
        self.now_label.setObjectName("panelTitle")
        self.now_label.setWordWrap(True)
        self.play_action = QAction(self.tr("Play"), self)
        self.play_action.setShortcut(QKeySequence("Space"))
        self.play_action.setToolTip(self.tr("Play or pause the replay (Space)"))
        self.play_action.triggered.connect(self.toggle)
        self.addAction(self.play_action)
        self.play_button = QToolButton()
        self.play_button.setDefaultAction(self.play_action)
        self.speed_box = QComboBox()
        for speed in SPEEDS:
            self.speed_box.addItem(f"{speed}×", speed)
        self.speed_box.setToolTip(self.tr("Replay speed"))
        self.speed_box.currentIndexChanged.connect(lambda _i: setattr(self.clock, "speed", self.speed_box.currentData()))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip(self.tr("Seek: drag to an event"))
        self.slider.valueChanged.connect(self._slider_moved)
        self.position_label = QLabel("0 / 0")
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.speed_box)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.position_label)
        lay = QVBoxLayout(self)
        lay.addWidget(self.now_label)
        lay.addLayout(controls)
        lay.addWidget(self.timeline, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._elapsed = QElapsedTimer()

    def set_speed(self, speed: int) -> None:
        self.speed_box.setCurrentIndex(max(0, self.speed_box.findData(speed)))

    async def load(self, incident_id: str) -> int:
        """Fetch the incident's review from the hub and show it from the start; returns the event count."""
        self.incident_id = incident_id
        self.now_label.setText(self.tr("Loading the review of %1…").replace("%1", incident_id))
        result = await self.store.command("incident.review", {"id": incident_id}, timeout=30.0)
        events = result.get("events") if isinstance(result, dict) else None
        self.set_events(events if isinstance(events, list) else [])
        return len(self.entries)

    def set_events(self, events: list[dict]) -> None:
        self.pause()
        self.entries = review_entries(events)
        self.clock = ReplayClock([e.at for e in self.entries])
        self.clock.speed = self.speed_box.currentData()
        self.timeline.set_entries(self.entries)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.entries))
        self.slider.blockSignals(False)
        self.seek(0)

    @Slot()
    def toggle(self) -> None:
        self.pause() if self.clock.playing else self.play()

    def play(self) -> None:
        if not self.entries:
            return
        if self.clock.finished():
            self.seek(0)
        self.clock.playing = True
        self.play_action.setText(self.tr("Pause"))
        self._elapsed.start()
        self._timer.start()

    def pause(self) -> None:
        self.clock.playing = False
        self.play_action.setText(self.tr("Play"))
        self._timer.stop()

    def seek(self, position: int) -> None:
        self.clock.seek(position)
        self._show(self.clock.position())

    @Slot(int)
    def _slider_moved(self, value: int) -> None:
        if value != self.clock.position():
            self.seek(value)

    @Slot()
    def _tick(self) -> None:
        dt = self._elapsed.restart() / 1000.0
        before = self.clock.position()
        now = self.clock.advance(dt)
        if now != before:
            self._show(now)
        if not self.clock.playing:
            self.pause()

    def _show(self, position: int) -> None:
        self.timeline.set_position(position)
        self.slider.blockSignals(True)
        self.slider.setValue(position)
        self.slider.blockSignals(False)
        self.position_label.setText(f"{position} / {len(self.entries)}")
        if position:
            e = self.entries[position - 1]
            self.now_label.setText(f"{format_time(e.at)}  {e.who}  {e.text}")
        elif self.entries:
            self.now_label.setText(self.tr("%1 events; press Play").replace("%1", str(len(self.entries))))
        else:
            self.now_label.setText(self.tr("No events for this incident"))
        self.position_changed.emit(position)


class ReviewDialog(QDialog):
    """A non-modal window around a ReviewPlayer."""

    def __init__(self, store: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Incident review"))
        self.player = ReviewPlayer(store, self)
        lay = QVBoxLayout(self)
        lay.addWidget(self.player)
        self.resize(1100, 700)

    def closeEvent(self, event):  # noqa: N802 - Qt API
        self.player.pause()
        super().closeEvent(event)


def _selected_incident(window: QMainWindow) -> str:
    desk = getattr(window, "incident_desk", None)
    if desk is not None and desk.current_id:
        return desk.current_id
    incident_list = getattr(window, "incident_list", None)
    incident = incident_list.current_incident() if incident_list is not None else None
    return incident.id if incident is not None else ""


def open_review(window: QMainWindow, store: Any, incident_id: str = "") -> ReviewDialog | None:
    """Open (or reuse) the review window for the selected incident and start loading it."""
    incident_id = incident_id or _selected_incident(window)
    if not incident_id or not store.can("incident.review"):
        window.statusBar().showMessage(QCoreApplication.translate("Review", "Select an incident to review"), 5000)
        return None
    dialog = getattr(window, "review_dialog", None)
    if dialog is None:
        dialog = window.review_dialog = ReviewDialog(store, window)
    dialog.show()
    dialog.raise_()

    async def load() -> None:
        try:
            await dialog.player.load(incident_id)
        except Exception as exc:  # refused / offline: the store reported it; say so in the window too
            dialog.player.now_label.setText(QCoreApplication.translate("Review", "Review failed: %1").replace("%1", str(exc)))
    try:
        asyncio.get_running_loop().create_task(load())
    except RuntimeError:
        log.warning("review: no running loop; cannot load %s", incident_id)
    return dialog


def _install(window: QMainWindow, store: Any) -> None:
    action = QAction(QCoreApplication.translate("Review", "Review incident…"), window)
    action.setShortcut(QKeySequence("Ctrl+Shift+R"))
    action.setToolTip(QCoreApplication.translate("Review", "Replay the selected incident's timeline (Ctrl+Shift+R)"))
    action.triggered.connect(lambda _checked=False: open_review(window, store))
    window.addAction(action)
    window.review_action = action
    menu = window.menuBar().addMenu(QCoreApplication.translate("Review", "&Review"))
    menu.addAction(action)


def install_console(window: QMainWindow, store: Any) -> None:
    _install(window, store)


def install_consultation(window: QMainWindow, store: Any) -> None:
    _install(window, store)
