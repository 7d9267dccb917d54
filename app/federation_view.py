"""The federation dock of the console: the tree of centres with link state, lag, last contact and backlog,
every centre's incidents and alerts filtered by centre, and the two cross-centre actions: escalate an
incident to the city, assign a task to a sub-centre."""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDockWidget, QFormLayout, QInputDialog,
                               QLineEdit, QMainWindow, QMessageBox, QTabWidget, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from widgets.alert_list_view import format_time
from widgets.connections import disconnect_all

translate = QCoreApplication.translate
LINK_COLOURS = {"up": "#3ddc84", "down": "#ff5c5c", "self": "#8ab4f8"}


def level_name(level: str) -> str:
    return {"city": translate("Federation", "city centre"), "department": translate("Federation", "department"),
            "township": translate("Federation", "township")}.get(level, level)


REFUSALS = ("Authorization", "authentication", "certificate", "handshake")


def link_name(link: str, detail: str = "") -> str:
    if link == "down" and any(word in detail for word in REFUSALS):
        return translate("Federation", "link refused (certificate or password)")
    return {"up": translate("Federation", "connected"), "down": translate("Federation", "link down"),
            "self": translate("Federation", "this centre")}.get(link, link)


def centre_rows(records: dict[str, Any]) -> list[tuple[dict, list[dict]]]:
    """[(centre, [its sub-centres])] — roots are centres without a known parent; sorted by level, name."""
    centres = [r for r in records.values() if isinstance(r, dict) and r.get("id")]
    ids = {r["id"] for r in centres}
    order = {"city": 0, "department": 1, "township": 2}
    key = (lambda r: (order.get(r.get("level"), 3), str(r.get("name") or r["id"])))
    roots = sorted((r for r in centres if r.get("parent") not in ids), key=key)
    return [(root, sorted((r for r in centres if r.get("parent") == root["id"]), key=key)) for root in roots]


def lag_text(record: dict) -> str:
    lag = record.get("lag_s")
    if record.get("link") == "self" or lag is None:
        return ""
    return f"{lag * 1000:.0f} ms" if lag < 1 else f"{lag:.1f} s"


class CentreTree(QTreeWidget):
    """The centres with their links; refreshed from the store's ``centres`` entity (and every 5 s, for the
    age of last contact)."""

    COLUMNS = 5

    def __init__(self, store: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self._store = store
        self.setColumnCount(self.COLUMNS)
        self.setHeaderLabels([translate("Federation", "Centre"), translate("Federation", "Link"),
                              translate("Federation", "Lag"), translate("Federation", "Last contact"),
                              translate("Federation", "Pending")])
        self.setRootIsDecorated(True)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        font = self.font()
        if font.pixelSize() > 0:  # the app's font is set in pixels (app/theme.py): its point size is -1
            font.setPixelSize(max(font.pixelSize(), 15))
        else:
            font.setPointSizeF(max(font.pointSizeF(), 11.0))
        self.setFont(font)
        self._signals = [(store.entity_changed, self._on_entity), (store.reset, self.refresh)]
        for signal, slot in self._signals:
            signal.connect(slot)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(5000)
        self.refresh()

    def _on_entity(self, entity: str, _key: str) -> None:
        if entity == "centres":
            self.refresh()

    def refresh(self) -> None:
        self.clear()
        for root, children in centre_rows(self._store.records("centres")):
            item = self._item(root)
            self.addTopLevelItem(item)
            for child in children:
                item.addChild(self._item(child))
            item.setExpanded(True)
        for col in range(self.COLUMNS):
            self.resizeColumnToContents(col)

    def _item(self, r: dict) -> QTreeWidgetItem:
        last = r.get("last_contact")
        stale = r.get("link") == "down" and last
        item = QTreeWidgetItem([
            f"{r.get('name') or r['id']}  ·  {level_name(str(r.get('level', '')))}",
            link_name(str(r.get("link", "")), str(r.get("detail") or "")), lag_text(r),
            (format_time(last) + (f" ({int(time.time() - last)} s)" if stale else "")) if last else "—",
            str(r.get("pending") or 0)])
        item.setData(0, Qt.ItemDataRole.UserRole, r["id"])
        colour = LINK_COLOURS.get(str(r.get("link")))
        if colour:
            item.setForeground(1, QBrush(QColor(colour)))
        if r.get("pending"):
            item.setForeground(4, QBrush(QColor("#ffb74d")))
        item.setToolTip(0, r["id"])
        if r.get("detail"):
            item.setToolTip(1, str(r["detail"]))  # the broker's words (refused certificate, password…)
        return item

    def closeEvent(self, event) -> None:  # noqa: N802
        disconnect_all(self._signals)
        super().closeEvent(event)


def record_owner(record: Any, local: str) -> str:
    owner = getattr(record, "owner", None) if not isinstance(record, dict) else record.get("owner")
    return owner or local


def by_centre(store: Any, centre: str, local: str) -> list[tuple[str, Any]]:
    """[(entity, record)] of incidents then alerts owned by ``centre`` ("" = every centre), newest first."""
    out = []
    for entity in ("incidents", "alerts"):
        rows = [r for r in store.records(entity).values() if not centre or record_owner(r, local) == centre]
        rows.sort(key=lambda r: -float(getattr(r, "created", 0) or 0))
        out += [(entity, r) for r in rows]
    return out


class CentreRecords(QWidget):
    """Every centre's incidents and alerts held here (the city's aggregate view), filtered by centre."""

    def __init__(self, store: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self._store = store
        self.filter = QComboBox(self)
        self.filter.setToolTip(translate("Federation", "Show the records of one centre"))
        self.list = QTreeWidget(self)
        self.list.setHeaderLabels([translate("Federation", "Kind"), translate("Federation", "Owner"), "ID",
                                   translate("Federation", "Title")])  # the title last: it takes the width
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.filter)
        lay.addWidget(self.list)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.setInterval(200)
        self._throttle.timeout.connect(self.refresh)
        self._signals = [(store.entity_changed, self._on_entity), (store.reset, self._throttle.start)]
        for signal, slot in self._signals:
            signal.connect(slot)
        self.refresh()

    def _on_entity(self, entity: str, _key: str) -> None:
        if entity in ("centres", "incidents", "alerts"):
            self._throttle.start()

    def set_centre(self, centre: str) -> None:
        index = self.filter.findData(centre)
        if index >= 0:
            self.filter.setCurrentIndex(index)

    def refresh(self) -> None:
        local = getattr(self._store, "centre", "") or ""
        names = {r["id"]: str(r.get("name") or r["id"]) for r in self._store.records("centres").values()
                 if isinstance(r, dict) and r.get("id")}
        wanted = self.filter.currentData() or ""
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.addItem(translate("Federation", "All centres"), "")
        for cid, name in sorted(names.items(), key=lambda kv: kv[1]):
            self.filter.addItem(name, cid)
        self.filter.setCurrentIndex(max(0, self.filter.findData(wanted)))
        self.filter.blockSignals(False)
        self.list.clear()
        kinds = {"incidents": translate("Federation", "Incident"), "alerts": translate("Federation", "Alert")}
        for entity, r in by_centre(self._store, wanted, local)[:500]:
            owner = record_owner(r, local)
            item = QTreeWidgetItem([kinds[entity], names.get(owner, owner), str(getattr(r, "id", "")),
                                    str(getattr(r, "title", ""))])
            self.list.addTopLevelItem(item)
        for col in (0, 1, 2):
            self.list.resizeColumnToContents(col)

    def closeEvent(self, event) -> None:  # noqa: N802
        disconnect_all(self._signals)
        super().closeEvent(event)


class AssignDialog(QDialog):
    """Centre + title (+ the selected incident) for federation.assign."""

    def __init__(self, centres: list[dict], incident: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(translate("Federation", "Assign task to centre"))
        self.centre = QComboBox(self)
        for c in centres:
            self.centre.addItem(f"{c.get('name') or c['id']} ({c['id']})", c["id"])
        self.title = QLineEdit(self)
        self.title.setPlaceholderText(translate("Federation", "What the centre is to do"))
        self.incident = QLineEdit(incident, self)
        form = QFormLayout()
        form.addRow(translate("Federation", "Centre"), self.centre)
        form.addRow(translate("Federation", "Task"), self.title)
        form.addRow(translate("Federation", "Incident"), self.incident)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def args(self) -> dict:
        out = {"centre": self.centre.currentData(), "title": self.title.text().strip()}
        if self.incident.text().strip():
            out["incident"] = self.incident.text().strip()
        return out


class FederationPanel(QWidget):
    """The dock's content: the tree, the records by centre and the actions (escalate Ctrl+Alt+E, assign
    Ctrl+Alt+T, accept Ctrl+Alt+A)."""

    def __init__(self, store: Any, window: QMainWindow | None = None):
        super().__init__()
        self._store, self._window = store, window
        self.tree = CentreTree(store, self)
        self.records = CentreRecords(store, self)
        self.tree.itemActivated.connect(lambda item, _col: self._show_centre(item))
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.tree, translate("Federation", "Links"))
        self.tabs.addTab(self.records, translate("Federation", "By centre"))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.tabs)
        self.escalate_action = self._action(translate("Federation", "Escalate to city…"), "Ctrl+Alt+E",
                                            translate("Federation", "Hand the selected incident over to the city "
                                                                    "centre (it becomes the owner)"), self.escalate)
        self.assign_action = self._action(translate("Federation", "Assign task to centre…"), "Ctrl+Alt+T",
                                          translate("Federation", "Send a task to a sub-centre, which accepts it"),
                                          self.assign)
        self.accept_action = self._action(translate("Federation", "Accept task from city…"), "Ctrl+Alt+A",
                                          translate("Federation", "Take over a task the city assigned to this "
                                                                  "centre; its progress then reports back"),
                                          self.accept_task)

    def _show_centre(self, item: QTreeWidgetItem) -> None:
        self.records.set_centre(str(item.data(0, Qt.ItemDataRole.UserRole)))
        self.tabs.setCurrentWidget(self.records)

    def _action(self, text: str, shortcut: str, tip: str, slot) -> QAction:
        a = QAction(text, self)
        a.setShortcut(QKeySequence(shortcut))
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.setToolTip(f"{tip} ({shortcut})")
        a.setStatusTip(tip)
        a.triggered.connect(lambda _checked=False: slot())
        self.addAction(a)
        return a

    def selected_incident(self) -> str:
        incident_list = getattr(self._window, "incident_list", None)
        if incident_list is not None:
            current = incident_list.selectionModel().currentIndex()
            if current.isValid():
                return str(incident_list.incident_model.record(current.row()).id)
        return ""

    def own_incidents(self) -> list[str]:
        """Open incidents (the backend refuses, with the owner's name, one this centre does not own)."""
        return sorted(k for k, r in self._store.records("incidents").items()
                      if getattr(r, "stage", "") not in ("close", "evaluate"))

    def escalate(self) -> None:
        incident = self.selected_incident()
        if not incident:
            items = self.own_incidents()
            if not items:
                QMessageBox.information(self, translate("Federation", "Escalate to city"),
                                        translate("Federation", "No incident of this centre to escalate."))
                return
            incident, ok = QInputDialog.getItem(self, translate("Federation", "Escalate to city"),
                                                translate("Federation", "Incident"), items, 0, False)
            if not ok:
                return
        note, ok = QInputDialog.getText(self, translate("Federation", "Escalate to city"),
                                        translate("Federation", "Why (for the city's duty officer)"))
        if ok:
            self._store.request("federation.escalate", {"id": incident, "note": note})

    def assign(self) -> None:
        centres = [r for r in self._store.records("centres").values()
                   if isinstance(r, dict) and r.get("link") != "self"]
        if not centres:
            QMessageBox.information(self, translate("Federation", "Assign task to centre"),
                                    translate("Federation", "No sub-centre is known yet."))
            return
        dialog = AssignDialog(centres, self.selected_incident(), self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.args()["title"]:
            self._store.request("federation.assign", dialog.args())

    def offered_tasks(self) -> list[str]:
        me = getattr(self._store, "centre", "") or ""
        return sorted(k for k, r in self._store.records("tasks").items()
                      if isinstance(r, dict) and me and r.get("offer_to") == me)

    def accept_task(self) -> None:
        items = self.offered_tasks()
        if not items:
            QMessageBox.information(self, translate("Federation", "Accept task from city"),
                                    translate("Federation", "No task is waiting for this centre."))
            return
        labels = [f"{k}  {self._store.records('tasks')[k].get('title', '')}" for k in items]
        label, ok = QInputDialog.getItem(self, translate("Federation", "Accept task from city"),
                                         translate("Federation", "Task"), labels, 0, False)
        if ok:
            self._store.request("federation.accept", {"id": items[labels.index(label)]})


def install_console(window: QMainWindow, store: Any) -> FederationPanel | None:
    """A right dock "Centres" (Shift+F7 shows it; it fills once the backend publishes centres) and the two
    actions in a Federation menu."""
    panel = FederationPanel(store, window)
    dock = QDockWidget(translate("Federation", "Centres"), window)
    dock.setObjectName("federationDock")
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    show = dock.toggleViewAction()
    show.setShortcut(QKeySequence("Shift+F7"))
    show.setToolTip(translate("Federation", "Show or hide the centres (Shift+F7)"))
    menu = window.menuBar().addMenu(translate("Federation", "Fe&deration"))
    menu.addActions([show, panel.escalate_action, panel.assign_action, panel.accept_action])
    window.addActions([panel.escalate_action, panel.assign_action, panel.accept_action])
    window.federation_panel = panel
    return panel
