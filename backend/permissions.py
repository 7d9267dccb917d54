"""The authorisation matrix: which role may run which action, as the security policy says it should be.

The backend registers each action with its roles where the action is implemented
(``core.register_action``); this table is the reviewed policy they are checked against by
tests/security/test_role_matrix.py, which runs every registered action as every role over a real hub.
An action missing here fails that test: add it with the roles it needs (deny by default).
Rules: the auditor alone reads or exports the audit log and commands nothing else; leaders watch and
decide but do not operate devices; no action switches auditing off (none may be registered).
"""
from __future__ import annotations

from backend_client.models import ROLES

DUTY = frozenset({"duty_officer", "admin"})
WALL = frozenset({"wall_operator", "duty_officer", "admin"})
AUDITOR = frozenset({"auditor"})
REVIEW = DUTY | {"leader"}  # leaders review and decide; they do not operate
# Roles that may be handed a camera's own rtsp:// URL, which carries its credentials (relay direct RTSP, audited).
DIRECT_RTSP_ROLES = frozenset({"admin", "wall_operator"})

EXPECTED: dict[str, frozenset[str]] = {
    "alert.ack": DUTY,
    "alert.assign": DUTY,
    "alert.escalate": DUTY,
    "incident.create": DUTY,
    "incident.advance": DUTY,
    "incident.evaluate": DUTY,
    "incident.review": REVIEW,
    "evaluation.report": REVIEW,
    "plan.activate": DUTY,
    "task.create": DUTY,
    "task.update": DUTY,
    "task.supervise": DUTY,
    "wall.take": WALL,
    "wall.set_cell": WALL,
    "wall.pause_tours": WALL,
    "wall.screen": WALL,  # a wall client says its screen size (the miniatures draw its shape)
    "ptz.move": WALL,
    "ptz.stop": WALL,
    "ptz.zoom": WALL,
    "ptz.preset": WALL,
    "dispatch.call": DUTY,
    "dispatch.hangup": DUTY,
    "dispatch.ptt": DUTY,
    "dispatch.patch": DUTY,
    "dispatch.broadcast": DUTY,
    "dispatch.group.create": DUTY,
    "notice.send": DUTY,
    "room.scene": frozenset({"duty_officer", "admin", "leader"}),  # the room panel is the leader's own
    "consultation.start": frozenset({"duty_officer", "admin", "leader"}),
    "consultation.end": frozenset({"duty_officer", "admin", "leader"}),
    "decision.record": frozenset({"duty_officer", "admin", "leader"}),
    "minutes.append": frozenset({"duty_officer", "admin", "leader"}),
    "conference.create": frozenset({"duty_officer", "admin", "leader"}),  # the leader chairs
    "conference.end": frozenset({"duty_officer", "admin", "leader"}),
    "conference.invite": frozenset({"duty_officer", "admin", "leader"}),
    "conference.mute": frozenset({"duty_officer", "admin", "leader"}),
    "conference.kick": frozenset({"duty_officer", "admin", "leader"}),
    "conference.lock": frozenset({"duty_officer", "admin", "leader"}),
    "conference.hand": frozenset({"duty_officer", "admin", "leader"}),
    "conference.floor": frozenset({"duty_officer", "admin", "leader"}),
    "conference.layout": frozenset({"duty_officer", "admin", "leader"}),
    "conference.rollcall": frozenset({"duty_officer", "admin", "leader"}),
    "conference.video_out": frozenset({"duty_officer", "admin", "leader"}),
    "conference.video_in": frozenset({"duty_officer", "admin", "leader"}),
    "conference.record": frozenset({"duty_officer", "admin", "leader"}),
    "conference.cascade": frozenset({"duty_officer", "admin", "leader"}),
    "federation.escalate": DUTY, "federation.assign": DUTY, "federation.accept": DUTY,
    "federation.add_centre": frozenset({"admin"}),
    "audit.read": AUDITOR,
    "audit.export": AUDITOR,
}

# No role may ever be given these (auditing cannot be switched off, the log cannot be edited).
FORBIDDEN_ACTIONS = ("audit.disable", "audit.off", "audit.delete", "audit.clear", "audit.edit", "audit.purge")

assert all(roles <= set(ROLES) for roles in EXPECTED.values())
