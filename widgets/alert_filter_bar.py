"""A filter bar for the alert list: warning colour toggles, handling status, township and free text."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QToolButton, QWidget

from widgets.colours import WARNING_COLOURS, WARNING_ORDER, text_on, warning_name

STATUSES = ("all", "unacked", "acked", "escalated", "unassigned", "assigned")


@dataclass(frozen=True)
class AlertFilter:
    """What the operator wants to see. Empty ``colours`` or "" fields mean "no restriction".

    Attributes:
        colours: warning colours shown (red, orange, yellow, blue).  status: one of STATUSES.
        township: township code.  text: words that must all appear in title, event, id, township or assignee.
    """

    colours: frozenset = field(default_factory=frozenset)
    status: str = "all"
    township: str = ""
    text: str = ""

    def is_empty(self) -> bool:
        return not self.colours and self.status == "all" and not self.township and not self.text.strip()

    def matches(self, alert: Any) -> bool:
        if self.colours and alert.colour not in self.colours:
            return False
        if self.township and alert.township != self.township:
            return False
        status = self.status
        if status == "unacked" and alert.acked or status == "acked" and not alert.acked:
            return False
        if status == "escalated" and not getattr(alert, "escalated", False):
            return False
        assigned = bool(getattr(alert, "assigned_to", ""))
        if status == "assigned" and not assigned or status == "unassigned" and assigned:
            return False
        words = self.text.lower().split()
        if words:
            hay = " ".join(str(v) for v in (alert.title, alert.event, alert.id, alert.township,
                                            getattr(alert, "assigned_to", ""))).lower()
            if not all(w in hay for w in words):
                return False
        return True


class AlertFilterBar(QWidget):
    """Colour toggles, a status box, a township box and a search field; emits the AlertFilter on change.

    Attributes:
        colour_buttons: {colour: checkable QToolButton}.  status_box, township_box: QComboBox.  search: QLineEdit.
    Signals:
        filter_changed(AlertFilter): the operator changed the filter.
    """

    filter_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._filter = AlertFilter()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.colour_buttons: dict[str, QToolButton] = {}
        for colour in WARNING_ORDER:
            button = QToolButton()
            button.setText(warning_name(colour))
            button.setCheckable(True)
            button.setToolTip(self.tr("Show only the checked warning colours (none checked: all)"))
            button.setStyleSheet(
                f"QToolButton {{ border: 2px solid {WARNING_COLOURS[colour]}; padding: 2px 8px; }}"
                f"QToolButton:checked {{ background: {WARNING_COLOURS[colour]}; color: {text_on(colour).name()}; }}")
            button.toggled.connect(self._changed)
            self.colour_buttons[colour] = button
            lay.addWidget(button)
        self.status_box = QComboBox()
        labels = {"all": self.tr("All"), "unacked": self.tr("Unacknowledged"), "acked": self.tr("Acknowledged"),
                  "escalated": self.tr("Escalated"), "unassigned": self.tr("Not assigned"),
                  "assigned": self.tr("Assigned")}
        for status in STATUSES:
            self.status_box.addItem(labels[status], status)
        self.status_box.setToolTip(self.tr("Handling status"))
        self.status_box.currentIndexChanged.connect(self._changed)
        self.township_box = QComboBox()
        self.township_box.addItem(self.tr("All townships"), "")
        self.township_box.setToolTip(self.tr("Township"))
        self.township_box.currentIndexChanged.connect(self._changed)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search alerts…"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._changed)
        lay.addWidget(self.status_box)
        lay.addWidget(self.township_box)
        lay.addWidget(self.search, 1)

    @property
    def filter(self) -> AlertFilter:
        return self._filter

    def set_townships(self, codes: Iterable[tuple[str, str]]) -> None:
        """(code, label) pairs for the township box; the current choice is kept if still offered."""
        current = self.township_box.currentData()
        self.township_box.blockSignals(True)
        self.township_box.clear()
        self.township_box.addItem(self.tr("All townships"), "")
        for code, label in codes:
            self.township_box.addItem(label or code, code)
        index = self.township_box.findData(current)
        self.township_box.setCurrentIndex(max(0, index))
        self.township_box.blockSignals(False)
        if index < 0 and current:
            self._changed()

    def set_filter(self, value: AlertFilter) -> None:
        """Show ``value`` in the controls (emits filter_changed once)."""
        for w in (*self.colour_buttons.values(), self.status_box, self.township_box, self.search):
            w.blockSignals(True)
        for colour, button in self.colour_buttons.items():
            button.setChecked(colour in value.colours)
        self.status_box.setCurrentIndex(max(0, self.status_box.findData(value.status)))
        self.township_box.setCurrentIndex(max(0, self.township_box.findData(value.township)))
        self.search.setText(value.text)
        for w in (*self.colour_buttons.values(), self.status_box, self.township_box, self.search):
            w.blockSignals(False)
        self._changed()

    def clear(self) -> None:
        self.set_filter(AlertFilter())

    @Slot()
    def _changed(self, *_args: Any) -> None:
        self._filter = replace(
            self._filter,
            colours=frozenset(c for c, b in self.colour_buttons.items() if b.isChecked()),
            status=self.status_box.currentData() or "all",
            township=self.township_box.currentData() or "",
            text=self.search.text())
        self.filter_changed.emit(self._filter)

    def keyPressEvent(self, event):  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Escape and not self._filter.is_empty():
            self.clear()
            return
        super().keyPressEvent(event)
