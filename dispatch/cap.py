"""CAP 1.2 (OASIS Common Alerting Protocol): parsing and building documents; no database here.

Parsing is defensive: no DTDs, no entity expansion, no network, a size cap
(the API's body limit), and every document is validated against the OASIS
schema shipped in dispatch/data/cap/ before anything is read from it. XML-DSig
signatures are carried through but not verified (no trust store is configured).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _
from lxml import etree

from core.errors import InvalidInput

NS = "urn:oasis:names:tc:emergency:cap:1.2"
XSD_PATH = Path(__file__).resolve().parent / "data" / "cap" / "CAP-v1.2.xsd"
CONTENT_TYPES = ("application/cap+xml", "application/xml", "text/xml")
_Q = "{%s}" % NS  # noqa: UP031 (Clark notation prefix)
_CHINA = ZoneInfo("Asia/Shanghai")


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )


@dataclass(frozen=True)
class Reference:
    sender: str
    identifier: str
    sent: str


@dataclass
class CapArea:
    description: str
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)  # (lat, lon) rings
    circles: list[tuple[float, float, float]] = field(default_factory=list)  # lat, lon, radius km
    geocodes: list[tuple[str, str]] = field(default_factory=list)  # valueName, value


@dataclass
class CapInfo:
    language: str
    categories: list[str]
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str
    effective: datetime | None
    onset: datetime | None
    expires: datetime | None
    areas: list[CapArea]

    def language_block(self) -> dict[str, str]:
        return {
            "language": self.language,
            "event": self.event,
            "headline": self.headline,
            "description": self.description,
            "instruction": self.instruction,
            "category": self.categories[0] if self.categories else "Other",
            "urgency": self.urgency,
            "certainty": self.certainty,
        }


@dataclass
class CapMessage:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    references: list[Reference]
    infos: list[CapInfo]
    note: str = ""


def _text(element: etree._Element, name: str) -> str:
    found = element.find(_Q + name)
    return (found.text or "").strip() if found is not None else ""


def _time(element: etree._Element, name: str) -> datetime | None:
    raw = _text(element, name)
    return datetime.fromisoformat(raw) if raw else None


# The schema types <polygon> and <circle> as plain strings; what CAP 1.2 §3.3.2 says of them is
# checked here (a ValueError is the caller's cap_invalid), so no NaN or half-ring reaches geometry.
def _pairs(raw: str) -> list[tuple[float, float]]:
    points = []
    for pair in raw.split():
        lat, lon = pair.split(",")
        point = (float(lat), float(lon))
        if not (math.isfinite(point[0]) and math.isfinite(point[1])):
            raise ValueError(f"{pair}: coordinates must be finite numbers")
        if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
            raise ValueError(f"{pair}: latitude must be within -90..90 and longitude within -180..180 (WGS 84)")
        points.append(point)
    return points


def _ring(raw: str) -> list[tuple[float, float]]:
    points = _pairs(raw)
    if len(points) < 4 or points[0] != points[-1]:
        raise ValueError("a polygon needs at least 4 points, the first and last the same (CAP 1.2 §3.3.2)")
    return points


def _circle(raw: str) -> tuple[float, float, float]:
    point, radius_text = raw.split()
    [(lat, lon)] = _pairs(point)
    radius = float(radius_text)
    if not (math.isfinite(radius) and radius >= 0):
        raise ValueError(f"{radius_text}: a circle's radius is a finite number of kilometres, 0 or more")
    return lat, lon, radius


def _area(element: etree._Element) -> CapArea:
    area = CapArea(description=_text(element, "areaDesc"))
    for polygon in element.findall(_Q + "polygon"):
        area.polygons.append(_ring(polygon.text or ""))
    for circle in element.findall(_Q + "circle"):
        area.circles.append(_circle(circle.text or ""))
    for geocode in element.findall(_Q + "geocode"):
        area.geocodes.append((_text(geocode, "valueName"), _text(geocode, "value")))
    return area


def _info(element: etree._Element) -> CapInfo:
    return CapInfo(
        language=_text(element, "language") or "en-US",  # CAP's stated default
        categories=[(c.text or "").strip() for c in element.findall(_Q + "category")],
        event=_text(element, "event"),
        urgency=_text(element, "urgency"),
        severity=_text(element, "severity"),
        certainty=_text(element, "certainty"),
        headline=_text(element, "headline"),
        description=_text(element, "description"),
        instruction=_text(element, "instruction"),
        effective=_time(element, "effective"),
        onset=_time(element, "onset"),
        expires=_time(element, "expires"),
        areas=[_area(a) for a in element.findall(_Q + "area")],
    )


def parse(data: bytes) -> CapMessage:
    """A CAP 1.2 message from its bytes, or InvalidInput with a specific code."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(_("The body is not well-formed XML."), code="cap_malformed", details=str(exc)) from None
    if root.getroottree().docinfo.doctype:
        # CAP has no DTD; a DOCTYPE only ever carries entity tricks.
        raise InvalidInput(_("CAP documents may not have a DOCTYPE."), code="cap_doctype_forbidden")
    if root.tag != _Q + "alert":
        raise InvalidInput(_("This is not a CAP 1.2 alert."), code="cap_not_cap12", details={"root": str(root.tag)})
    validator = schema()
    try:
        valid = validator.validate(root)
    except etree.XMLSchemaValidateError as exc:
        raise InvalidInput(
            _("The document does not match the CAP 1.2 schema."), code="cap_invalid", details=str(exc)
        ) from None
    if not valid:
        errors = [f"line {e.line}: {e.message}" for e in list(validator.error_log)[:5]]
        raise InvalidInput(_("The document does not match the CAP 1.2 schema."), code="cap_invalid", details=errors)
    try:
        references = [Reference(*triple.split(",", 2)) for triple in _text(root, "references").split()]
        return CapMessage(
            identifier=_text(root, "identifier"),
            sender=_text(root, "sender"),
            sent=datetime.fromisoformat(_text(root, "sent")),
            status=_text(root, "status"),
            msg_type=_text(root, "msgType"),
            scope=_text(root, "scope"),
            references=references,
            infos=[_info(i) for i in root.findall(_Q + "info")],
            note=_text(root, "note"),
        )
    except (ValueError, TypeError) as exc:  # e.g. a polygon point without a comma, or an open ring
        raise InvalidInput(_("The document has a malformed value."), code="cap_invalid", details=str(exc)) from None


# --- building -------------------------------------------------------------------------------
def cap_time(value: datetime) -> str:
    """CAP's dateTime: seconds precision and an explicit offset (no 'Z'), in China time."""
    text = value.astimezone(_CHINA).strftime("%Y-%m-%dT%H:%M:%S%z")
    return f"{text[:-2]}:{text[-2:]}"


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, _Q + name)
    if text is not None:
        child.text = text
    return child


@dataclass
class OutArea:
    description: str
    circle: tuple[float, float, float] | None = None  # lat, lon, radius km
    geocodes: list[str] = field(default_factory=list)  # 12-digit division codes


@dataclass
class OutInfo:
    language: str
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str
    expires: datetime | None
    sender_name: str
    parameters: list[tuple[str, str]] = field(default_factory=list)
    area: OutArea | None = None


@dataclass
class OutMessage:
    identifier: str
    sender: str
    sent: datetime
    msg_type: str
    references: list[tuple[str, str, datetime]] = field(default_factory=list)
    note: str = ""
    infos: list[OutInfo] = field(default_factory=list)


GEOCODE_NAME = "CPEAS Geographic Code"  # what China's national early-warning CAP calls its 12-digit codes


def build(message: OutMessage) -> bytes:
    root = etree.Element(_Q + "alert", nsmap={None: NS})
    _sub(root, "identifier", message.identifier)
    _sub(root, "sender", message.sender)
    _sub(root, "sent", cap_time(message.sent))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", message.msg_type)
    _sub(root, "source", "Zhengqi")
    # Alerts are for registered responders, not the public at large.
    _sub(root, "scope", "Restricted")
    _sub(root, "restriction", "Zhengqi volunteer police and liaisons")
    if message.note:
        _sub(root, "note", message.note)
    if message.references:
        _sub(root, "references", " ".join(f"{s},{i},{cap_time(t)}" for s, i, t in message.references))
    for info in message.infos:
        node = _sub(root, "info")
        _sub(node, "language", info.language)
        _sub(node, "category", info.category)
        _sub(node, "event", info.event)
        _sub(node, "urgency", info.urgency)
        _sub(node, "severity", info.severity)
        _sub(node, "certainty", info.certainty)
        if info.expires is not None:
            _sub(node, "expires", cap_time(info.expires))
        _sub(node, "senderName", info.sender_name)
        _sub(node, "headline", info.headline)
        if info.description:
            _sub(node, "description", info.description)
        if info.instruction:
            _sub(node, "instruction", info.instruction)
        for name, value in info.parameters:
            parameter = _sub(node, "parameter")
            _sub(parameter, "valueName", name)
            _sub(parameter, "value", value)
        if info.area is not None:
            area = _sub(node, "area")
            _sub(area, "areaDesc", info.area.description)
            if info.area.circle is not None:
                lat, lon, radius_km = info.area.circle
                _sub(area, "circle", f"{lat:.6f},{lon:.6f} {radius_km:.3f}")
            for code in info.area.geocodes:
                geocode = _sub(area, "geocode")
                _sub(geocode, "valueName", GEOCODE_NAME)
                _sub(geocode, "value", code.ljust(12, "0"))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
