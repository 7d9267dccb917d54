"""Dispatch feature (backend/features.py plug-in): directory, radio and SIP bridges, call log, notices, actions.

Options: ``--radio PORT`` (serial radio gateway), ``--sip-target HOST:PORT`` (where phone numbers are
dialled through baresip), ``--notice-gateway ws://…`` or ``--demo-notice-gateway``,
``--dispatch-allow-leaders`` (leaders may call and key radios too; default: duty officers and admins only).
Every call is a `calls` record carrying the incident id given, so it shows in that incident's timeline.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from backend.auth import User
from backend.core import CommandError, Core
from backend.dispatch import directory, groups
from backend.dispatch.calls import CallLog
from backend.dispatch.notices import DemoNoticeGateway, NoticeGatewayError, NoticeService
from backend.dispatch.radio import RadioCoordinator
from backend.dispatch.sip import SipBridge, SipError
from devices.radio_driver import GatewayError
from devices.radio_gw import ALL_CALL_ID, RadioCodecError
from devices.transport import TransportError

log = logging.getLogger(__name__)
DUTY = {"duty_officer", "admin"}
DEMO_RADIOS = [3307001 + i for i in range(12)]  # what backend/demo/radio_sim.py simulates by default


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("dispatch")
    g.add_argument("--radio", default=None, metavar="PORT", help="serial port of the radio gateway")
    g.add_argument("--radio-baud", type=int, default=115200)
    g.add_argument("--sip-target", default=None, metavar="HOST:PORT", help="SIP peer that phone numbers are dialled at")
    g.add_argument("--sip-ring-timeout", type=float, default=30.0)
    g.add_argument("--notice-gateway", default=None, metavar="URL", help="websocket URL of the notice gateway")
    g.add_argument("--demo-notice-gateway", action="store_true", help="run our demo notice gateway on 127.0.0.1")
    g.add_argument("--dispatch-demo-directory", action="store_true",
                   help="seed the demo terminal directory even with --no-demo")
    g.add_argument("--dispatch-allow-leaders", action="store_true", help="leaders may call and key radios")


class Dispatch:
    """The bridges and the call log behind the dispatch actions."""

    def __init__(self, core: Core, radio: RadioCoordinator | None, sip: SipBridge | None,
                 notices: NoticeService | None, calls: CallLog) -> None:
        self.core, self.radio, self.sip, self.notices, self.calls = core, radio, sip, notices, calls
        self.sip_call: str | None = None

    # -- helpers -----------------------------------------------------------------------------------
    def _incident(self, args: dict) -> str:
        inc = args.get("incident") or ""
        if not isinstance(inc, str) or inc and self.core.get("incidents", inc) is None:
            raise CommandError("not_found", f"incident {str(inc)[:64]!r} does not exist")
        return inc

    def _need_radio(self) -> RadioCoordinator:
        if self.radio is None:
            raise CommandError("unavailable", "no radio gateway is configured (--radio PORT)")
        return self.radio

    async def _radio(self, call_id: str | None, coro) -> None:
        """Run a gateway command; on failure mark the call failed and report the command failed."""
        try:
            await coro
        except (GatewayError, TransportError, RadioCodecError) as exc:
            if call_id is not None:
                if self.radio is not None and self.radio.current_call == call_id:
                    self.radio.current_call = None
                await self.calls.set_state(call_id, "busy" if getattr(exc, "reason", "") == "busy" else "failed",
                                           str(exc)[:200])
            raise CommandError("unavailable", str(exc)[:300]) from None

    async def _radio_call(self, user: User, kind: str, target: int, **log_fields) -> dict:
        radio = self._need_radio()
        for open_call in self.calls.open_calls("radio"):  # the gateway carries one call: end the last one
            if open_call["id"] == radio.current_call:
                await self._radio(None, radio.gateway.hangup())
                await self.calls.set_state(open_call["id"], "ended", "replaced by a new call")
        radio.current_call = None
        record = await self.calls.open(kind={"P": "individual", "G": "group", "A": "all"}[kind], via="radio",
                                       by=user.name, **log_fields)
        radio.current_call = record["id"]
        radio.current_target = (kind, ALL_CALL_ID if kind == "A" else target)
        await self._radio(record["id"], radio.gateway.call(kind, target))
        return {"call": record["id"], "via": "radio"}

    # -- actions -----------------------------------------------------------------------------------
    async def call(self, core: Core, user: User, args: dict) -> dict:
        incident = self._incident(args)
        if args.get("group"):
            g = groups.require(core, args["group"])
            if g.get("temporary") and self.radio is not None:
                ids = groups.radio_ids(core, g["members"])
                if ids:
                    await self._radio(None, self.radio.gateway.group_assign(g["radio_gid"], ids))
            return await self._radio_call(user, "G", g["radio_gid"], terminals=g["members"], group=g["id"],
                                          label=g["name"], incident_id=incident)
        unit = ""
        if args.get("unit"):
            unit = args["unit"]
            options = directory.terminals_of_unit(core, unit) if isinstance(unit, str) else []
            if not options:
                raise CommandError("not_found", f"unit {str(unit)[:64]!r} has no terminal that can be called")
            term = options[0]
        else:
            term = directory.require(core, args.get("terminal"))
        via = term.get("via")
        if via == "radio":
            return await self._radio_call(user, "P", int(term["address"]), terminals=[term["id"]], unit=unit,
                                          label=term["name"], incident_id=incident)
        if via == "sip":
            if self.sip is None:
                raise CommandError("unavailable", "no telephony bridge is configured (--sip-target HOST:PORT)")
            if self.sip.busy:
                raise CommandError("conflict", "a phone call is in progress; hang it up first")
            record = await self.calls.open(kind="individual", via="sip", terminals=[term["id"]], by=user.name,
                                           label=term["name"], incident_id=incident, unit=unit)
            self.sip_call = record["id"]
            try:
                await self.sip.dial(str(term["address"]))
            except SipError as exc:
                self.sip_call = None
                await self.calls.set_state(record["id"], "failed", str(exc))
                raise CommandError("bad_args" if exc.reason == "bad_number" else "unavailable", str(exc)) from None
            return {"call": record["id"], "via": "sip"}
        raise CommandError("unavailable", f"terminal {term['id']} ({term.get('kind')}) has no voice path")

    async def on_sip_state(self, state: str, detail: str, files: list[str]) -> None:
        call = self.sip_call
        if call is None:
            return
        if state in ("ended", "busy", "no_answer", "failed"):
            self.sip_call = None
        await self.calls.set_state(call, state, detail, audio=files, actor="sip")

    async def hangup(self, core: Core, user: User, args: dict) -> dict:
        call_id = args.get("call")
        open_calls = self.calls.open_calls()
        if call_id:
            open_calls = [c for c in open_calls if c["id"] == call_id]
            if not open_calls:
                raise CommandError("not_found", f"no call {str(call_id)[:64]!r} in progress")
        ended = []
        for c in open_calls:
            if c["via"] == "sip" and self.sip is not None:
                try:
                    await self.sip.hangup()
                except SipError as exc:
                    raise CommandError("unavailable", str(exc)) from None
            elif c["via"] == "radio" and self.radio is not None:
                if c["kind"] == "patch":
                    a, b = c["patch"]
                    await self._radio(None, self.radio.gateway.patch(a, b, False))
                elif c["kind"] == "ptt":
                    await self._radio(None, self.radio.gateway.ptt(False))
                else:
                    await self._radio(None, self.radio.gateway.hangup())
                if self.radio.current_call == c["id"]:
                    self.radio.current_call = None
                await self.calls.set_state(c["id"], "ended", f"hung up by {user.name}", actor=user.name)
            ended.append(c["id"])
        return {"ended": ended}

    async def group_create(self, core: Core, user: User, args: dict) -> dict:
        members = groups.check_members(core, args.get("members"))
        name = args.get("name") or ""
        if not isinstance(name, str) or len(name) > 40:
            raise CommandError("bad_args", "name: expected up to 40 characters")
        record = await groups.create_temporary(core, members, name.strip(), user.name)
        if self.radio is not None:
            ids = groups.radio_ids(core, members)
            if ids:
                await self._radio(None, self.radio.gateway.group_assign(record["radio_gid"], ids))
        return {"group": record["id"], "radio_gid": record["radio_gid"]}

    async def broadcast(self, core: Core, user: User, args: dict) -> dict:
        radios = [t["id"] for t in core.all(directory.ENTITY) if t.get("via") == "radio"]
        return await self._radio_call(user, "A", 0, terminals=radios, label="全呼", incident_id=self._incident(args))

    async def patch(self, core: Core, user: User, args: dict) -> dict:
        radio = self._need_radio()
        a, b = args.get("a"), args.get("b")
        incident = self._incident(args)
        try:
            line_check = (int(a), int(b)) if not isinstance(a, bool) and not isinstance(b, bool) else None
        except (TypeError, ValueError):
            line_check = None
        if line_check is None or a != line_check[0] or b != line_check[1]:
            raise CommandError("bad_args", "a, b: expected two channel numbers")
        record = await self.calls.open(kind="patch", via="radio", terminals=[], by=user.name,
                                       label=f"信道 {a} ⇄ {b}", incident_id=incident, state="active")
        await core.update("calls", record["id"], {"patch": [a, b]}, actor=user.name)
        await self._radio(record["id"], radio.gateway.patch(a, b, True))
        return {"call": record["id"]}

    async def ptt(self, core: Core, user: User, args: dict) -> dict:
        radio = self._need_radio()
        on = args.get("on")
        if not isinstance(on, bool):
            raise CommandError("bad_args", "on: expected true or false")
        incident = self._incident(args)
        if on and args.get("terminal"):
            term = directory.require(core, args["terminal"])
            if term.get("via") != "radio":
                raise CommandError("bad_args", f"terminal {term['id']} is not a radio")
        if on:
            if radio.current_call is None:  # keying with no call up: an open-channel transmission, logged
                record = await self.calls.open(kind="ptt", via="radio", terminals=[], by=user.name,
                                               label="信道发射", incident_id=incident, state="active")
                radio.current_call = record["id"]
            await self._radio(radio.current_call, radio.gateway.ptt(True))
            return {"call": radio.current_call, "on": True}
        await self._radio(None, radio.gateway.ptt(False))
        current = core.get("calls", radio.current_call) if radio.current_call else None
        if current is not None and current.get("kind") == "ptt":
            radio.current_call = None
            await self.calls.set_state(current["id"], "ended", actor=user.name)
        return {"call": current["id"] if current else None, "on": False}

    async def notice(self, core: Core, user: User, args: dict) -> dict:
        if self.notices is None:
            raise CommandError("unavailable", "no notice gateway is configured (--notice-gateway URL)")
        text = args.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > 500:
            raise CommandError("bad_args", "text: expected 1..500 characters")
        g = groups.require(core, args.get("group"))
        recipients = []
        for tid in g["members"]:
            t = core.get(directory.ENTITY, tid) or {}
            recipients.append({"id": tid, "address": t.get("address", ""), "presence": t.get("presence", "")})
        try:
            record = await self.notices.send(group=g["id"], recipients=recipients, text=text.strip(), by=user.name,
                                             incident_id=self._incident(args), group_name=g.get("name", ""))
        except NoticeGatewayError as exc:
            raise CommandError("unavailable", str(exc)) from None
        return {"notice": record["id"], "recipients": len(recipients)}


async def start(core: Core, args: argparse.Namespace):
    calls = CallLog(core)
    await calls.close_all("failed", "backend restarted during the call")
    if not getattr(args, "no_demo", True) or args.dispatch_demo_directory:
        await directory.seed_demo(core, DEMO_RADIOS)
        await groups.seed_department_groups(core)
    stops = []
    radio = sip = notices = None
    demo_gw = None
    if args.radio:
        radio = RadioCoordinator(core, calls, args.radio, args.radio_baud)
        await radio.start()
        stops.append(radio.stop)
    dispatch = Dispatch(core, radio, None, None, calls)
    if args.sip_target:
        state_dir = Path(args.db).resolve().parent / "sip"
        sip = SipBridge(args.sip_target, state_dir, on_state=dispatch.on_sip_state, ring_timeout=args.sip_ring_timeout)
        try:
            await sip.start()
            stops.append(sip.stop)
            dispatch.sip = sip
        except SipError as exc:
            log.error("SIP bridge not started: %s", exc)
    url = args.notice_gateway
    if args.demo_notice_gateway and not url:
        demo_gw = DemoNoticeGateway()
        await demo_gw.start()
        stops.append(demo_gw.stop)
        url = demo_gw.url
    if url:
        notices = NoticeService(core, url)
        await notices.start()
        stops.insert(0, notices.stop)
        dispatch.notices = notices
    roles = DUTY | ({"leader"} if args.dispatch_allow_leaders else set())
    for action, handler in (("dispatch.call", dispatch.call), ("dispatch.hangup", dispatch.hangup),
                            ("dispatch.group.create", dispatch.group_create),
                            ("dispatch.broadcast", dispatch.broadcast), ("dispatch.patch", dispatch.patch),
                            ("dispatch.ptt", dispatch.ptt), ("notice.send", dispatch.notice)):
        core.register_action(action, roles, handler)
    log.info("dispatch: radio %s, SIP %s, notices %s, leaders %s", args.radio or "-", args.sip_target or "-",
             url or "-", "allowed" if args.dispatch_allow_leaders else "not allowed")

    async def stop() -> None:
        for s in reversed(stops):
            try:
                await s()
            except Exception:
                log.exception("dispatch: stop failed")
    return stop
