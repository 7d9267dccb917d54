"""A conference as the console and the leader see it: sites, mute state, hands, roll-call and the pushed layout.

``rows(record)`` and ``tile_names(record)`` are plain functions over the ``conferences`` record; the
ConferenceView renders them and emits the operator's intents (it does no I/O and changes no state).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QToolBar, QVBoxLayout,
    QWidget,
)

translate = QCoreApplication.translate  # lupdate reads translate("ConferenceView", "…")

MUTED, LIVE, HAND, SPEAKING = "#ff8c42", "#5fd35f", "#ffd84d", "#4db8ff"


@dataclass(frozen=True)
class ParticipantRow:
    id: str
    name: str
    audio_muted: bool
    video_muted: bool
    hand: int          # place in the speaker queue (1 = next), 0 = no hand up
    speaker: bool
    called: bool       # the roll-call is on this site now
    tile: int          # its tile in the pushed layout (1-based), 0 = not shown


def rows(record: dict[str, Any] | None) -> list[ParticipantRow]:
    if not record:
        return []
    parts = record.get("participants") or {}
    hands = list(record.get("hands") or [])
    tiles = list((record.get("layout") or {}).get("tiles") or [])
    call = record.get("rollcall") or {}
    order = [p for p in record.get("order") or [] if p in parts] + sorted(set(parts) - set(record.get("order") or []))
    return [ParticipantRow(p, str(parts[p].get("name") or p), bool(parts[p].get("audio_muted")),
                           bool(parts[p].get("video_muted")), hands.index(p) + 1 if p in hands else 0,
                           record.get("speaker") == p, bool(call.get("active")) and call.get("current") == p,
                           tiles.index(p) + 1 if p in tiles else 0) for p in order]


def tile_names(record: dict[str, Any] | None) -> list[str]:
    if not record:
        return []
    parts = record.get("participants") or {}
    return [str((parts.get(p) or {}).get("name") or p) if p else "" for p in
            (record.get("layout") or {}).get("tiles") or []]


def summary(record: dict[str, Any] | None) -> str:
    if not record:
        return translate("ConferenceView", "No conference open")
    lay = record.get("layout") or {}
    modes = {"fixed": translate("ConferenceView", "fixed"), "rotating": translate("ConferenceView", "rotating"),
             "speaker": translate("ConferenceView", "speaker-following")}
    parts = [translate("ConferenceView", "{title} · {n} sites").format(
        title=record.get("title") or record.get("id", ""), n=len(record.get("participants") or {})),
        translate("ConferenceView", "{split}-split, {mode}").format(split=lay.get("split", 4),
                                                                   mode=modes.get(lay.get("mode"), lay.get("mode")))]
    if record.get("locked"):
        parts.append(translate("ConferenceView", "locked"))
    if record.get("state") == "ended":
        parts.append(translate("ConferenceView", "ended"))
    elif not (record.get("janus") or {}).get("ok", True):
        parts.append(translate("ConferenceView", "conference server down"))
    return " · ".join(parts)


def rollcall_text(record: dict[str, Any] | None) -> str:
    call = (record or {}).get("rollcall") or {}
    if not call.get("active"):
        return translate("ConferenceView", "Roll-call off")
    name = ((record or {}).get("participants") or {}).get(call.get("current"), {}).get("name", call.get("current"))
    return translate("ConferenceView", "Roll-call: {site} ({dwell:g} s each)").format(site=name or "—",
                                                                                    dwell=call.get("dwell", 0))


class LayoutPreview(QWidget):
    """The pushed layout as a grid of named tiles (what every screen shows)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._names: list[str] = []
        self.setMinimumSize(240, 150)

    def set_names(self, names: list[str]) -> None:
        if names != self._names:
            self._names = list(names)
            self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#11161c"))
        n = len(self._names)
        if not n:
            p.setPen(QColor("#9aa4ad"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, translate("ConferenceView", "No layout"))
            return
        side = max(1, round(n ** 0.5))
        w, h = self.width() / side, self.height() / side
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, min(16.0, h / 6)))
        p.setFont(font)
        for i, name in enumerate(self._names):
            r = QRectF((i % side) * w + 2, (i // side) * h + 2, w - 4, h - 4)
            p.fillRect(r, QColor("#1f2a36" if name else "#161c22"))
            p.setPen(QPen(QColor("#3a4a5c"), 1))
            p.drawRect(r)
            p.setPen(QColor("#e8edf2" if name else "#5d6873"))
            p.drawText(r.adjusted(6, font.pointSizeF() * 1.6, -6, -4),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       name or translate("ConferenceView", "empty"))
            p.setPen(QColor("#9aa4ad"))
            p.drawText(r.adjusted(6, 4, -6, -4), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, str(i + 1))


class ConferenceView(QWidget):
    """Renders one conference record.

    Attributes:
        toolbar, layout_bar: where the panel puts its moderation and layout actions.
        table: one row per site.  preview: the layout.
    Signals:
        participant_activated(str): a site's row was double-clicked (the panel gives it the floor).
    """

    participant_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._record: dict | None = None
        self.title = QLabel()
        self.title.setObjectName("conferenceTitle")
        font = self.title.font()
        if font.pixelSize() > 0:  # the app's font is set in pixels (app/theme.py): its point size is -1
            font.setPixelSize(round(font.pixelSize() * 1.25))
        else:
            font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.toolbar = QToolBar()        # moderation
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.layout_bar = QToolBar()     # the pushed layout
        self.layout_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([
            translate("ConferenceView", "Site"), translate("ConferenceView", "Audio"),
            translate("ConferenceView", "Video"), translate("ConferenceView", "Hand"),
            translate("ConferenceView", "Tile")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(lambda r, _c: self._activated(r))
        self.rollcall = QLabel()
        self.preview = LayoutPreview()
        self.status = QLabel()
        self.status.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.toolbar)
        lay.addWidget(self.layout_bar)
        row = QHBoxLayout()
        row.addWidget(self.table, 3)
        right = QVBoxLayout()
        right.addWidget(self.preview, 1)
        right.addWidget(self.rollcall)
        row.addLayout(right, 2)
        lay.addLayout(row, 1)
        lay.addWidget(self.status)
        self.set_record(None)

    def record(self) -> dict | None:
        return self._record

    def set_record(self, record: dict | None) -> None:
        selected = self.selected_participant()
        self._record = record
        self.title.setText(summary(record))
        data = rows(record)
        self.table.setRowCount(len(data))
        for r, row in enumerate(data):
            name = row.name + ("  ◀ " + translate("ConferenceView", "speaking") if row.speaker else "") + \
                ("  ◎ " + translate("ConferenceView", "called") if row.called else "")
            cells = [(name, SPEAKING if row.speaker else None),
                     (translate("ConferenceView", "muted") if row.audio_muted else translate("ConferenceView", "on"),
                      MUTED if row.audio_muted else LIVE),
                     (translate("ConferenceView", "off") if row.video_muted else translate("ConferenceView", "on"),
                      MUTED if row.video_muted else LIVE),
                     (f"✋ {row.hand}" if row.hand else "", HAND if row.hand else None),
                     (str(row.tile) if row.tile else "", None)]
            for c, (text, colour) in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.id)
                if colour:
                    item.setForeground(QColor(colour))
                self.table.setItem(r, c, item)
            if row.id == selected:
                self.table.selectRow(r)
        self.preview.set_names(tile_names(record))
        self.rollcall.setText(rollcall_text(record))

    def selected_participant(self) -> str:
        items = self.table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else ""

    def select(self, participant: str) -> None:
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == participant:
                self.table.selectRow(r)
                return

    def _activated(self, r: int) -> None:
        item = self.table.item(r, 0)
        if item is not None:
            self.participant_activated.emit(str(item.data(Qt.ItemDataRole.UserRole)))
