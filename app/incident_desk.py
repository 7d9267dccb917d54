"""The incident desk: a board of open incidents by loop stage, and the selected incident's stages,
timeline and tasks, with the actions of the closed loop (new incident, advance, task, 督办, plan)."""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Slot
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QMainWindow, QMenu, QSplitter, QTabWidget, QToolButton, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from app.alert_handling import DEPARTMENTS
from app.incident_dialogs import EvaluateDialog, NewIncidentDialog, PlanDialog, TaskDialog, plan_title
from backend_client.townships import township_name
from widgets.alert_list_view import FrameThrottle, format_time
from widgets.colours import GRADE_COLOURS, grade_name
from widgets.connections import disconnect_all
from widgets.stage_bar import STAGES, StageBar, next_stage, stage_index, stage_name
from widgets.timeline_view import SUPERVISED, TimelineEntry, TimelineView

FINISHED_TASK = ("done", "rejected")


def task_overdue(task: dict, now: float) -> bool:
    due = task.get("due")
    return isinstance(due, (int, float)) and due < now and task.get("status") not in FINISHED_TASK


def incident_tasks(store: Any, incident_id: str) -> list[dict]:
    tasks = [t for t in store.records("tasks").values() if isinstance(t, dict) and t.get("incident") == incident_id]
    return sorted(tasks, key=lambda t: (t.get("due") or 0, t.get("id", "")))


def incident_linked(store: Any, incident_id: str) -> list[tuple[str, dict]]:
    """The incident's calls and decisions as (entity, record)."""
    return [(entity, r) for entity in ("calls", "decisions") for r in store.records(entity).values()
            if isinstance(r, dict) and r.get("incident") == incident_id]


def incident_timeline(incident: Any, tasks: list[dict], now: float, plan: str = "",
                      linked: list[tuple[str, dict]] = ()) -> list[TimelineEntry]:
    """Creation, every stage reached (who/when), every task with its due time and supervision, the calls
    and decisions (``linked``), in time order."""
    source = {"phone": translate("IncidentDesk", "phone report"), "manual": translate("IncidentDesk", "manual entry"), "alert": translate("IncidentDesk", "from an alert")}
    entries = [TimelineEntry(incident.created or 0.0, "incident", incident.created_by,
                             translate("IncidentDesk", "Incident opened") + (f" ({source[incident.source]})" if incident.source in source else "")
                             + f": {incident.title}", key=incident.id)]
    if incident.plan:
        plan = plan or incident.plan
        entries.append(TimelineEntry(incident.created or 0.0, "plan", "", translate("IncidentDesk", "Plan activated: %1").replace("%1", plan)))
    for s in incident.stages or []:
        if isinstance(s, dict):
            note = f" — {s['note']}" if s.get("note") else ""
            entries.append(TimelineEntry(float(s.get("at") or 0), "stage", str(s.get("by", "")),
                                         stage_name(str(s.get("stage", ""))) + note))
    for t in tasks:
        who = f"{t.get('department', '')}" + (f" / {t['unit']}" if t.get("unit") else "")
        entries.append(TimelineEntry(float(t.get("created") or 0), "task", who,
                                     f"{t.get('title', '')} [{task_status_name(str(t.get('status', '')))}]",
                                     due=t.get("due"), overdue=task_overdue(t, now),
                                     supervised=bool(t.get("supervised")), key=str(t.get("id", ""))))
        for h in t.get("history") or []:
            if isinstance(h, dict) and (h.get("action") == "supervise" or h.get("status") in ("supervise", "supervised")):
                entries.append(TimelineEntry(float(h.get("at") or 0), "supervise", str(h.get("by", "")),
                                             f"{SUPERVISED}: {t.get('title', '')}" + (f" — {h['note']}" if h.get("note") else ""),
                                             supervised=True, key=str(t.get("id", ""))))
    for entity, r in linked:
        if entity == "calls":
            target = str(r.get("label") or ", ".join(r.get("terminals") or []) or r.get("unit") or r.get("id", ""))
            entries.append(TimelineEntry(float(r.get("started") or 0), "call", str(r.get("by", "")),
                                         translate("IncidentDesk", "Call %1: %2").replace("%1", target).replace("%2", str(r.get("state", ""))),
                                         key=str(r.get("id", ""))))
        elif entity == "decisions":
            entries.append(TimelineEntry(float(r.get("at") or 0), "decision", str(r.get("by", "")),
                                         str(r.get("text", "")), key=str(r.get("id", ""))))
    return sorted(entries, key=lambda e: e.at)



translate = QCoreApplication.translate  # lupdate reads translate("IncidentDesk", "…")


TASK_STATUSES = ("accepted", "in_progress", "done", "rejected")


def task_status_name(status: str) -> str:
    names = {"assigned": translate("IncidentDesk", "assigned"), "accepted": translate("IncidentDesk", "accepted"), "in_progress": translate("IncidentDesk", "in progress"),
             "done": translate("IncidentDesk", "done"), "rejected": translate("IncidentDesk", "rejected")}
    return names.get(status, status)


class IncidentDesk(QWidget):
    """Board (a column per stage) + detail (stage bar, timeline, tasks) of the selected incident.

    Attributes:
        columns: {stage: QListWidget} of the board.  stage_bar, timeline, task_tree, note.
        current_id: the incident shown.  new_action (Ctrl+Shift+N), advance_action (Ctrl+Shift+S),
        task_action (Ctrl+Shift+T), supervise_action (Ctrl+Shift+U), plan_action (Ctrl+Shift+P).
    """

    def __init__(self, store: Any, parent: QWidget | None = None, clock=time.time):
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.current_id = ""
        board = QWidget()
        board_lay = QHBoxLayout(board)
        board_lay.setContentsMargins(0, 0, 0, 0)
        board_lay.setSpacing(3)
        self.columns: dict[str, QListWidget] = {}
        self.column_titles: dict[str, QLabel] = {}
        for stage in STAGES:
            col = QWidget()
            lay = QVBoxLayout(col)
            lay.setContentsMargins(0, 0, 0, 0)
            title = QLabel(stage_name(stage))
            title.setObjectName("panelTitle")
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lst = QListWidget()
            lst.setObjectName("incidentBoard")  # each incident a card of its own (dark.qss)
            lst.setWordWrap(True)
            lst.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # cards wrap to the column
            lst.currentItemChanged.connect(self._board_selected)
            lay.addWidget(title)
            lay.addWidget(lst, 1)
            self.columns[stage] = lst
            self.column_titles[stage] = title
            board_lay.addWidget(col)

        self.heading = QLabel(self.tr("No incident selected"))
        self.heading.setObjectName("panelTitle")
        self.heading.setWordWrap(True)
        self.stage_bar = StageBar()
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("Note for the next stage (optional)"))
        self.timeline = TimelineView()
        self.task_tree = QTreeWidget()
        self.task_tree.setRootIsDecorated(False)
        self.task_tree.setHeaderLabels([self.tr("Task"), self.tr("Department"), self.tr("Unit"), self.tr("Due"),
                                        self.tr("Status")])
        self.task_tree.currentItemChanged.connect(lambda *_: self._update_actions())
        # a department's feedback on its task (taken by phone or radio) is recorded from here
        self.task_tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.task_tree.customContextMenuRequested.connect(self._task_menu)
        tabs = QTabWidget()
        tabs.addTab(self.timeline, self.tr("Timeline"))
        tabs.addTab(self.task_tree, self.tr("Tasks"))
        self.tabs = tabs

        self._make_actions()
        buttons = QHBoxLayout()
        for action in (self.advance_action, self.task_action, self.supervise_action, self.plan_action, self.new_action):
            button = QToolButton()
            button.setDefaultAction(action)
            buttons.addWidget(button)
        buttons.addWidget(self.note, 1)
        detail = QWidget()
        detail_lay = QVBoxLayout(detail)
        detail_lay.setContentsMargins(4, 0, 0, 0)
        detail_lay.addWidget(self.heading)
        detail_lay.addWidget(self.stage_bar)
        detail_lay.addLayout(buttons)
        detail_lay.addWidget(tabs, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(board)
        split.addWidget(detail)
        split.setSizes([900, 900])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addWidget(split)

        self.stage_bar.stage_clicked.connect(self._stage_clicked)
        self._throttle = FrameThrottle(self.refresh, frame_ms=100, parent=self)
        self._signals = [(store.incident_changed, self._throttle.request), (store.reset, self._throttle.request),
                         (store.entity_changed, self._on_entity), (store.session_changed, self._throttle.request)]
        for signal, slot in self._signals:
            signal.connect(slot)
        self.refresh()

    def _make_actions(self) -> None:
        def action(text: str, shortcut: str, tip: str, slot) -> QAction:
            a = QAction(text, self)
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.setToolTip(f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})")
            a.setStatusTip(tip)
            a.triggered.connect(lambda _checked=False: slot())
            self.addAction(a)
            return a
        self.new_action = action(self.tr("New incident…"), "Ctrl+Shift+N",
                                 self.tr("Register a phone report or a manual entry"), self.new_incident)
        self.advance_action = action(self.tr("Advance stage"), "Ctrl+Shift+S",
                                     self.tr("Move the incident to the next stage of the loop"), self.advance)
        self.task_action = action(self.tr("New task…"), "Ctrl+Shift+T",
                                  self.tr("Give a department a task with a due time"), self.new_task)
        self.supervise_action = action(self.tr("Supervise (督办)"), "Ctrl+Shift+U",
                                       self.tr("Put the selected task under supervision"), self.supervise)
        self.plan_action = action(self.tr("Activate plan…"), "Ctrl+Shift+P",
                                  self.tr("Activate a plan: its tasks, notices and wall scene in one step"),
                                  self.activate_plan)

    # ---- reading ---------------------------------------------------------------------------------
    def current(self) -> Any:
        return self.store.get("incidents", self.current_id) if self.current_id else None

    def departments(self) -> list[str]:
        names = list(DEPARTMENTS)
        for plan in self.store.records("plans").values():
            for t in (plan.get("tasks") or []) if isinstance(plan, dict) else []:
                if isinstance(t, dict) and t.get("department") and t["department"] not in names:
                    names.append(t["department"])
        return names

    def plans(self) -> list[dict]:
        return [p for p in self.store.records("plans").values() if isinstance(p, dict)]

    # ---- intents ---------------------------------------------------------------------------------
    def new_incident(self, args: dict | None = None) -> dict | None:
        """Send incident.create for a phone report / manual entry (asked for in a dialog when ``args`` is None)."""
        if not self.store.can("incident.create"):
            return None
        if args is None:
            dialog = NewIncidentDialog(self.departments(), self)
            if not dialog.exec():
                return None
            args = dialog.args()
        self.store.request("incident.create", args)
        return args

    def advance(self, stage: str | None = None, evaluation: dict | None = None) -> dict | None:
        incident = self.current()
        if incident is None or not self.store.can("incident.advance"):
            return None
        stage = stage or next_stage(incident.stage)
        if not stage:
            return None
        args = {"id": incident.id, "stage": stage}
        if self.note.text().strip():
            args["note"] = self.note.text().strip()
        if stage == "evaluate":  # 综合评价 is given with its score: incident.evaluate moves the stage
            if evaluation is None:
                dialog = EvaluateDialog(incident, self)
                if not dialog.exec():
                    return None
                evaluation = dialog.args()
            args = {"id": incident.id, **evaluation}
            if self.note.text().strip() and "comment" not in args:
                args["comment"] = self.note.text().strip()
            self.store.request("incident.evaluate", args)
        else:
            self.store.request("incident.advance", args)
        self.note.clear()
        return args

    def new_task(self, args: dict | None = None) -> dict | None:
        incident = self.current()
        if incident is None or not self.store.can("task.create"):
            return None
        if args is None:
            dialog = TaskDialog(incident, self.departments(), [(u.id, u.name) for u in self.store.units()], self,
                                now=self.clock())
            if not dialog.exec() or not dialog.args()["title"] or not dialog.args()["department"]:
                return None
            args = dialog.args()
        self.store.request("task.create", {"incident": incident.id, **args})
        return args

    def current_task_id(self) -> str:
        item = self.task_tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item else ""

    def supervise(self, task_id: str | None = None) -> str:
        task_id = task_id or self.current_task_id()
        if not task_id or not self.store.can("task.supervise"):
            return ""
        self.store.request("task.supervise", {"id": task_id})
        return task_id

    def set_task_status(self, status: str, task_id: str | None = None) -> str:
        """Record a department's feedback on its task: accepted, in progress, done or rejected."""
        task_id = task_id or self.current_task_id()
        if not task_id or status not in TASK_STATUSES or not self.store.can("task.update"):
            return ""
        self.store.request("task.update", {"id": task_id, "status": status})
        return task_id

    def _task_menu(self, pos: Any) -> None:
        task_id = self.current_task_id()
        if not task_id:
            return
        menu = QMenu(self)
        for status in TASK_STATUSES:
            act = menu.addAction(task_status_name(status))
            act.setEnabled(self.store.can("task.update"))
            act.triggered.connect(lambda _c=False, st=status: self.set_task_status(st, task_id))
        menu.addSeparator()
        menu.addAction(self.supervise_action)
        menu.exec(self.task_tree.viewport().mapToGlobal(pos))

    def activate_plan(self, plan_id: str | None = None) -> str:
        incident = self.current()
        if incident is None or not self.store.can("plan.activate"):
            return ""
        if plan_id is None:
            dialog = PlanDialog(incident, self.plans(), self)
            if not dialog.exec() or not dialog.plan_id():
                return ""
            plan_id = dialog.plan_id()
        self.store.request("plan.activate", {"incident": incident.id, "plan": plan_id})
        return plan_id

    def select(self, incident_id: str) -> None:
        self.current_id = incident_id
        for lst in self.columns.values():
            for i in range(lst.count()):
                if lst.item(i).data(Qt.ItemDataRole.UserRole) == incident_id:
                    lst.blockSignals(True)
                    lst.setCurrentRow(i)
                    lst.blockSignals(False)
        self.show_detail()

    # ---- store → view --------------------------------------------------------------------------------
    @Slot(str, str)
    def _on_entity(self, entity: str, _key: str) -> None:
        if entity in ("tasks", "plans", "incidents", "calls", "decisions"):
            self._throttle.request()

    @Slot()
    def refresh(self, *_args: Any) -> None:
        by_stage: dict[str, list[Any]] = {s: [] for s in STAGES}
        for incident in self.store.incidents():
            by_stage[incident.stage if incident.stage in by_stage else STAGES[0]].append(incident)
        for stage, lst in self.columns.items():
            lst.blockSignals(True)
            lst.clear()
            for incident in by_stage[stage]:
                where = township_name(incident.township) or incident.department
                # an incident not yet in the loop (接报) waits in its first column, and its card says so, as the
                # incident list does
                own = "" if incident.stage == stage else f" · {stage_name(incident.stage)}"
                item = QListWidgetItem(f"{grade_name(incident.grade)}  {incident.title}\n"
                                       f"{format_time(incident.created)} · {where}{own}")
                item.setData(Qt.ItemDataRole.UserRole, incident.id)
                item.setForeground(QBrush(QColor(GRADE_COLOURS.get(incident.grade, "#e6edf3"))))
                item.setToolTip(f"{incident.id} · {incident.category} · {incident.cycle}")
                lst.addItem(item)
                if incident.id == self.current_id:
                    lst.setCurrentItem(item)
            lst.blockSignals(False)
            self.column_titles[stage].setText(f"{stage_name(stage)} ({len(by_stage[stage])})")
        self.show_detail()

    def show_detail(self) -> None:
        incident = self.current()
        if incident is None:
            self.heading.setText(self.tr("No incident selected"))
            self.stage_bar.set_stages("", [])
            self.timeline.set_entries([])
            self.task_tree.clear()
            self._update_actions()
            return
        cycles = {"micro": self.tr("micro cycle"), "small": self.tr("small cycle"), "big": self.tr("big cycle")}
        parts = [grade_name(incident.grade), incident.category, cycles.get(incident.cycle, incident.cycle)]
        if incident.plan:
            parts.append(self.tr("plan: %1").replace("%1", plan_title(self.store.get("plans", incident.plan) or {"id": incident.plan})))
        self.heading.setText(f"{incident.title}   " + " · ".join(p for p in parts if p))
        self.stage_bar.set_stages(incident.stage, incident.stages)
        now = self.clock()
        tasks = incident_tasks(self.store, incident.id)
        plan = plan_title(self.store.get("plans", incident.plan) or {"id": incident.plan}) if incident.plan else ""
        self.timeline.set_entries(incident_timeline(incident, tasks, now, plan, incident_linked(self.store, incident.id)))
        keep = self.current_task_id()
        self.task_tree.clear()
        for t in tasks:
            due = format_time(t.get("due"))
            if t.get("supervised"):
                due += f"  {SUPERVISED}"
            elif task_overdue(t, now):
                due += "  " + self.tr("overdue")
            item = QTreeWidgetItem([str(t.get("title", "")), str(t.get("department", "")), str(t.get("unit") or ""),
                                    due, task_status_name(str(t.get("status", "")))])
            item.setData(0, Qt.ItemDataRole.UserRole, t.get("id"))
            if t.get("supervised") or task_overdue(t, now):
                item.setForeground(3, QBrush(QColor("#ff6b6b")))
            self.task_tree.addTopLevelItem(item)
            if t.get("id") == keep:
                self.task_tree.setCurrentItem(item)
        self._update_actions()

    def _update_actions(self) -> None:
        incident = self.current()
        can = self.store.can
        self.new_action.setEnabled(can("incident.create"))
        self.advance_action.setEnabled(incident is not None and can("incident.advance")
                                       and bool(next_stage(incident.stage)))
        if incident is not None and next_stage(incident.stage):
            self.advance_action.setText(self.tr("Advance to %1").replace("%1", stage_name(next_stage(incident.stage))))
        else:
            self.advance_action.setText(self.tr("Advance stage"))
        self.task_action.setEnabled(incident is not None and can("task.create"))
        self.plan_action.setEnabled(incident is not None and can("plan.activate") and bool(self.plans()))
        self.supervise_action.setEnabled(bool(self.current_task_id()) and can("task.supervise"))

    @Slot(object, object)
    def _board_selected(self, item: QListWidgetItem | None, _old: Any) -> None:
        if item is not None:
            self.select(item.data(Qt.ItemDataRole.UserRole))

    @Slot(str)
    def _stage_clicked(self, stage: str) -> None:
        incident = self.current()
        if incident is not None and stage_index(stage) == stage_index(incident.stage) + 1:
            self.advance(stage)

    def shutdown(self) -> None:
        disconnect_all(self._signals)
        self._signals = []


class _CloseWatcher(QObject):
    def __init__(self, window: QMainWindow, desk: IncidentDesk):
        super().__init__(window)
        self.desk = desk
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Close:
            self.desk.shutdown()
        return False


def install_console(window: QMainWindow, store: Any) -> None:
    """A bottom dock "Incident desk" (F4 shows it), its actions in an Incidents menu, linked to the
    console's incident list."""
    desk = IncidentDesk(store)
    dock = QDockWidget(translate("IncidentDesk", "Incident desk"), window)
    dock.setObjectName("incidentDesk")
    dock.setWidget(desk)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    show = dock.toggleViewAction()
    show.setShortcut(QKeySequence("F4"))
    show.setToolTip(translate("IncidentDesk", "Show or hide the incident desk (F4)"))
    menu = window.menuBar().addMenu(translate("IncidentDesk", "&Incidents"))
    menu.addActions([show, desk.new_action, desk.advance_action, desk.task_action, desk.supervise_action,
                     desk.plan_action])
    window.addActions([desk.new_action, desk.advance_action, desk.task_action, desk.supervise_action,
                       desk.plan_action])
    incident_list = getattr(window, "incident_list", None)
    if incident_list is not None:
        incident_list.selectionModel().currentRowChanged.connect(
            lambda current, _prev: current.isValid() and desk.select(
                incident_list.incident_model.record(current.row()).id))
    window.incident_desk = desk
    window.incident_dock = dock
    _CloseWatcher(window, desk)
