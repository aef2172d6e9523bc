"""Building liaison spreadsheets for the import tests and the benchmark."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from tests.factories import valid_id_number, valid_phone

HEADER = ["序号", "姓名", "手机号", "身份证号", "行业", "单位", "所属乡镇/街道", "工作时段"]
# 淇县's townships (the importer in these tests is 淇县's coordinator).
QIXIAN_TOWNSHIPS = ["朝歌街道", "桥盟街道", "卫都街道", "灵山街道", "高村镇", "北阳镇", "西岗镇", "庙口镇", "黄洞乡"]
SECTOR_NAMES = ["公共交通", "环卫", "城市管理", "物业管理", "外卖配送", "快递物流", "医院", "学校"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"


def name_for(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n // 3) % len(GIVEN)] + GIVEN[(n // 7) % len(GIVEN)]


def liaison_row(n: int, *, townships: Sequence[str] = QIXIAN_TOWNSHIPS) -> list[str]:
    sector = SECTOR_NAMES[n % len(SECTOR_NAMES)]
    shifts = "10:00-14:00;17:00-21:00" if sector == "外卖配送" else ""
    return [
        str(n),
        name_for(n),
        valid_phone(50_000 + n),
        valid_id_number(5_000 + n),
        sector,
        f"淇县{sector}{n % 3 + 1}队",
        townships[n % len(townships)],
        shifts,
    ]


def to_csv(rows: Sequence[Sequence[str]], *, encoding: str = "utf-8", bom: bool = False) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def to_xlsx(rows: Sequence[Sequence[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        # Phones typed into Excel are numbers; IDs are text (18 digits overflow a float).
        sheet.append([int(row[0]), row[1], int(row[2]), *row[3:]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
