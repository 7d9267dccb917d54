"""The CAP codec on the OASIS examples, on hostile documents, and on arbitrary / mutated bytes."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.cap.parse import MAX_BYTES, CapError, base_alert_id, parse_cap, to_alert_records
from backend_client.models import Alert, Colour
from tests.cap.conftest import DATA, cap_doc, info_xml
from tests.helpers.fuzz import TEN_K, cpu_bound

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">""" + b"".join(
    b'<!ENTITY lol%d "%s">' % (i, b"".join(b"&lol%s;" % (str(i - 1).encode() if i > 1 else b"") for _ in range(10)))
    for i in range(1, 10)) + b"""]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>"""
TEN_MB = cap_doc(infos=[info_xml(headline="x" * (10 * 1024 * 1024))])


def ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_every_bundled_file_parses():
    files = sorted(DATA.glob("*.xml"))
    assert len(files) == 4
    for path in files:
        msg = parse_cap(path.read_bytes())
        assert msg.status == "Actual" and msg.scope == "Public"
        assert msg.infos and all(i.categories and i.event for i in msg.infos)
        records = to_alert_records(msg)
        assert len(records) == 1
        Alert.from_dict(records[0])  # the record fits the wire model


def test_example1_homeland_security():
    msg = parse_cap((DATA / "example1.xml").read_bytes())
    assert (msg.identifier, msg.sender, msg.msg_type) == ("43b080713727", "hsas@dhs.gov", "Alert")
    assert msg.sent == datetime(2003, 4, 2, 19, 39, 1, tzinfo=timezone.utc).timestamp()
    info = msg.infos[0]
    assert info.language == "en-US"  # the CAP default when <language> is absent
    assert info.categories == ("Security",) and info.severity == "Severe"
    assert info.headline == "Homeland Security Sets Code ORANGE"
    assert info.areas[0].desc == "U.S. nationwide and interests worldwide"
    (rec,) = to_alert_records(msg)
    assert rec["colour"] == "orange" and rec["title"] == info.headline and rec["source"] == "cap"
    assert rec["lat"] is None and rec["lon"] is None and rec["created"] == msg.sent
    assert rec["id"] == base_alert_id("hsas@dhs.gov", "43b080713727") and not msg.gb35965


def test_example2_polygon_and_geocodes():
    msg = parse_cap((DATA / "example2.xml").read_bytes())
    area = msg.infos[0].areas[0]
    assert area.polygons[0][0] == (38.47, -120.14) and len(area.polygons[0]) == 5
    assert area.geocodes == (("SAME", "006109"), ("SAME", "006009"), ("SAME", "006003"))
    assert msg.infos[0].categories == ("Met",) and msg.infos[0].event == "SEVERE THUNDERSTORM"
    (rec,) = to_alert_records(msg)
    assert rec["area"]["polygons"][0][0] == [38.47, -120.14]
    assert rec["area"]["geocodes"][2] == ["SAME", "006003"]
    assert 38.34 < rec["lat"] < 38.62 and -120.14 < rec["lon"] < -119.74  # centroid inside the bounds
    assert rec["cap"]["category"] == ["Met"] and rec["cap"]["urgency"] == "Immediate"


def test_example3_update_with_circle():
    msg = parse_cap((DATA / "example3.xml").read_bytes())
    assert msg.msg_type == "Update"
    assert msg.references == (("trinet@caltech.edu", "TRI13970876.1", "2003-06-11T20:30:00-07:00"),)
    assert msg.infos[0].areas[0].circles == ((32.9525, -115.5527, 0.0),)
    (rec,) = to_alert_records(msg)
    assert rec["colour"] == "blue" and (rec["lat"], rec["lon"]) == (32.9525, -115.5527)
    assert rec["area"]["circles"] == [[32.9525, -115.5527, 0.0]]


def test_example4_two_languages_one_record():
    msg = parse_cap((DATA / "example4.xml").read_bytes())
    assert [i.language for i in msg.infos] == ["en-US", "es-US"]
    (rec,) = to_alert_records(msg)
    assert rec["title"] == "Amber Alert in Los Angeles County" and rec["cap"]["language"] == "en-US"
    assert rec["cap"]["category"] == ["Rescue"]


def test_zh_cn_info_is_chosen_and_gb35965_recognised():
    doc = cap_doc(infos=[info_xml(language="en-US", headline="Rainstorm"), info_xml(language="zh-CN")])
    msg = parse_cap(doc)
    assert msg.gb35965 and msg.gb35965_parts == ("330784", "001", "00001", "20240601083000")
    (rec,) = to_alert_records(msg)
    assert rec["title"] == "永康市暴雨橙色预警" and rec["event"] == "暴雨" and rec["cap"]["gb35965"] is True
    assert 28.80 < rec["lat"] < 28.95 and 120.0 < rec["lon"] < 120.1


def test_plain_identifier_is_not_gb35965():
    assert not parse_cap(cap_doc(identifier="YK-2024-0001")).gb35965
    assert not parse_cap(cap_doc(identifier="33078400100001_20241399083000")).gb35965  # month 13


def test_several_infos_in_one_language_give_several_records():
    doc = cap_doc(infos=[info_xml(event="暴雨"), info_xml(event="大风", severity="Moderate")])
    recs = to_alert_records(parse_cap(doc))
    base = base_alert_id("yk-qx@example.cn", "33078400100001_20240601083000")
    assert [r["id"] for r in recs] == [f"{base}-0", f"{base}-1"]
    assert [r["colour"] for r in recs] == ["orange", "yellow"]


@pytest.mark.parametrize("severity,colour", [("Extreme", Colour.RED), ("Severe", Colour.ORANGE),
                                             ("Moderate", Colour.YELLOW), ("Minor", Colour.BLUE)])
def test_four_colours(severity, colour):
    (rec,) = to_alert_records(parse_cap(cap_doc(infos=[info_xml(severity=severity)])))
    assert rec["colour"] == colour.value and rec["cap"]["severity"] == severity


def test_unknown_severity_shows_as_blue_and_keeps_the_cap_value():
    (rec,) = to_alert_records(parse_cap(cap_doc(infos=[info_xml(severity="Unknown")])))
    assert rec["colour"] == "blue" and rec["cap"]["severity"] == "Unknown"


HOSTILE = {
    "xxe": (XXE, "forbidden DTD"),
    "billion laughs": (BILLION_LAUGHS, "forbidden DTD <!DOCTYPE lolz>"),
    "10 MB": (TEN_MB, "too large"),
    "wrong namespace": (cap_doc(ns="urn:example:not-cap"), "wrong namespace"),
    "CAP 1.1": (cap_doc(ns="urn:oasis:names:tc:emergency:cap:1.1"), "CAP 1.1 namespace"),
    "no namespace": (cap_doc().replace(b' xmlns="urn:oasis:names:tc:emergency:cap:1.2"', b""), "no namespace"),
    "not XML": (b"this is not XML, it is a note", "not well-formed XML"),
    "empty": (b"  \n", "empty document"),
    "truncated": (cap_doc()[:200], "not well-formed XML"),
    "missing sender": (cap_doc().replace(b"<sender>yk-qx@example.cn</sender>", b""), "Tag 'cap:sender' expected"),
    "bad severity": (cap_doc(infos=[info_xml(severity="Catastrophic")]), "schema: /alert/info/severity"),
    "bad date": (cap_doc(sent="2024-13-01T08:30:00+08:00"), "schema: /alert/sent"),
    "undeclared entity": (cap_doc().replace(b"<headline>", b"<headline>&xxe;"), "not well-formed XML"),
    "xinclude": (cap_doc().replace(b"<info>", b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                                             b'href="/etc/passwd" parse="text"/><info>'), "schema: /alert"),
    "deep signature": (cap_doc().replace(b"</alert>", b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
                                         + b"<ds:a>" * 5000 + b"</ds:a>" * 5000 + b"</ds:Signature></alert>"),
                       "nested deeper"),
    "bad polygon": (cap_doc(infos=[info_xml(area="<area><areaDesc>x</areaDesc><polygon>28.8,120 nan,1 3,4"
                                                 "</polygon></area>")]), "info[1]/area[1]/polygon[1]"),
    "outside WGS 84": (cap_doc(infos=[info_xml(area="<area><areaDesc>x</areaDesc><circle>95,120 3</circle>"
                                                    "</area>")]), "outside WGS 84"),
    "comma in identifier": (cap_doc(identifier="a,b"), "identifier 'a,b' contains"),
    "cancel without references": (cap_doc(msg_type="Cancel"), "without <references>"),
    "bad references": (cap_doc(msg_type="Update", references="only-two,fields"), "not 'sender,identifier,sent'"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_refused_with_a_specific_reason(name):
    data, expected = HOSTILE[name]
    with pytest.raises(CapError) as info:
        parse_cap(data)
    assert expected in info.value.reason, info.value.reason
    assert "root:" not in info.value.reason  # nothing of /etc/passwd leaks into the reason


def test_size_limit_is_exact():
    small = cap_doc()
    pad = MAX_BYTES - len(small)
    at_limit = small.replace(b"</alert>", b"<!--" + b"x" * (pad - 7) + b"--></alert>")
    assert len(at_limit) == MAX_BYTES
    parse_cap(at_limit)
    with pytest.raises(CapError, match="too large"):
        parse_cap(at_limit + b" ")


def test_non_bytes_refused():
    with pytest.raises(CapError, match="expected bytes"):
        parse_cap("<alert/>")  # type: ignore[arg-type]


# -- properties: nothing but CapError escapes ---------------------------------------------------------
VALID = [p.read_bytes() for p in sorted(DATA.glob("*.xml"))] + [cap_doc(), cap_doc(msg_type="Update",
         references="yk-qx@example.cn,33078400100001_20240601083000,2024-06-01T08:30:00+08:00")]
FIELDS = [b"identifier", b"sender", b"sent", b"references", b"polygon", b"circle", b"severity", b"language",
          b"valueName", b"value", b"msgType", b"category"]


def _parse_only_caperror(data: bytes) -> None:
    try:
        msg = parse_cap(data)
    except CapError as exc:
        assert exc.reason
        return
    for rec in to_alert_records(msg):  # whatever passes must also map
        Alert.from_dict(rec)


@pytest.fixture(scope="module")
def schema_built():
    """The parser builds its XML schema at the first well-formed document (~0.4 s of CPU, once a process): built
    here, before the cases' CPU is counted. In a process running only the property tests the first mutated
    document paid for it (1.28 s)."""
    _parse_only_caperror(VALID[0])


@pytest.mark.usefixtures("schema_built")
@TEN_K
@given(st.binary(max_size=2048))
@cpu_bound
def test_arbitrary_bytes(data):
    _parse_only_caperror(data)


# Strategies built once: one made inside each draw (``st.integers(0, len(doc))``, a ``sampled_from`` of a new
# list) is validated anew every time. A position is drawn as a fraction of the document's length instead.
_DOCS = st.sampled_from(VALID)
_EDITS = st.integers(1, 3)
_OPS = st.sampled_from(["delete", "insert", "flip", "field", "field", "field"])
_WHERE = st.integers(0, 1 << 16)
_CUT = st.integers(1, 40)
_INSERTS = st.sampled_from([b"<", b">", b"&", b"&amp;", b"]]>", b"<!DOCTYPE a>", b"\x00", b"<info>", b"</info>",
                            b",", b" ", b"\xff\xfe", b"<?pi?>"])
_BYTE = st.integers(0, 255)
_FIELDS = st.sampled_from(FIELDS)
_FIELD_TEXT = st.text(alphabet=st.sampled_from("0123456789,.-+ eEnaif:TZ\t中"), max_size=60)


@st.composite
def mutated(draw):
    doc = bytearray(draw(_DOCS))
    for _ in range(draw(_EDITS)):
        op = draw(_OPS)
        pos = draw(_WHERE) * (len(doc) + 1) >> 16
        pos = min(pos, len(doc))
        if op == "delete":
            del doc[pos:pos + draw(_CUT)]
        elif op == "insert":
            doc[pos:pos] = draw(_INSERTS)
        elif op == "flip" and pos < len(doc):
            doc[pos] = draw(_BYTE)
        else:  # replace the text of one element: reaches the mapping code with well-formed XML
            tag = draw(_FIELDS)
            start = doc.find(b"<" + tag + b">")
            end = doc.find(b"</" + tag + b">", start + 1)
            if start >= 0 and end > start:
                doc[start + len(tag) + 2:end] = draw(_FIELD_TEXT).encode("utf-8")
    return bytes(doc)


@pytest.mark.usefixtures("schema_built")
@TEN_K
@given(mutated())
@cpu_bound
def test_mutated_valid_documents(data):
    _parse_only_caperror(data)
