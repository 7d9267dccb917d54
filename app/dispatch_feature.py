"""Dispatch feature for the console: the dispatch pad dock, one-key function keys, call actions, recall playback.

One-key slots: F6, F7, F8, F9, F10, F12 call the terminal or group assigned to them (right-click a pad key
to assign it; kept in QSettings "dispatch/slot<n>"; unassigned slots take the pad's first keys).
Ctrl+G group-calls the selection (Ctrl+click keys to select), Ctrl+Shift+B all-call, Ctrl+H hang up,
Ctrl+Alt+P patch, Ctrl+Alt+R recall the last calls.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QUrl
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu

from widgets.dispatch_pad import DispatchPad

log = logging.getLogger(__name__)
SLOT_KEYS = ("F6", "F7", "F8", "F9", "F10", "F12")



translate = QCoreApplication.translate  # lupdate reads translate("DispatchFeature", "…")


class RecallPlayer:
    """Plays recalled calls' recordings one after the other; calls without audio show their metadata only."""

    def __init__(self, window) -> None:
        self.window = window
        self.queue: list[tuple[str, str]] = []  # (path, caption)
        self.shown: list[str] = []
        self._player = None
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
            self._player, self._out = QMediaPlayer(window), QAudioOutput(window)
            self._player.setAudioOutput(self._out)
            self._player.mediaStatusChanged.connect(self._status)
        except Exception as exc:  # no multimedia backend: metadata only
            log.warning("recall: no audio playback (%s)", exc)

    def play(self, calls: list[dict]) -> None:
        from widgets.call_log_view import describe
        self.queue, self.shown = [], []
        for call in calls:
            caption = describe(call)
            self.shown.append(caption)
            audio = [p for p in (call.get("recording") or {}).get("audio", []) if p.endswith("-dec.wav")] \
                or (call.get("recording") or {}).get("audio", [])
            self.queue += [(p, caption) for p in audio[:1]]
        self._show(translate("DispatchFeature", "Recall: %1 calls, %2 with audio").replace("%1", str(len(calls)))
                   .replace("%2", str(len(self.queue))))
        self._next()

    def _show(self, text: str) -> None:
        bar = getattr(self.window, "statusBar", None)
        if callable(bar):
            bar().showMessage(text, 8000)

    def _next(self) -> None:
        if not self.queue or self._player is None:
            return
        path, caption = self.queue.pop(0)
        self._show(translate("DispatchFeature", "Replaying: %1").replace("%1", caption))
        self._player.setSource(QUrl.fromLocalFile(path))
        self._player.play()

    def _status(self, status) -> None:
        from PySide6.QtMultimedia import QMediaPlayer
        if status in (QMediaPlayer.MediaStatus.EndOfMedia, QMediaPlayer.MediaStatus.InvalidMedia):
            self._next()


def slot_targets(pad: DispatchPad, settings: QSettings) -> list[str]:
    """Key id per slot: the assigned one, else the pad's first keys not assigned elsewhere."""
    assigned = [settings.value(f"dispatch/slot{i + 1}", "", str) or "" for i in range(len(SLOT_KEYS))]
    spare = [k.id for k in pad.keys if k.id not in assigned]
    return [a or (spare.pop(0) if spare else "") for a in assigned]


def install_console(window, store) -> None:
    pad = DispatchPad(store)
    dock = QDockWidget(translate("DispatchFeature", "Dispatch"), window)
    dock.setObjectName("dispatchDock")
    dock.setWidget(pad)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.dispatch_pad = pad
    settings = QSettings()
    menu = window.menuBar().addMenu(translate("DispatchFeature", "&Dispatch"))
    actions = []

    def press_slot(i: int) -> None:
        targets = slot_targets(pad, settings)
        if targets[i]:
            pad.press(targets[i])

    for i, key in enumerate(SLOT_KEYS):
        act = QAction(translate("DispatchFeature", "One-key %1").replace("%1", str(i + 1)), window)
        act.setShortcut(QKeySequence(key))
        act.setToolTip(translate("DispatchFeature", "Call the terminal or group on %1 (right-click a pad key to assign)").replace("%1", key))
        act.triggered.connect(lambda _c=False, n=i: press_slot(n))
        actions.append(act)
    for text, keys, tip, slot in (
            (translate("DispatchFeature", "Group call"), "Ctrl+G", translate("DispatchFeature", "Make a temporary group of the selected terminals and call it"),
             pad.group_call),
            (translate("DispatchFeature", "All-call"), "Ctrl+Shift+B", translate("DispatchFeature", "Broadcast to every radio"), pad.all_call),
            (translate("DispatchFeature", "Hang up"), "Ctrl+H", translate("DispatchFeature", "End the selected call, or every call in progress"),
             lambda: pad.hangup(pad.call_log.selected_id())),
            (translate("DispatchFeature", "Patch"), "Ctrl+Alt+P", translate("DispatchFeature", "Patch the two chosen channels together"), pad.patch),
            (translate("DispatchFeature", "Recall"), "Ctrl+Alt+R", translate("DispatchFeature", "Replay the last calls"), pad.call_log.recall)):
        act = QAction(text, window)
        act.setShortcut(QKeySequence(keys))
        act.setToolTip(tip)
        act.triggered.connect(lambda _c=False, f=slot: f())
        actions.append(act)
    for act in actions:
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        menu.addAction(act)
        window.addAction(act)
    menu.addSeparator()
    menu.addAction(dock.toggleViewAction())
    window.dispatch_actions = actions

    def assign(key_id: str) -> None:
        m = QMenu(pad)
        for i, key in enumerate(SLOT_KEYS):
            a = m.addAction(translate("DispatchFeature", "Put on %1").replace("%1", key))
            a.triggered.connect(lambda _c=False, n=i: settings.setValue(f"dispatch/slot{n + 1}", key_id))
        from PySide6.QtGui import QCursor
        m.popup(QCursor.pos())

    pad.assign_requested.connect(assign)
    player = RecallPlayer(window)
    window.dispatch_recall = player
    pad.call_log.recall_requested.connect(player.play)
