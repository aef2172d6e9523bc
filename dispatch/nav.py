"""Navigation links for Chinese map apps, each in its provider's datum (Amap: GCJ-02, Baidu: BD-09)."""

from __future__ import annotations

from urllib.parse import urlencode

from core.geo import Datum, from_wgs84


def amap_link(*, lat: float, lon: float, name: str) -> str:
    point = from_wgs84(lat, lon, Datum.GCJ02)
    query = urlencode({"position": f"{point.lon:.6f},{point.lat:.6f}", "name": name, "src": "zhengqi"})
    return f"https://uri.amap.com/marker?{query}"


def baidu_link(*, lat: float, lon: float, name: str) -> str:
    point = from_wgs84(lat, lon, Datum.BD09)
    query = urlencode(
        {
            "location": f"{point.lat:.6f},{point.lon:.6f}",
            "title": name,
            "content": name,
            "coord_type": "bd09ll",
            "output": "html",
            "src": "zhengqi",
        }
    )
    return f"https://api.map.baidu.com/marker?{query}"
