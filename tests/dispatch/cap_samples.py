"""Helpers for the CAP tests: the shipped samples, moved into Hebi or re-typed, as bytes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lxml import etree
from shapely.geometry import Polygon

SAMPLES = Path(__file__).resolve().parents[2] / "dispatch" / "data" / "cap"
NS = "urn:oasis:names:tc:emergency:cap:1.2"
Q = "{%s}" % NS  # noqa: UP031
ALL = sorted(p.name for p in SAMPLES.glob("*.xml"))
HEBI = (35.74, 114.29)  # 淇滨区, near the city centre
HEBI_GEOCODE = "410611000000"  # 淇滨区 as a 12-digit division code


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _dump(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _shift(text: str, dlat: float, dlon: float) -> str:
    pairs = [p.split(",") for p in text.split()]
    return " ".join(f"{float(lat) + dlat:.4f},{float(lon) + dlon:.4f}" for lat, lon in pairs)


def move_into_hebi(data: bytes, *, to: tuple[float, float] = HEBI) -> bytes:
    """The same message with every area moved so its first shape is centred on `to`.

    Polygons and circles are translated (shape and size kept); a geocode-only or
    description-only area gets Hebi's 12-digit division code, as China's CAP feed would.
    """
    root = _tree(data)
    areas = root.iter(Q + "area")
    first_polygon = root.find(f".//{Q}polygon")
    first_circle = root.find(f".//{Q}circle")
    if first_polygon is not None:
        ring = [tuple(map(float, p.split(","))) for p in (first_polygon.text or "").split()]
        centre = Polygon([(lon, lat) for lat, lon in ring]).centroid
        dlat, dlon = to[0] - centre.y, to[1] - centre.x
    elif first_circle is not None:
        lat, lon = map(float, (first_circle.text or "").split()[0].split(","))
        dlat, dlon = to[0] - lat, to[1] - lon
    else:
        dlat = dlon = 0.0
    for area in areas:
        shapes = area.findall(Q + "polygon") + area.findall(Q + "circle")
        for polygon in area.findall(Q + "polygon"):
            polygon.text = _shift(polygon.text or "", dlat, dlon)
        for circle in area.findall(Q + "circle"):
            point, radius = (circle.text or "").split()
            circle.text = f"{_shift(point, dlat, dlon)} {radius}"
        if not shapes:
            for geocode in area.findall(Q + "geocode"):
                area.remove(geocode)
            geocode = etree.SubElement(area, Q + "geocode")
            etree.SubElement(geocode, Q + "valueName").text = "CPEAS Geographic Code"
            etree.SubElement(geocode, Q + "value").text = HEBI_GEOCODE
    return _dump(root)


def as_original(data: bytes, *, identifier: str, sender: str | None = None) -> bytes:
    """An Alert that an Update or Cancel sample could reference: same content, msgType Alert, no references."""
    root = _tree(data)
    root.find(Q + "identifier").text = identifier
    if sender is not None:
        root.find(Q + "sender").text = sender
    root.find(Q + "msgType").text = "Alert"
    references = root.find(Q + "references")
    if references is not None:
        root.remove(references)
    return _dump(root)


def with_expiry(data: bytes, expires: datetime) -> bytes:
    root = _tree(data)
    text = expires.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    for element in root.iter(Q + "expires"):
        element.text = text
    return _dump(root)


def referenced_identifiers(data: bytes) -> list[tuple[str, str]]:
    root = _tree(data)
    return [tuple(t.split(",")[:2]) for t in (root.findtext(Q + "references") or "").split()]  # type: ignore[misc]


def plain_alert(*, identifier: str, sender: str, area: str) -> bytes:
    """A minimal Chinese-style CAP Alert whose only area is a set of 12-digit geocodes."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{NS}">
  <identifier>{identifier}</identifier><sender>{sender}</sender><sent>2026-07-20T08:00:00+08:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info>
    <language>zh-CN</language><category>Met</category><event>暴雨橙色预警</event>
    <urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <expires>2099-07-21T08:00:00+08:00</expires>
    <headline>鹤壁市气象台发布暴雨橙色预警</headline><description>预计未来6小时降雨量将达50毫米以上。</description>
    <area><areaDesc>测试区域</areaDesc>{area}</area>
  </info>
</alert>""".encode()


def geocode(value: str) -> str:
    return f"<geocode><valueName>CPEAS Geographic Code</valueName><value>{value}</value></geocode>"
