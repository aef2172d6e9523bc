"""The sectors liaisons are recruited from, with the shifts they normally work (seeded, extensible)."""

from __future__ import annotations

from datetime import time
from typing import Any

# code, Chinese name, English name, the employer kind a new employer of this sector gets.
SECTORS: tuple[tuple[str, str, str, str], ...] = (
    ("transit", "公共交通", "Public transit", "bus_company"),
    ("sanitation", "环卫", "Sanitation", "sanitation_crew"),
    ("city_management", "城市管理", "City management", "city_management_team"),
    ("property", "物业管理", "Property management", "property_company"),
    ("food_delivery", "外卖配送", "Food delivery", "delivery_station"),
    ("express", "快递物流", "Express courier", "courier_depot"),
    ("hospital", "医院", "Hospitals", "hospital"),
    ("school", "学校", "Schools", "school"),
)

# Other names a spreadsheet may use for a sector (matched after code and the names above).
ALIASES: dict[str, str] = {
    "公交": "transit",
    "出租车": "transit",
    "城管": "city_management",
    "物业": "property",
    "外卖": "food_delivery",
    "骑手": "food_delivery",
    "快递": "express",
    "物流": "express",
    "医疗": "hospital",
    "教育": "school",
}

# When each sector is normally out (Asia/Shanghai): the seeded SectorShift rows.
DEFAULT_SHIFTS: dict[str, tuple[tuple[time, time], ...]] = {
    "transit": ((time(6), time(21)),),
    "sanitation": ((time(5), time(11)), (time(14), time(18))),
    "city_management": ((time(8), time(18)),),
    "property": ((time(8), time(20)),),
    "food_delivery": ((time(10), time(14)), (time(17), time(21))),
    "express": ((time(8), time(12)), (time(14), time(19))),
    "hospital": ((time(8), time(17, 30)), (time(20), time(8))),
    "school": ((time(7), time(17)),),
}

CITY_CODE = "410600"


def seed_sectors(sector_model: Any, shift_model: Any, target_model: Any, area_model: Any) -> None:
    """Create the eight sectors, their usual shifts and a city-wide target of one liaison per sector. Idempotent."""
    for order, (code, zh, en, _kind) in enumerate(SECTORS):
        sector_model.objects.update_or_create(code=code, defaults={"name_zh": zh, "name_en": en, "order": order})
        for starts, ends in DEFAULT_SHIFTS[code]:
            shift_model.objects.get_or_create(sector_id=code, starts=starts, ends=ends)
    if area_model.objects.filter(code=CITY_CODE).exists():
        for code, *_rest in SECTORS:
            target_model.objects.get_or_create(area_id=CITY_CODE, sector_id=code, defaults={"min_liaisons": 1})


def employer_kind_for(sector_code: str) -> str:
    return next((kind for code, _zh, _en, kind in SECTORS if code == sector_code), "other")
