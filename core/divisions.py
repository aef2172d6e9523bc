"""Loading the official divisions (codes, names, centres, county boundaries) shipped in core/data/hebi/.

Used by a data migration (so every database, test ones included, has the real
geography) and by `manage.py load_areas` to refresh it. Idempotent.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data" / "hebi"
_PREFIX_LENGTH = {"city": 4, "county": 6, "township": 9, "village": 12}


def read_divisions(data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    """Rows ordered parents first, each with its boundary geometry where one is shipped."""
    with (data_dir / "counties.geojson").open(encoding="utf-8") as fh:
        boundaries = {f["properties"]["code"]: f["geometry"] for f in json.load(fh)["features"]}
    with (data_dir / "divisions.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    codes = {row["code"] for row in rows}
    divisions = []
    for row in rows:
        if row["datum"] != "WGS-84":
            raise ValueError(f"division {row['code']} is not in WGS-84")
        divisions.append(
            {
                "code": row["code"],
                "name": row["name"],
                "level": row["level"],
                "parent_id": row["parent_code"] if row["parent_code"] in codes else None,
                "prefix": row["code"][: _PREFIX_LENGTH[row["level"]]],
                "lat": float(row["lat"]),
                "lon": float(row["lon"]),
                "boundary": boundaries.get(row["code"]),
            }
        )
    order = list(_PREFIX_LENGTH)
    divisions.sort(key=lambda d: (order.index(str(d["level"])), str(d["code"])))
    return divisions


def load_divisions(area_model: Any, boundary_model: Any = None) -> int:
    """Create or update every shipped division, and with `boundary_model` their outlines; returns how many.

    (Migration 0002 loaded the divisions before outlines had a model of their own: 0007 adds them.)
    """
    divisions = read_divisions()
    for division in divisions:
        code, geometry = division.pop("code"), division.pop("boundary")
        area, _created = area_model.objects.update_or_create(code=code, defaults=division)
        if boundary_model is None:
            continue
        if geometry:
            boundary_model.objects.update_or_create(area=area, defaults={"geometry": geometry})
        else:
            boundary_model.objects.filter(area=area).delete()
    return len(divisions)
