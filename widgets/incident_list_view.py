"""The incident list: open incidents, most serious grade first, with the grade in its colour."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QHeaderView, QWidget

from backend_client.models import Incident
from widgets.alert_list_view import RecordTableModel, StoreTableView, format_time
from widgets.colours import GRADE_COLOURS, grade_colour, grade_name, text_on
from widgets.stage_bar import stage_name as loop_stage_name

CLOSED_STAGES = ("closed", "archived", "close", "evaluate")  # "close" 核查结案 / "evaluate" 综合评价: the loop is done
_GRADE_TEXT_COLOUR = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


class IncidentTableModel(RecordTableModel):
    """Columns: grade, time, title, category, stage. Closed incidents are left out."""

    COL_GRADE, COL_TIME, COL_TITLE, COL_CATEGORY, COL_STAGE = range(5)
    COLUMNS = 5

    def __init__(self, store: Any, parent: QObject | None = None):
        self._store = store
        super().__init__(self._open, _signals(store, store.incident_changed), parent)

    def _open(self) -> list[Incident]:
        return [i for i in self._store.incidents() if i.stage not in CLOSED_STAGES]

    def header_texts(self) -> list[str]:
        return [self.tr("Grade"), self.tr("Time"), self.tr("Incident"), self.tr("Category"), self.tr("Stage")]

    def stage_name(self, stage: str) -> str:
        """The loop's stage names (the desk's board says the same), "Intake" before it, and the names of
        stages older records may carry."""
        names = {"intake": self.tr("Intake"), "verify": self.tr("Verifying"), "response": self.tr("Responding"),
                 "recovery": self.tr("Recovery"), "closed": self.tr("Closed")}
        return names.get(stage) or loop_stage_name(stage)

    def cell(self, incident: Incident, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.COL_GRADE:
                return grade_name(incident.grade)
            if column == self.COL_TIME:
                return format_time(incident.created)
            if column == self.COL_TITLE:
                return incident.title
            if column == self.COL_CATEGORY:
                return incident.category
            if column == self.COL_STAGE:
                return self.stage_name(incident.stage)
        elif role == Qt.ItemDataRole.BackgroundRole and column == self.COL_GRADE and incident.grade in GRADE_COLOURS:
            return grade_colour(incident.grade)
        elif role == Qt.ItemDataRole.ForegroundRole and column == self.COL_GRADE:
            return text_on(_GRADE_TEXT_COLOUR.get(incident.grade, ""))
        elif role == Qt.ItemDataRole.TextAlignmentRole and column in (self.COL_GRADE, self.COL_TIME):
            return int(Qt.AlignmentFlag.AlignCenter)
        elif role == Qt.ItemDataRole.ToolTipRole:
            return f"{incident.title}\n{incident.id} · {incident.category} · {self.stage_name(incident.stage)}"
        elif role == Qt.ItemDataRole.UserRole:
            return incident.id
        return None


class IncidentListView(StoreTableView):
    """The open incidents of a ClientStore."""

    def __init__(self, store: Any, parent: QWidget | None = None, compact: bool = False):
        super().__init__(parent)
        self.store = store
        self.incident_model = IncidentTableModel(store, self)
        self.setModel(self.incident_model)
        self.setItemDelegateForColumn(IncidentTableModel.COL_GRADE, self.swatch_delegate)
        self.setSelectionMode(StoreTableView.SelectionMode.SingleSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(IncidentTableModel.COL_TITLE, QHeaderView.ResizeMode.Stretch)
        if compact:  # on the wall and the leader's screen: grade, time, title only
            self.setColumnHidden(IncidentTableModel.COL_CATEGORY, True)
            self.setColumnHidden(IncidentTableModel.COL_STAGE, True)
        else:  # a narrow console panel: the category, then the stage give way to 8 characters of the title
            # (both are in the title's tooltip, and in the incident desk)
            self.keep_legible(IncidentTableModel.COL_TITLE, 8,
                              (IncidentTableModel.COL_CATEGORY, IncidentTableModel.COL_STAGE))
        self.fit_rows()

    def current_incident(self) -> Incident | None:
        index = self.currentIndex()
        return self.incident_model.record(index.row()) if index.isValid() else None

    def changeEvent(self, event):  # noqa: N802
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self.fit_rows()

    def shutdown(self) -> None:
        self.incident_model.disconnect_store()


def _signals(store: Any, changed: Any) -> list:
    """The record's own change signal, reset, and deletions (entity_removed, when the store has it)."""
    removed = getattr(store, "entity_removed", None)
    return [changed, store.reset] + ([removed] if removed is not None else [])
