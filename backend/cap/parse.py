"""CAP 1.2 codec: bytes → validated, typed CapMessage (pure; reads only the bundled XSD, once).

Every way a document can be wrong ends in ``CapError(reason)`` with a reason an operator can act on;
nothing else escapes ``parse_cap`` (a Hypothesis test holds us to that).
"""
from __future__ import annotations

import hashlib
import math
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as safe_et

from backend_client.models import Alert, Colour

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
OTHER_CAP_NS = {
    "urn:oasis:names:tc:emergency:cap:1.1": "CAP 1.1",
    "urn:oasis:names:tc:emergency:cap:1.0": "CAP 1.0",
    "http://www.incident.com/cap/1.0": "CAP 1.0",
}
MAX_BYTES = 1024 * 1024
MAX_DEPTH = 24  # CAP itself nests 5 deep; a lax xmldsig <Signature> a few more
XSD_PATH = Path(__file__).resolve().parent / "CAP-v1.2.xsd"
GB35965_ID = re.compile(r"^(\d{6})(\d{3})(\d{5})_(\d{14})$")
_BAD_ID_CHARS = re.compile(r"[\s,<&]")
_Q = "{" + CAP_NS + "}"


class CapError(ValueError):
    """A CAP document that is refused; ``reason`` says why, for the quarantine table and the log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CapArea:
    desc: str
    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()  # closed rings of (lat, lon)
    circles: tuple[tuple[float, float, float], ...] = ()  # (lat, lon, radius km)
    geocodes: tuple[tuple[str, str], ...] = ()  # (valueName, value)


@dataclass(frozen=True)
class CapInfo:
    language: str
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str = ""
    description: str = ""
    instruction: str = ""
    sender_name: str = ""
    areas: tuple[CapArea, ...] = ()


@dataclass(frozen=True)
class CapMessage:
    """One CAP 1.2 <alert>. ``sent`` is unix time; ``sent_text`` the original ISO form (for references)."""

    identifier: str
    sender: str
    sent: float
    sent_text: str
    status: str  # Actual | Exercise | System | Test | Draft
    msg_type: str  # Alert | Update | Cancel | Ack | Error
    scope: str  # Public | Restricted | Private
    references: tuple[tuple[str, str, str], ...] = ()  # (sender, identifier, sent)
    infos: tuple[CapInfo, ...] = ()
    gb35965: bool = False  # identifier has the GB/T 35965.1 form 330784 001 00001 _YYYYMMDDhhmmss
    source: str = ""
    note: str = ""

    @property
    def gb35965_parts(self) -> tuple[str, str, str, str] | None:
        """(area code, organisation code, serial, YYYYMMDDhhmmss) of a GB/T 35965 identifier."""
        m = GB35965_ID.match(self.identifier) if self.gb35965 else None
        return m.groups() if m else None  # type: ignore[return-value]


# -- the schema, loaded once --------------------------------------------------------------------------
_schema = None
_schema_lock = threading.Lock()


def _get_schema():
    global _schema
    with _schema_lock:
        if _schema is None:
            import xmlschema  # deferred: ~0.4 s of CPU to import and build, only when a document arrives

            # Built from the text with every resource access refused: the schema imports nothing.
            _schema = xmlschema.XMLSchema(XSD_PATH.read_text(encoding="utf-8"), allow="none", defuse="always")
        return _schema


# -- parsing ------------------------------------------------------------------------------------------
def parse_cap(data: bytes) -> CapMessage:
    """Parse and validate one CAP 1.2 document; raise CapError with the reason when it is refused."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CapError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise CapError(f"too large: {len(data)} bytes (limit {MAX_BYTES})")
    if not data.strip():
        raise CapError("empty document")
    root = _parse_xml(data)
    _check_root(root)
    _check_depth(root)
    _validate(root)
    return _to_message(root)


def _parse_xml(data: bytes) -> Element:
    try:
        return safe_et.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden as exc:
        raise CapError(f"forbidden DTD <!DOCTYPE {exc.name}>: CAP carries no DTD; entity declarations and "
                       "external entities are refused") from None
    except defusedxml.EntitiesForbidden as exc:
        raise CapError(f"forbidden entity declaration {exc.name!r}") from None
    except defusedxml.ExternalReferenceForbidden as exc:
        raise CapError(f"forbidden external reference {exc.sysid!r}") from None
    except defusedxml.DefusedXmlException as exc:
        raise CapError(f"forbidden XML construct: {exc}") from None
    except ParseError as exc:
        raise CapError(f"not well-formed XML: {exc}") from None
    except (ValueError, LookupError, UnicodeError, OverflowError) as exc:
        raise CapError(f"not well-formed XML: {type(exc).__name__}: {exc}") from None


def _check_root(root: Element) -> None:
    tag = root.tag if isinstance(root.tag, str) else ""
    ns, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    if ns == CAP_NS and local == "alert":
        return
    if ns in OTHER_CAP_NS:
        raise CapError(f"{OTHER_CAP_NS[ns]} namespace {ns!r}: only CAP 1.2 ({CAP_NS}) is accepted")
    if local == "alert" and not ns:
        raise CapError(f"root element <alert> has no namespace; expected {CAP_NS!r}")
    if ns:
        raise CapError(f"wrong namespace: root element <{local}> in {ns!r}, expected <alert> in {CAP_NS!r}")
    raise CapError(f"root element is <{local}>, expected <alert> in {CAP_NS!r}")


def _check_depth(root: Element) -> None:
    stack = [(root, 1)]
    while stack:  # iterative: a hostile document must not hit Python's recursion limit
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CapError(f"elements nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in node)


def _validate(root: Element) -> None:
    try:
        errors = _get_schema().iter_errors(root)
        error = next(iter(errors), None)
    except RecursionError:
        raise CapError("schema validation failed: document too deeply nested") from None
    except Exception as exc:  # xmlschema internals on odd input: refuse the document, never crash
        raise CapError(f"schema validation failed: {type(exc).__name__}: {str(exc)[:200]}") from None
    if error is not None:
        path = re.sub(r"\{[^}]*\}", "", error.path or "") or "/"
        reason = re.sub(r"\{[^}]*\}", "", (error.reason or error.message or "invalid").strip())
        raise CapError(f"schema: {path}: {reason[:300]}")


# -- mapping ------------------------------------------------------------------------------------------
def _text(parent: Element, name: str) -> str:
    node = parent.find(_Q + name)
    return (node.text or "").strip() if node is not None else ""


def _texts(parent: Element, name: str) -> list[str]:
    return [(n.text or "").strip() for n in parent.findall(_Q + name)]


def _pairs(parent: Element, name: str) -> tuple[tuple[str, str], ...]:
    return tuple((_text(n, "valueName"), _text(n, "value")) for n in parent.findall(_Q + name))


def parse_time(text: str, where: str) -> float:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CapError(f"{where}: {text!r} is not a date-time") from None
    if moment.tzinfo is None:
        raise CapError(f"{where}: {text!r} has no time zone")
    return moment.timestamp()


def _check_id(value: str, where: str) -> str:
    if not value:
        raise CapError(f"{where} is empty")
    if _BAD_ID_CHARS.search(value):
        raise CapError(f"{where} {value[:80]!r} contains a space, comma, '<' or '&' (CAP 1.2 §3.2.1)")
    return value


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CapError(f"{where}: {text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise CapError(f"{where}: {text[:40]!r} is not a finite number")
    return value


def _point(text: str, where: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise CapError(f"{where}: {text[:40]!r} is not 'lat,lon'")
    lat, lon = _number(parts[0], where), _number(parts[1], where)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise CapError(f"{where}: {lat},{lon} is outside WGS 84 (lat ±90, lon ±180)")
    return lat, lon


def _polygon(text: str, where: str) -> tuple[tuple[float, float], ...]:
    points = [_point(p, where) for p in text.split()]
    if points and points[0] != points[-1]:
        points.append(points[0])  # CAP says closed; feeds forget it, and closing loses nothing
    if len(set(points)) < 3:
        raise CapError(f"{where}: a polygon needs at least 3 distinct points, got {len(set(points))}")
    return tuple(points)


def _circle(text: str, where: str) -> tuple[float, float, float]:
    parts = text.split()
    if len(parts) != 2:
        raise CapError(f"{where}: {text[:60]!r} is not 'lat,lon radius'")
    lat, lon = _point(parts[0], where)
    radius = _number(parts[1], where)
    if radius < 0:
        raise CapError(f"{where}: negative radius {radius}")
    return lat, lon, radius


def _references(text: str) -> tuple[tuple[str, str, str], ...]:
    refs = []
    for item in text.split():
        parts = item.split(",")
        if len(parts) != 3 or not all(parts):
            raise CapError(f"references: {item[:120]!r} is not 'sender,identifier,sent'")
        parse_time(parts[2], "references")
        refs.append((parts[0], parts[1], parts[2]))
    return tuple(refs)


def _area(node: Element, where: str) -> CapArea:
    return CapArea(
        desc=_text(node, "areaDesc"),
        polygons=tuple(_polygon(t, f"{where}/polygon[{i}]") for i, t in enumerate(_texts(node, "polygon"), 1)),
        circles=tuple(_circle(t, f"{where}/circle[{i}]") for i, t in enumerate(_texts(node, "circle"), 1)),
        geocodes=_pairs(node, "geocode"),
    )


def _info(node: Element, where: str) -> CapInfo:
    return CapInfo(
        language=_text(node, "language") or "en-US",
        categories=tuple(_texts(node, "category")),
        event=_text(node, "event"),
        urgency=_text(node, "urgency"),
        severity=_text(node, "severity"),
        certainty=_text(node, "certainty"),
        headline=_text(node, "headline"),
        description=_text(node, "description"),
        instruction=_text(node, "instruction"),
        sender_name=_text(node, "senderName"),
        areas=tuple(_area(a, f"{where}/area[{i}]") for i, a in enumerate(node.findall(_Q + "area"), 1)),
    )


def _to_message(root: Element) -> CapMessage:
    identifier = _check_id(_text(root, "identifier"), "identifier")
    sender = _check_id(_text(root, "sender"), "sender")
    sent_text = _text(root, "sent")
    msg_type = _text(root, "msgType")
    references = _references(_text(root, "references"))
    if msg_type in ("Update", "Cancel") and not references:
        raise CapError(f"msgType {msg_type} without <references>: nothing to {msg_type.lower()}")
    return CapMessage(
        identifier=identifier,
        sender=sender,
        sent=parse_time(sent_text, "sent"),
        sent_text=sent_text,
        status=_text(root, "status"),
        msg_type=msg_type,
        scope=_text(root, "scope"),
        references=references,
        infos=tuple(_info(n, f"info[{i}]") for i, n in enumerate(root.findall(_Q + "info"), 1)),
        gb35965=_is_gb35965(identifier),
        source=_text(root, "source"),
        note=_text(root, "note"),
    )


def _is_gb35965(identifier: str) -> bool:
    m = GB35965_ID.match(identifier)
    if not m:
        return False
    try:
        datetime.strptime(m.group(4), "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


# -- CAP → Alert records ------------------------------------------------------------------------------
def base_alert_id(sender: str, identifier: str) -> str:
    """The stable alert key of a CAP message: same sender + identifier → same key, on every centre."""
    digest = hashlib.sha256(f"{sender}\n{identifier}".encode("utf-8")).hexdigest()
    return f"cap-{digest[:16]}"


def chosen_infos(msg: CapMessage) -> list[tuple[int, CapInfo]]:
    """(index, info) in the language shown: zh-CN when present, else any zh-*, else the first info's."""
    if not msg.infos:
        return []
    langs = [i.language.lower() for i in msg.infos]
    if "zh-cn" in langs:
        want = "zh-cn"
    else:
        want = next((lang for lang in langs if lang == "zh" or lang.startswith("zh-")), langs[0])
    return [(n, info) for n, info in enumerate(msg.infos) if info.language.lower() == want]


def _centroid(area: CapArea | None) -> tuple[float | None, float | None]:
    if area is None:
        return None, None
    if area.polygons:
        ring = area.polygons[0]
        pts = list(ring[:-1]) if ring[0] == ring[-1] else list(ring)
        twice_area = cx = cy = 0.0
        for (y0, x0), (y1, x1) in zip(pts, pts[1:] + pts[:1]):  # shoelace on (lon, lat) as a plane
            cross = x0 * y1 - x1 * y0
            twice_area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if abs(twice_area) > 1e-12:
            return cy / (3 * twice_area), cx / (3 * twice_area)
        return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
    if area.circles:
        return area.circles[0][0], area.circles[0][1]
    return None, None


def _area_dict(areas: tuple[CapArea, ...]) -> dict:
    return {
        "desc": [a.desc for a in areas],
        "polygons": [[[lat, lon] for lat, lon in ring] for a in areas for ring in a.polygons],
        "circles": [[lat, lon, km] for a in areas for lat, lon, km in a.circles],
        "geocodes": [[name, value] for a in areas for name, value in a.geocodes],
    }


def to_alert_records(msg: CapMessage) -> list[dict]:
    """Alert records (backend_client.models.Alert fields, plus a "cap" dict) for the shown infos."""
    chosen = chosen_infos(msg)
    base = base_alert_id(msg.sender, msg.identifier)
    records = []
    for index, info in chosen:
        colour = Colour.from_cap_severity(info.severity)
        lat, lon = _centroid(info.areas[0] if info.areas else None)
        alert = Alert(
            id=base if len(chosen) == 1 else f"{base}-{index}",
            # severity "Unknown" has no colour of its own: shown as the mildest (blue); cap.severity keeps it
            colour=(colour or Colour.BLUE).value,
            title=info.headline or info.event,
            source="cap",
            event=info.event,
            lat=lat,
            lon=lon,
            created=msg.sent,
            area=_area_dict(info.areas),
        )
        record = alert.to_dict()
        record["cap"] = {
            "sender": msg.sender, "identifier": msg.identifier, "sent": msg.sent_text,
            "status": msg.status, "msg_type": msg.msg_type, "scope": msg.scope,
            "gb35965": msg.gb35965, "info_index": index, "language": info.language,
            "category": list(info.categories), "urgency": info.urgency, "severity": info.severity,
            "certainty": info.certainty, "description": info.description[:4000],
            "instruction": info.instruction[:4000], "sender_name": info.sender_name,
            "history": [[msg.sender, msg.identifier, msg.sent_text]],
        }
        records.append(record)
    return records
