"""Plain, Qt-free domain models shared by the backend's snapshot and the client store.

Every record on the wire is a JSON object; ``from_dict`` builds the frozen dataclass from it and
ignores keys it does not know (a newer backend may send more), ``to_dict`` gives it back.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar


class Colour(str, Enum):
    """The Chinese four warning colours, most severe first (GB/T 35965: I red … IV blue)."""

    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"

    @property
    def rank(self) -> int:
        return _COLOUR_RANK[self]

    @classmethod
    def from_cap_severity(cls, severity: str) -> "Colour | None":
        return _CAP_SEVERITY.get(severity)


_COLOUR_RANK = {Colour.RED: 0, Colour.ORANGE: 1, Colour.YELLOW: 2, Colour.BLUE: 3}
_CAP_SEVERITY = {
    "Extreme": Colour.RED,
    "Severe": Colour.ORANGE,
    "Moderate": Colour.YELLOW,
    "Minor": Colour.BLUE,
}

ROLES = ("duty_officer", "wall_operator", "leader", "admin", "auditor")


class _Record:
    """Mixin: build from / turn into the JSON object sent on the wire."""

    entity: ClassVar[str]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        kwargs = {k: v for k, v in data.items() if k in names}
        return cls(**kwargs)  # type: ignore[call-arg]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Alert(_Record):
    entity: ClassVar[str] = "alerts"
    id: str
    colour: str  # a Colour value
    title: str
    source: str = ""  # "cap", "sensor", "demo", "correlation", …
    event: str = ""  # CAP <event> or sensor kind, e.g. "暴雨", "water_level"
    township: str = ""  # township code, e.g. "330784001"
    lat: float | None = None
    lon: float | None = None
    created: float = 0.0  # unix time
    status: str = "active"  # active | cancelled | closed
    acked: bool = False
    acked_by: str = ""
    acked_at: float | None = None
    area: dict | None = None  # {"polygons": [[[lat, lon], …]], "circles": [[lat, lon, km]], "geocodes": […]}
    centre: str = ""  # owning centre id
    # alert handling (issue 4): alert.assign / alert.escalate
    assigned_to: str = ""  # department or unit
    escalated: bool = False
    escalation_level: int = 0
    escalated_at: float | None = None
    category: str = ""  # national incident class the warning leads to (自然灾害 …), "" if none
    owner: str = ""  # federation (issue 11): the centre that owns it when not this one; "" = this centre

    @property
    def colour_rank(self) -> int:
        try:
            return Colour(self.colour).rank
        except ValueError:
            return 9


@dataclass(frozen=True)
class Incident(_Record):
    entity: ClassVar[str] = "incidents"
    id: str
    title: str
    category: str = ""  # 自然灾害 | 事故灾难 | 公共卫生事件 | 社会安全事件
    grade: int = 4  # Ⅰ (1, most serious) … Ⅳ (4)
    stage: str = "intake"
    township: str = ""
    lat: float | None = None
    lon: float | None = None
    created: float = 0.0
    created_by: str = ""
    alert_id: str = ""
    centre: str = ""
    # the incident loop (issue 4): intake source, cycle, stage history, plan, evaluation
    source: str = ""  # alert | phone | manual
    cycle: str = ""  # micro | small | big
    department: str = ""
    reporter: str = ""
    phone: str = ""
    stages: list = field(default_factory=list)  # [{"stage", "at", "by", "note"}], oldest first
    plan: str = ""
    score: int | None = None
    comment: str = ""
    owner: str = ""  # federation (issue 11): the centre that owns it when not this one; "" = this centre


@dataclass(frozen=True)
class Unit(_Record):
    entity: ClassVar[str] = "units"
    id: str
    name: str
    kind: str = "team"  # team | vehicle | radio | drone
    lat: float = 0.0
    lon: float = 0.0
    heading: float = 0.0  # degrees clockwise from north
    speed: float = 0.0  # m/s
    status: str = "available"  # available | busy | offline
    township: str = ""
    updated: float = 0.0


@dataclass(frozen=True)
class Camera(_Record):
    """A camera as clients see it: never its source URL or credentials."""

    entity: ClassVar[str] = "cameras"
    id: str
    name: str
    lat: float | None = None
    lon: float | None = None
    township: str = ""
    has_sub: bool = False
    ptz: bool = False
    # health, published by the relay through the backend
    state: str = "idle"  # idle | connecting | live | lost
    bitrate_kbps: float = 0.0
    fps: float = 0.0
    keyframe_age: float | None = None
    viewers: int = 0
    reconnects: int = 0
    codec: str = ""
    multicast_url: str = ""  # udp://@GROUP:PORT of its relay multicast group ("" without one)
    sub_multicast_url: str = ""


@dataclass(frozen=True)
class Sensor(_Record):
    entity: ClassVar[str] = "sensors"
    id: str
    name: str
    kind: str  # water_level | pm25 | gas | …
    unit: str = ""
    value: float | None = None
    level: str = ""  # "" (normal) or a Colour value
    lat: float | None = None
    lon: float | None = None
    township: str = ""
    updated: float = 0.0


@dataclass(frozen=True)
class WallState(_Record):
    """What a logical wall shows; the wall windows obey this record."""

    entity: ClassVar[str] = "walls"
    id: str  # "main"
    layout: str  # layout (scene) name, the file stem in layouts/
    cells: dict = field(default_factory=dict)  # per-cell overrides {"3": {"kind": "camera", "camera": "cam-05"}}
    updated_by: str = ""
    updated: float = 0.0
    tours_paused: bool = False  # the wall's tours hold on their current camera
    screen: list = field(default_factory=list)  # [width, height] in pixels, as its wall client last said


@dataclass(frozen=True)
class Task(_Record):
    """A task of the incident loop (task.create / plan.activate), to a department and optionally a unit."""

    entity: ClassVar[str] = "tasks"
    id: str
    incident: str
    department: str
    title: str
    due: float  # unix time
    unit: str = ""
    status: str = "assigned"  # assigned | accepted | in_progress | done | rejected
    created: float = 0.0
    created_by: str = ""
    supervised: bool = False  # 督办: by a person (task.supervise) or by the system when overdue
    supervised_at: float | None = None
    supervisions: int = 0
    plan: str = ""
    history: list = field(default_factory=list)  # [{"status", "at", "by", "note"}]; status "supervise" too


@dataclass(frozen=True)
class Plan(_Record):
    """A plan (预案) from resources/plans/*.json: tasks to create, whom to notify, the wall scene to show."""

    entity: ClassVar[str] = "plans"
    id: str
    name: str
    category: str
    grades: list = field(default_factory=list)  # incident grades 1-4 it is for
    events: list = field(default_factory=list)
    scene: str = ""  # layout name in layouts/
    tasks: list = field(default_factory=list)  # [{"department", "title", "due_min", "unit"}]
    notify: list = field(default_factory=list)  # departments or unit ids
    description: str = ""


# Task and Plan are not in ENTITY_MODELS on purpose: the client store keeps tasks, plans and notices as dicts.
ENTITY_MODELS: dict[str, type] = {
    m.entity: m for m in (Alert, Incident, Unit, Camera, Sensor, WallState)
}
