"""CAP test fixtures: a real backend Core on a temp SQLite file, and builders of CAP documents."""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from backend.cap.ingest import CapIngest
from backend.core import Core

DATA = Path(__file__).resolve().parents[1] / "data" / "cap"
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"


def info_xml(severity="Severe", event="暴雨", headline="永康市暴雨橙色预警", language="zh-CN",
             category="Met", area="") -> str:
    area = area or ("<area><areaDesc>永康市</areaDesc>"
                    "<polygon>28.80,120.00 28.80,120.10 28.95,120.10 28.95,120.00 28.80,120.00</polygon>"
                    "<geocode><valueName>GB2260</valueName><value>330784</value></geocode></area>")
    return (f"<info><language>{language}</language><category>{category}</category><event>{escape(event)}</event>"
            f"<urgency>Immediate</urgency><severity>{severity}</severity><certainty>Likely</certainty>"
            f"<headline>{escape(headline)}</headline><description>说明</description>{area}</info>")


def cap_doc(identifier="33078400100001_20240601083000", sender="yk-qx@example.cn",
            sent="2024-06-01T08:30:00+08:00", msg_type="Alert", references="", status="Actual",
            infos=None, ns=CAP_NS) -> bytes:
    refs = f"<references>{references}</references>" if references else ""
    body = "".join(infos if infos is not None else [info_xml()])
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="{ns}"><identifier>{identifier}</identifier>'
            f"<sender>{sender}</sender><sent>{sent}</sent><status>{status}</status><msgType>{msg_type}</msgType>"
            f"<scope>Public</scope>{refs}{body}</alert>").encode("utf-8")


@pytest.fixture
async def core(tmp_path):
    c = Core(tmp_path / "cc.db", centre="yk")
    await c.start()
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
async def ingest(core):
    return CapIngest(core)
