"""Dialogs of the incident desk: new incident (phone report or manual entry), new task, plan choice."""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (QComboBox, QDateTimeEdit, QSpinBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPlainTextEdit, QWidget)

from app.console_window import CATEGORIES

CYCLES = ("micro", "small", "big")
DEFAULT_DUE_MIN = 30


def routed_cycle(grade: int) -> str:
    """The cycle the backend routes to when none is given: grade Ⅰ/Ⅱ → big, Ⅲ → small, Ⅳ → micro."""
    return "big" if grade <= 2 else "small" if grade == 3 else "micro"


def _buttons(dialog: QDialog) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class NewIncidentDialog(QDialog):
    """A phone report or a manual entry: title, class, grade, cycle (routed by grade unless chosen),
    township, department, and for a phone report the caller and number."""

    def __init__(self, departments: list[str], parent: QWidget | None = None, source: str = "phone"):
        super().__init__(parent)
        self.setWindowTitle(self.tr("New incident"))
        self.source = QComboBox()
        self.source.addItem(self.tr("Phone report"), "phone")
        self.source.addItem(self.tr("Manual entry"), "manual")
        self.source.setCurrentIndex(max(0, self.source.findData(source)))
        self.title = QLineEdit()
        self.title.setPlaceholderText(self.tr("What happened, where"))
        self.category = QComboBox()
        labels = (self.tr("Natural disaster"), self.tr("Accident"), self.tr("Public health"),
                  self.tr("Social security"))
        for value, label in zip(CATEGORIES, labels):
            self.category.addItem(f"{label} ({value})" if label != value else label, value)
        self.grade = QComboBox()
        for grade, label in ((1, self.tr("Grade Ⅰ (especially serious)")), (2, self.tr("Grade Ⅱ (serious)")),
                             (3, self.tr("Grade Ⅲ (major)")), (4, self.tr("Grade Ⅳ (general)"))):
            self.grade.addItem(label, grade)
        self.grade.setCurrentIndex(3)
        self.cycle = QComboBox()
        self.cycle.addItem(self.tr("Routed by grade"), "")
        for value, label in zip(CYCLES, (self.tr("Micro cycle (one department)"),
                                         self.tr("Small cycle (several departments)"),
                                         self.tr("Big cycle (centre-led, cross-level)"))):
            self.cycle.addItem(label, value)
        self.routed = QLabel()
        self.grade.currentIndexChanged.connect(self._show_route)
        self.township = QLineEdit()
        self.department = QComboBox()
        self.department.setEditable(True)
        self.department.addItem("")
        self.department.addItems(departments)
        self.reporter = QLineEdit()
        self.phone = QLineEdit()
        self.phone.setInputMask("")
        self.phone.setPlaceholderText("138…")
        form = QFormLayout(self)
        form.addRow(self.tr("Source"), self.source)
        form.addRow(self.tr("Title"), self.title)
        form.addRow(self.tr("Category"), self.category)
        form.addRow(self.tr("Grade"), self.grade)
        form.addRow(self.tr("Cycle"), self.cycle)
        form.addRow("", self.routed)
        form.addRow(self.tr("Township"), self.township)
        form.addRow(self.tr("Lead department"), self.department)
        form.addRow(self.tr("Caller"), self.reporter)
        form.addRow(self.tr("Phone number"), self.phone)
        self.buttons = _buttons(self)
        form.addRow(self.buttons)
        self.title.textChanged.connect(self._validate)
        self._show_route()
        self._validate()

    def _show_route(self) -> None:
        names = {"micro": self.tr("micro cycle"), "small": self.tr("small cycle"), "big": self.tr("big cycle")}
        self.routed.setText(self.tr("By grade this goes to the %1").replace("%1", names[routed_cycle(self.grade_value())]))

    def _validate(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.title.text().strip()))

    def grade_value(self) -> int:
        return int(self.grade.currentData())

    def args(self) -> dict[str, Any]:
        """The incident.create arguments (empty optional fields left out)."""
        out: dict[str, Any] = {"title": self.title.text().strip(), "category": self.category.currentData(),
                               "grade": self.grade_value(), "source": self.source.currentData()}
        for name, value in (("cycle", self.cycle.currentData()), ("township", self.township.text().strip()),
                            ("department", self.department.currentText().strip()),
                            ("reporter", self.reporter.text().strip()), ("phone", self.phone.text().strip())):
            if value:
                out[name] = value
        return out


class TaskDialog(QDialog):
    """A task for a department (and optionally a unit) with a due time."""

    def __init__(self, incident: Any, departments: list[str], units: list[tuple[str, str]],
                 parent: QWidget | None = None, now: float | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("New task"))
        self.department = QComboBox()
        self.department.setEditable(True)
        self.department.addItems(departments)
        if getattr(incident, "department", ""):
            self.department.setCurrentText(incident.department)
        self.title = QLineEdit()
        self.title.setPlaceholderText(self.tr("What is to be done"))
        self.unit = QComboBox()
        self.unit.addItem(self.tr("(no unit)"), "")
        for unit_id, name in units:
            self.unit.addItem(name, unit_id)
        self.due = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int((now or time.time()) + DEFAULT_DUE_MIN * 60)))
        self.due.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.due.setCalendarPopup(True)
        form = QFormLayout(self)
        form.addRow(self.tr("Incident"), QLabel(getattr(incident, "title", "")))
        form.addRow(self.tr("Department"), self.department)
        form.addRow(self.tr("Task"), self.title)
        form.addRow(self.tr("Unit"), self.unit)
        form.addRow(self.tr("Due"), self.due)
        self.buttons = _buttons(self)
        form.addRow(self.buttons)
        self.incident_id = getattr(incident, "id", "")

    def args(self) -> dict[str, Any]:
        out: dict[str, Any] = {"incident": self.incident_id, "department": self.department.currentText().strip(),
                               "title": self.title.text().strip(), "due": float(self.due.dateTime().toSecsSinceEpoch())}
        if self.unit.currentData():
            out["unit"] = self.unit.currentData()
        return out


def plan_title(plan: dict) -> str:
    return str(plan.get("title") or plan.get("name") or plan.get("id", ""))


def plan_fits(plan: dict, incident: Any) -> bool:
    """A plan matches by category and (when it names grades) by grade."""
    category = plan.get("category")
    grades = plan.get("grades") or ([plan["grade"]] if isinstance(plan.get("grade"), int) else [])
    return (not category or category == incident.category) and (not grades or incident.grade in grades)


class PlanDialog(QDialog):
    """Pick a plan (预案) to activate; the ones fitting the incident's category and grade come first."""

    def __init__(self, incident: Any, plans: list[dict], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Activate plan"))
        self.list = QListWidget()
        ordered = sorted(plans, key=lambda p: (not plan_fits(p, incident), plan_title(p)))
        for plan in ordered:
            tasks = plan.get("tasks") or []
            fits = plan_fits(plan, incident)
            text = ("★ " if fits else "    ") + plan_title(plan) + "  " + \
                self.tr("(%1 tasks)").replace("%1", str(len(tasks)))
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, plan.get("id"))
            item.setToolTip("\n".join(f"{t.get('department', '')}: {t.get('title', '')}" for t in tasks
                                      if isinstance(t, dict)))
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.list.currentItemChanged.connect(lambda item, _old: self.detail.setPlainText(item.toolTip() if item else ""))
        if self.list.currentItem():
            self.detail.setPlainText(self.list.currentItem().toolTip())
        self.list.itemActivated.connect(lambda _item: self.accept())
        form = QFormLayout(self)
        form.addRow(self.tr("Incident"), QLabel(getattr(incident, "title", "")))
        form.addRow(self.tr("Plans"), self.list)
        form.addRow(self.tr("Tasks"), self.detail)
        form.addRow(_buttons(self))

    def plan_id(self) -> str:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else ""


class EvaluateDialog(QDialog):
    """The 综合评价 of a closed incident: a score 1–5 and a comment."""

    def __init__(self, incident: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Evaluate incident"))
        self.score = QSpinBox()
        self.score.setRange(1, 5)
        self.score.setValue(4)
        self.score.setSuffix(" / 5")
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText(self.tr("How was it handled? (optional)"))
        form = QFormLayout(self)
        form.addRow(self.tr("Incident"), QLabel(getattr(incident, "title", "")))
        form.addRow(self.tr("Score"), self.score)
        form.addRow(self.tr("Comment"), self.comment)
        form.addRow(_buttons(self))

    def args(self) -> dict[str, Any]:
        comment = self.comment.toPlainText().strip()
        return {"score": self.score.value(), **({"comment": comment} if comment else {})}
