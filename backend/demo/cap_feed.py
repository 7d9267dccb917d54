"""The demo city's CAP feed: real CAP 1.2 documents (Chinese, GB/T 35965 identifiers 330784…) from the
county's warning issuers, fed through backend.cap.inbox.CapIngest like any other feed — with an Update
(colour change) or a Cancel of an earlier warning now and then."""
from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable
from xml.sax.saxutils import escape

from backend.demo.city import Township, jitter, townships

log = logging.getLogger(__name__)

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CHINA = timezone(timedelta(hours=8))
AREA_CODE = "330784"  # 永康市
SEVERITY = {"red": "Extreme", "orange": "Severe", "yellow": "Moderate", "blue": "Minor"}
COLOUR_NAME = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}


@dataclass(frozen=True)
class Issuer:
    org: str  # 3-digit organisation code in the identifier
    sender: str
    name: str


@dataclass(frozen=True)
class CapHazard:
    event: str
    category: str  # CAP category
    issuer: Issuer
    instruction: str


QX = Issuer("001", "qx.yongkang@12379.cn", "永康市气象台")
SL = Issuer("002", "slj.yongkang@12379.cn", "永康市水利局")
ZR = Issuer("003", "zrzy.yongkang@12379.cn", "永康市自然资源和规划局")
YJ = Issuer("004", "yjj.yongkang@12379.cn", "永康市应急管理局")
HAZARDS: tuple[CapHazard, ...] = (
    CapHazard("暴雨", "Met", QX, "注意防范强降水引发的城市内涝和山洪，危险地带人员及时转移。"),
    CapHazard("大风", "Met", QX, "加固户外设施，停止高空作业。"),
    CapHazard("雷电", "Met", QX, "避免户外活动，切勿在大树下避雨。"),
    CapHazard("高温", "Met", QX, "避免午后户外作业，注意防暑降温。"),
    CapHazard("山洪", "Geo", SL, "山区溪流沿线人员注意避险，不要涉水过河。"),
    CapHazard("城市内涝", "Infra", SL, "车辆绕行下穿通道和低洼路段。"),
    CapHazard("地质灾害", "Geo", ZR, "隐患点周边人员按预案撤离。"),
    CapHazard("森林火险", "Fire", YJ, "严禁野外用火，林区加强巡查。"),
)
_WEIGHTS = {"blue": 35, "yellow": 35, "orange": 20, "red": 10}


def _local(now: float) -> datetime:
    return datetime.fromtimestamp(now, CHINA).replace(microsecond=0)


def identifier(issuer: Issuer, serial: int, now: float) -> str:
    """GB/T 35965.1 form: area code, organisation code, 5-digit serial, _YYYYMMDDhhmmss."""
    return f"{AREA_CODE}{issuer.org}{serial % 100000:05d}_{_local(now).strftime('%Y%m%d%H%M%S')}"


def cap_document(hazard: CapHazard, colour: str, place: Township, ident: str, now: float,
                 rng: random.Random, msg_type: str = "Alert", references: str = "") -> bytes:
    """One CAP 1.2 <alert> in Chinese for one township (circle around it and its township geocode)."""
    sent = _local(now).isoformat()
    expires = _local(now + 6 * 3600).isoformat()
    lat, lon = jitter(rng, (place.lat, place.lon), 300)
    name = COLOUR_NAME[colour]
    verb = {"Alert": "发布", "Update": "更新", "Cancel": "解除"}[msg_type]
    headline = f"{hazard.issuer.name}{verb}{place.name}{hazard.event}{name}预警"
    refs = f"<references>{escape(references)}</references>" if references else ""
    info = (f"<info><language>zh-CN</language><category>{hazard.category}</category>"
            f"<event>{escape(hazard.event)}</event><urgency>{'Immediate' if colour in ('red', 'orange') else 'Expected'}"
            f"</urgency><severity>{SEVERITY[colour]}</severity><certainty>Likely</certainty>"
            f"<expires>{expires}</expires><senderName>{escape(hazard.issuer.name)}</senderName>"
            f"<headline>{escape(headline)}</headline>"
            f"<description>{escape(f'{place.name}及周边预计出现{hazard.event}，预警等级{name}。')}</description>"
            f"<instruction>{escape(hazard.instruction)}</instruction>"
            f"<area><areaDesc>{escape('永康市' + place.name)}</areaDesc><circle>{lat:.4f},{lon:.4f} 3</circle>"
            f"<geocode><valueName>GB/T 10114</valueName><value>{place.code}</value></geocode>"
            f"<geocode><valueName>GB/T 2260</valueName><value>{AREA_CODE}</value></geocode></area></info>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="{CAP_NS}"><identifier>{ident}</identifier>'
            f"<sender>{hazard.issuer.sender}</sender><sent>{sent}</sent><status>Actual</status>"
            f"<msgType>{msg_type}</msgType><scope>Public</scope>{refs}{info}</alert>").encode("utf-8")


@dataclass
class _Issued:
    hazard: CapHazard
    place: Township
    colour: str
    ref: str  # "sender,identifier,sent" of its latest version


class CapFeed:
    """Issues a demo CAP warning every ``mean_gap_s`` seconds on average (exponential gaps).

    Attributes: sent (documents ingested), outcomes (IngestResult.outcome → count).
    """

    def __init__(self, core, ingest=None, mean_gap_s: float = 45.0, seed: int | None = None,
                 clock: Callable[[], float] = time.time):
        if ingest is None:
            from backend.cap.inbox import CapIngest
            ingest = CapIngest(core, actor="demo-cap")
        self.ingest, self.mean_gap_s, self.clock = ingest, max(0.05, mean_gap_s), clock
        self.rng = random.Random(seed)
        self.sent = 0
        self.outcomes: dict[str, int] = {}
        self._serial = self.rng.randrange(1, 90000)
        self._active: list[_Issued] = []
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="demo-cap-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        await asyncio.sleep(min(5.0, self.mean_gap_s))
        while True:
            try:
                await self.issue_one()
            except Exception:  # the demo must never take the backend down
                log.exception("demo CAP feed: issuing failed; continuing")
            await asyncio.sleep(min(max(self.rng.expovariate(1 / self.mean_gap_s), 0.05), 4 * self.mean_gap_s))

    def next_document(self) -> bytes:
        """The next document: mostly new warnings; an Update (1 in 5) or a Cancel (1 in 8) of an active one."""
        now = self.clock()
        self._serial += 1
        roll = self.rng.random()
        if self._active and roll < 0.2 + 0.125:
            old = self.rng.choice(self._active)
            ident = identifier(old.hazard.issuer, self._serial, now)
            if roll < 0.2:
                ranks = list(SEVERITY)
                i = ranks.index(old.colour) + self.rng.choice((-1, 1))
                old.colour = ranks[min(max(i, 0), 3)]
                doc = cap_document(old.hazard, old.colour, old.place, ident, now, self.rng, "Update", old.ref)
                old.ref = f"{old.hazard.issuer.sender},{ident},{_local(now).isoformat()}"
                return doc
            self._active.remove(old)
            return cap_document(old.hazard, old.colour, old.place, ident, now, self.rng, "Cancel", old.ref)
        hazard = self.rng.choice(HAZARDS)
        place = self.rng.choice(townships())
        colour = self.rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()))[0]
        ident = identifier(hazard.issuer, self._serial, now)
        self._active.append(_Issued(hazard, place, colour, f"{hazard.issuer.sender},{ident},{_local(now).isoformat()}"))
        del self._active[:-20]  # the oldest simply expire
        return cap_document(hazard, colour, place, ident, now, self.rng)

    async def issue_one(self) -> str:
        result = await self.ingest.ingest(self.next_document(), "demo-cap")
        self.sent += 1
        self.outcomes[result.outcome] = self.outcomes.get(result.outcome, 0) + 1
        if result.outcome == "quarantined":
            log.warning("demo CAP document quarantined: %s", result.reason)
        return result.outcome
