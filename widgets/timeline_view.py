"""A timeline of what happened to an incident: time, kind, who, what; supervised (督办) items marked."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from widgets.alert_list_view import format_time

KIND_COLOURS = {"stage": "#1f6feb", "task": "#2ecc71", "alert": "#f28c1b", "wall": "#a371f7", "unit": "#58a6ff",
                "incident": "#e6edf3", "notice": "#d29922", "plan": "#db61a2", "supervise": "#e5322d",
                "call": "#3fb950", "decision": "#f0f6fc"}
SUPERVISED = "督办"  # shown as is: it is the term of art on Chinese consoles


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a timeline.

    Attributes:
        at: unix time.  kind: stage | task | alert | wall | unit | incident | notice | plan | supervise.
        who: actor.  text: what happened.  due: a task's due time (or None).
        overdue: past due and not done.  supervised: under supervision (督办).  key: the record it is about.
    """

    at: float
    kind: str
    who: str
    text: str
    due: float | None = None
    overdue: bool = False
    supervised: bool = False
    key: str = ""


def kind_name(kind: str) -> str:
    names = {"stage": QCoreApplication.translate("Timeline", "Stage"),
             "task": QCoreApplication.translate("Timeline", "Task"),
             "alert": QCoreApplication.translate("Timeline", "Alert"),
             "wall": QCoreApplication.translate("Timeline", "Wall"),
             "unit": QCoreApplication.translate("Timeline", "Unit"),
             "incident": QCoreApplication.translate("Timeline", "Incident"),
             "notice": QCoreApplication.translate("Timeline", "Notice"),
             "plan": QCoreApplication.translate("Timeline", "Plan"),
             "supervise": QCoreApplication.translate("Timeline", "Supervision"),
             "call": QCoreApplication.translate("Timeline", "Call"),
             "decision": QCoreApplication.translate("Timeline", "Decision")}
    return names.get(kind, kind)


class TimelineView(QTreeWidget):
    """Entries in time order. With ``set_position(n)`` only the first n are shown normally and the n-th is
    highlighted (the review player); later ones are dimmed (or hidden when ``hide_future``).

    Attributes:
        entries: the TimelineEntry list shown.  position: how many entries have "happened" (None: all).
    """

    COL_TIME, COL_KIND, COL_WHO, COL_TEXT, COL_DUE = range(5)

    def __init__(self, parent: QWidget | None = None, hide_future: bool = False):
        super().__init__(parent)
        self.entries: list[TimelineEntry] = []
        self.position: int | None = None
        self.hide_future = hide_future
        self.setColumnCount(5)
        self.setHeaderLabels([self.tr("Time"), self.tr("Kind"), self.tr("Who"), self.tr("What"), self.tr("Due")])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.header()
        header.setStretchLastSection(False)
        for col in (self.COL_TIME, self.COL_KIND, self.COL_WHO, self.COL_DUE):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.COL_TEXT, QHeaderView.ResizeMode.Stretch)

    def set_entries(self, entries: list[TimelineEntry]) -> None:
        self.entries = list(entries)
        self.clear()
        bold = QFont(self.font())
        bold.setBold(True)
        for entry in self.entries:
            due = format_time(entry.due) if entry.due else ""
            if entry.supervised:
                due = f"{due} {SUPERVISED}".strip()
            elif entry.overdue:
                due = f"{due} " + self.tr("overdue")
            item = QTreeWidgetItem([format_time(entry.at), kind_name(entry.kind), entry.who, entry.text, due])
            item.setForeground(self.COL_KIND, QBrush(QColor(KIND_COLOURS.get(entry.kind, "#e6edf3"))))
            if entry.overdue or entry.supervised:
                item.setForeground(self.COL_DUE, QBrush(QColor("#ff6b6b")))
                item.setFont(self.COL_DUE, bold)
            item.setToolTip(self.COL_TEXT, entry.text)
            self.addTopLevelItem(item)
        self._apply_position()

    def set_position(self, position: int | None) -> None:
        self.position = position
        self._apply_position()

    def _apply_position(self) -> None:
        shown = len(self.entries) if self.position is None else self.position
        dim = QBrush(QColor("#4a5560"))
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            future = i >= shown
            item.setHidden(future and self.hide_future)
            for col in (self.COL_TIME, self.COL_WHO, self.COL_TEXT):
                item.setForeground(col, dim if future else QBrush(QColor("#e6edf3")))
        if self.position is not None and 0 < shown <= self.topLevelItemCount():
            current = self.topLevelItem(shown - 1)
            self.setCurrentItem(current)
            self.scrollToItem(current, QAbstractItemView.ScrollHint.EnsureVisible)
        elif self.position == 0:
            self.clearSelection()

    def texts(self) -> list[str]:
        """The visible "what" texts in order (for tests and copying)."""
        return [self.topLevelItem(i).text(self.COL_TEXT) for i in range(self.topLevelItemCount())
                if not self.topLevelItem(i).isHidden()]
