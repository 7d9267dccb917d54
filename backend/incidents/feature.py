"""Backend feature (backend/features.py): early warning and the incident closed loop.

Registers alert.assign, alert.escalate, incident.advance, task.create/update/supervise, plan.activate,
incident.review, incident.evaluate, evaluation.report; publishes the plans; runs the sensor threshold and
correlation rules, automatic escalation, automatic supervision, and (with the demo city) the demo CAP feed.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from backend.alerting.correlation import MIN_SOURCES, WINDOW_S, Correlator
from backend.alerting.escalation import ESCALATE_AFTER_S, Escalator, alert_assign, alert_escalate
from backend.alerting.service import AlertingService
from backend.incidents import evaluation, loop, plans, review

log = logging.getLogger(__name__)

DUTY = {"duty_officer", "admin"}
READ = {"duty_officer", "admin", "leader"}  # leaders review and report, but do not run the loop


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("early warning and incident loop")
    g.add_argument("--escalate-after", type=float, default=ESCALATE_AFTER_S, metavar="SECONDS",
                   help="escalate an unacknowledged red alert after this long (default 120)")
    g.add_argument("--escalate-check", type=float, default=5.0, help=argparse.SUPPRESS)
    g.add_argument("--supervise-check", type=float, default=5.0, help=argparse.SUPPRESS)
    g.add_argument("--correlate-window", type=float, default=WINDOW_S, metavar="SECONDS",
                   help="warnings of one township within this window are correlated (default 600)")
    g.add_argument("--correlate-sources", type=int, default=MIN_SOURCES, metavar="N",
                   help="distinct sources that make a combined alert (default 2)")
    g.add_argument("--plans", type=Path, default=None, help="folder of plan files (default: resources/plans)")
    g.add_argument("--demo-cap-gap", type=float, default=45.0, help=argparse.SUPPRESS)


async def start(core, args: argparse.Namespace):
    task_ids = loop.TaskIds()

    async def create_task(core, user, a):
        return await loop.task_create(core, user, a, task_ids)

    async def activate(core, user, a):
        return await plans.plan_activate(core, user, a, task_ids)

    for action, roles, handler in (
        ("alert.assign", DUTY, alert_assign), ("alert.escalate", DUTY, alert_escalate),
        ("incident.advance", DUTY, loop.incident_advance), ("task.create", DUTY, create_task),
        ("task.update", DUTY, loop.task_update), ("task.supervise", DUTY, loop.task_supervise),
        ("plan.activate", DUTY, activate), ("incident.evaluate", DUTY, evaluation.incident_evaluate),
        ("incident.review", READ, review.incident_review), ("evaluation.report", READ, evaluation.evaluation_report),
    ):
        core.register_action(action, roles, handler)
    await plans.publish_plans(core, getattr(args, "plans", None) or plans.DEFAULT_PLANS_DIR)

    correlator = Correlator(window_s=args.correlate_window, min_sources=max(2, args.correlate_sources),
                            centre=core.centre)
    alerting = AlertingService(core, correlator=correlator)
    escalator = Escalator(core, after=args.escalate_after, interval=args.escalate_check)
    supervisor = loop.Supervisor(core, interval=args.supervise_check)
    alerting.start()
    escalator.start()
    supervisor.start()
    feed = None
    if not getattr(args, "no_demo", True):
        from backend.demo.cap_feed import CapFeed
        feed = CapFeed(core, mean_gap_s=args.demo_cap_gap, seed=getattr(args, "demo_seed", None))
        feed.start()
    log.info("incident loop: %d plans, escalation after %.0f s", len(core.all("plans")), args.escalate_after)

    async def stop() -> None:
        if feed is not None:
            await feed.stop()
        for part in (supervisor, escalator, alerting):
            await part.stop()

    return stop
