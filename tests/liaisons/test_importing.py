"""Importing liaisons from spreadsheets: per-row report, all or nothing, idempotent, encodings, limits."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest

from core.errors import InvalidInput, PayloadTooLarge
from core.models import AuditEntry, Person, RoleGrant
from liaisons.importing import common_area
from liaisons.models import Employer, Liaison, ShiftWindow
from liaisons.services import liaison_import
from tests.conftest import QIXIAN, QIXIAN_TOWNSHIP
from tests.factories import valid_id_number, valid_phone
from tests.liaisons.sheets import liaison_row, name_for, to_csv, to_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(make_person: Callable[..., Person]) -> Person:
    return make_person("county_coordinator", QIXIAN)


def _two_hundred_rows_with_seven_bad(existing_phone: str) -> tuple[list[list[str]], dict[int, tuple[str, str]]]:
    rows = [liaison_row(n) for n in range(200)]
    bad: dict[int, tuple[str, str]] = {}

    def spoil(index: int, column: int, value: str, field: str, code: str) -> None:
        rows[index][column] = value
        bad[index + 2] = (field, code)  # line numbers: the header is line 1

    spoil(3, 2, "1380013800", "phone", "invalid_phone")
    id_number = rows[17][3]
    spoil(17, 3, id_number[:-1] + ("0" if id_number[-1] != "0" else "1"), "id_number", "invalid_id_number")
    spoil(42, 6, "不存在镇", "township", "unknown_township")
    spoil(64, 4, "航天", "sector", "unknown_sector")
    rows[99][2], rows[99][3] = rows[98][2], rows[98][3]  # the person on line 100 again on line 101
    bad[101] = ("id_number", "duplicate_in_file")
    spoil(120, 2, existing_phone, "phone", "duplicate_in_database")
    spoil(150, 6, "善堂镇", "township", "unknown_township")  # a 浚县 township: outside 淇县's jurisdiction
    return rows, bad


def test_a_dry_run_names_exactly_the_seven_bad_rows_and_why(
    coordinator: Person, make_person: Callable[..., Person]
) -> None:
    someone = make_person("volunteer", "410622101")
    rows, bad = _two_hundred_rows_with_seven_bad(someone.phone)

    report = liaison_import(actor=coordinator.user, content=to_csv(rows), dry_run=True)

    assert (report.rows, report.valid, report.created) == (200, 193, 193)
    assert {e.row: (e.field, e.code) for e in report.errors} == bad
    assert len(report.errors) == 7
    assert Liaison.objects.count() == 0


def test_the_real_run_refuses_a_file_with_bad_rows_and_writes_nothing(
    coordinator: Person, make_person: Callable[..., Person]
) -> None:
    someone = make_person("volunteer", "410622101")
    rows, bad = _two_hundred_rows_with_seven_bad(someone.phone)
    people_before = Person.objects.count()

    with pytest.raises(InvalidInput) as refused:
        liaison_import(actor=coordinator.user, content=to_csv(rows), dry_run=False)

    assert refused.value.code == "import_has_errors"
    assert [e["row"] for e in refused.value.details["errors"]] == sorted(bad)
    assert Person.objects.count() == people_before
    assert (Liaison.objects.count(), Employer.objects.count(), ShiftWindow.objects.count()) == (0, 0, 0)


def test_skipping_invalid_rows_imports_the_valid_ones_and_reports_the_rest(
    coordinator: Person, make_person: Callable[..., Person]
) -> None:
    someone = make_person("volunteer", "410622101")
    rows, bad = _two_hundred_rows_with_seven_bad(someone.phone)

    report = liaison_import(actor=coordinator.user, content=to_csv(rows), dry_run=False, skip_invalid=True)

    assert (report.rows, report.valid, report.created, report.updated) == (200, 193, 193, 0)
    assert {e.row: (e.field, e.code) for e in report.errors} == bad
    assert Liaison.objects.count() == 193
    assert not Liaison.objects.filter(person__phone=rows[3][2]).exists()
    audit = AuditEntry.objects.get(action="liaison_import")
    assert (audit.details["created"], audit.details["skipped"]) == (193, 7)


def test_the_fixed_file_imports_and_importing_it_again_changes_nothing(coordinator: Person) -> None:
    content = to_csv([liaison_row(n) for n in range(200)])

    first = liaison_import(actor=coordinator.user, content=content, dry_run=False)
    stamps = dict(Person.objects.values_list("pk", "updated_at"))
    counts = (Person.objects.count(), Liaison.objects.count(), ShiftWindow.objects.count(), RoleGrant.objects.count())
    again = liaison_import(actor=coordinator.user, content=content, dry_run=False)

    assert (first.created, first.updated, first.unchanged, first.errors) == (200, 0, 0, [])
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 200, [])
    assert counts == (
        Person.objects.count(),
        Liaison.objects.count(),
        ShiftWindow.objects.count(),
        RoleGrant.objects.count(),
    )
    assert dict(Person.objects.values_list("pk", "updated_at")) == stamps
    assert Liaison.objects.filter(sector_id="food_delivery").count() == 25
    rider = Liaison.objects.get(person__phone=liaison_row(4)[2])
    assert (rider.person.name, rider.person.home_area_id, rider.employer.name) == (
        liaison_row(4)[1],
        "410622101",
        "淇县外卖配送2队",
    )
    assert sorted(str(s) for s in rider.shifts.all()) == ["10:00-14:00", "17:00-21:00"]
    cleaner = Liaison.objects.get(person__phone=liaison_row(1)[2])
    assert (cleaner.shifts.count(), cleaner.effective_shifts()) == (0, ["05:00-11:00", "14:00-18:00"])
    assert rider.person.user.role_grants.get().role == "liaison"


def test_a_reimport_with_a_changed_row_updates_only_that_person(coordinator: Person) -> None:
    rows = [liaison_row(n) for n in range(5)]
    liaison_import(actor=coordinator.user, content=to_csv(rows), dry_run=False)
    rows[2][1] = "改名字"
    rows[2][6] = "黄洞乡"

    report = liaison_import(actor=coordinator.user, content=to_csv(rows), dry_run=False)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 4)
    person = Person.objects.get(phone=rows[2][2])
    assert (person.name, person.home_area_id) == ("改名字", "410622202")


def test_a_gbk_csv_imports_with_correct_chinese_names(coordinator: Person) -> None:
    rows = [liaison_row(n) for n in range(3)]
    rows[0][1], rows[1][1], rows[2][1] = "欧阳淇滨", "司马鹤壁", "诸葛朝歌"

    report = liaison_import(actor=coordinator.user, content=to_csv(rows, encoding="gbk"), dry_run=False)

    assert report.created == 3
    assert sorted(Person.objects.filter(liaison__isnull=False).values_list("name", flat=True)) == sorted(
        ["欧阳淇滨", "司马鹤壁", "诸葛朝歌"]
    )


def test_a_utf8_csv_with_a_byte_order_mark_imports(coordinator: Person) -> None:
    report = liaison_import(actor=coordinator.user, content=to_csv([liaison_row(1)], bom=True), dry_run=False)

    assert (report.created, report.errors) == (1, [])


def test_an_xlsx_with_numeric_phone_cells_imports(coordinator: Person) -> None:
    rows = [liaison_row(n) for n in range(4)]

    report = liaison_import(actor=coordinator.user, content=to_xlsx(rows), dry_run=False)

    assert (report.created, report.errors) == (4, [])
    assert set(Person.objects.filter(liaison__isnull=False).values_list("phone", flat=True)) == {r[2] for r in rows}


def test_a_sheet_without_the_id_number_column_is_refused(coordinator: Person) -> None:
    content = "姓名,手机号,行业,所属乡镇/街道\n张三,13800138000,环卫,高村镇\n".encode()

    with pytest.raises(InvalidInput) as refused:
        liaison_import(actor=coordinator.user, content=content, dry_run=True)

    assert (refused.value.code, refused.value.details) == ("missing_columns", {"missing": ["身份证号"]})


def _zip_without_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    return out.getvalue()


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 not really a zip", _zip_without_a_workbook(), b"\x81\x30\xff\xfe\xfd" * 50, b"\x00\x01binary"],
    ids=["broken zip", "zip without a workbook", "neither utf-8 nor gbk", "binary"],
)
def test_a_file_that_is_neither_text_nor_a_workbook_is_unreadable(coordinator: Person, content: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        liaison_import(actor=coordinator.user, content=content, dry_run=True)

    assert refused.value.code == "unreadable_file"


def test_a_file_over_the_size_limit_is_refused_with_a_clear_error(coordinator: Person, settings: object) -> None:
    settings.API_MAX_UPLOAD_BYTES = 2048  # type: ignore[attr-defined]
    content = to_csv([liaison_row(n) for n in range(40)])

    with pytest.raises(PayloadTooLarge) as refused:
        liaison_import(actor=coordinator.user, content=content, dry_run=True)

    assert (refused.value.code, refused.value.details) == ("import_too_large", {"max_bytes": 2048})


def test_a_file_over_the_row_limit_is_refused(coordinator: Person, settings: object) -> None:
    settings.LIAISON_IMPORT_MAX_ROWS = 10  # type: ignore[attr-defined]

    with pytest.raises(PayloadTooLarge) as refused:
        liaison_import(actor=coordinator.user, content=to_csv([liaison_row(n) for n in range(11)]), dry_run=True)

    assert refused.value.code == "too_many_rows"


def test_a_person_registered_in_another_county_is_a_database_duplicate(
    coordinator: Person, make_person: Callable[..., Person]
) -> None:
    row = liaison_row(7)
    make_person("volunteer", "410621101", id_number=valid_id_number(5_007))

    report = liaison_import(actor=coordinator.user, content=to_csv([row]), dry_run=True)

    assert [(e.row, e.field, e.code) for e in report.errors] == [(2, "id_number", "duplicate_in_database")]


def test_a_volunteer_in_the_jurisdiction_becomes_a_liaison_by_id_number(
    coordinator: Person, make_person: Callable[..., Person]
) -> None:
    row = liaison_row(7)
    volunteer = make_person("volunteer", "410622101", id_number=valid_id_number(5_007), phone=row[2])

    report = liaison_import(actor=coordinator.user, content=to_csv([row]), dry_run=False)

    assert (report.created, report.updated) == (0, 1)
    assert Liaison.objects.get().person_id == volunteer.pk
    assert sorted(volunteer.user.role_grants.values_list("role", flat=True)) == ["liaison", "volunteer"]


def test_progress_is_reported_for_every_row(coordinator: Person) -> None:
    ticks: list[int] = []

    liaison_import(
        actor=coordinator.user, content=to_csv([liaison_row(n) for n in range(12)]), dry_run=True, progress=ticks.append
    )

    assert sum(ticks) == 12


def test_a_real_import_is_audited_in_the_narrowest_area_covering_its_rows(coordinator: Person) -> None:
    liaison_import(actor=coordinator.user, content=to_csv([liaison_row(n) for n in range(3)]), dry_run=False)

    entry = AuditEntry.objects.get(object_type="liaison_import")
    assert (entry.action, entry.actor_id, entry.area_code, entry.details) == (
        "liaison_import",
        coordinator.user_id,
        QIXIAN,
        {"rows": 3, "created": 3, "updated": 0, "skipped": 0},
    )


def test_common_area_cuts_to_a_real_division_level() -> None:
    assert common_area(["410622001", "410622002"]) == "410622"
    assert common_area(["410622001", "410621101"]) == "4106"
    assert common_area(["410622101"]) == "410622101"
    assert common_area([]) == ""


OUTRANKS_MESSAGE = "此人担任超出您辖区的职务，请联系该级别的协调员处理。"  # zh-Hans is the default language


@pytest.fixture
def township_people(make_person: Callable[..., Person]) -> dict[str, Person]:
    """高村镇's coordinator, 淇县's coordinator (who lives in 高村镇) and a member of 高村镇, with rows 1-3's IDs."""
    return {
        "boss": make_person(
            "county_coordinator", QIXIAN, home=QIXIAN_TOWNSHIP, id_number=valid_id_number(5_001), name="县协调员"
        ),
        "member": make_person("volunteer", QIXIAN_TOWNSHIP, id_number=valid_id_number(5_002), name="普通成员"),
        "township": make_person(
            "township_coordinator", QIXIAN_TOWNSHIP, id_number=valid_id_number(5_003), name="镇协调员"
        ),
    }


def _gaocun_rows() -> bytes:
    return to_csv([liaison_row(n, townships=["高村镇"]) for n in (1, 2, 3)])


def test_a_row_matching_someone_who_outranks_the_importer_is_refused_in_the_dry_run(
    township_people: dict[str, Person],
) -> None:
    importer = township_people["township"]

    report = liaison_import(actor=importer.user, content=_gaocun_rows(), dry_run=True)

    assert [(e.row, e.field, e.code, e.message) for e in report.errors] == [
        (2, "id_number", "person_outranks_actor", OUTRANKS_MESSAGE)
    ]
    assert (report.rows, report.valid, report.created) == (3, 2, 0)


def test_the_real_run_refuses_a_file_with_a_row_matching_someone_who_outranks_the_importer(
    township_people: dict[str, Person],
) -> None:
    importer, boss = township_people["township"], township_people["boss"]

    with pytest.raises(InvalidInput) as refused:
        liaison_import(actor=importer.user, content=_gaocun_rows(), dry_run=False)

    assert refused.value.code == "import_has_errors"
    assert [(e["row"], e["code"]) for e in refused.value.details["errors"]] == [(2, "person_outranks_actor")]
    assert Liaison.objects.count() == 0
    boss.refresh_from_db()
    assert boss.name == "县协调员"


def test_skipping_invalid_rows_leaves_the_person_who_outranks_the_importer_untouched(
    township_people: dict[str, Person],
) -> None:
    importer, boss, member = township_people["township"], township_people["boss"], township_people["member"]
    boss_before = (boss.name, boss.phone, boss.home_area_id, boss.updated_at)

    report = liaison_import(actor=importer.user, content=_gaocun_rows(), dry_run=False, skip_invalid=True)

    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    assert [(e.row, e.code) for e in report.errors] == [(2, "person_outranks_actor")]
    boss.refresh_from_db()
    assert (boss.name, boss.phone, boss.home_area_id, boss.updated_at) == boss_before
    assert not Liaison.objects.filter(person=boss).exists()
    assert list(boss.user.role_grants.values_list("role", flat=True)) == ["county_coordinator"]
    # An ordinary member of the township is still the township's to update.
    member.refresh_from_db()
    assert (member.name, member.phone, member.home_area_id) == (name_for(2), valid_phone(50_002), QIXIAN_TOWNSHIP)
    assert Liaison.objects.get(person=member).sector_id == "city_management"


def test_the_county_coordinator_updates_the_same_rows_including_the_township_coordinator(
    township_people: dict[str, Person], coordinator: Person
) -> None:
    boss, township = township_people["boss"], township_people["township"]

    report = liaison_import(actor=coordinator.user, content=_gaocun_rows(), dry_run=False)

    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 3, 0, [])
    boss.refresh_from_db()
    township.refresh_from_db()
    assert (boss.name, boss.phone) == (name_for(1), valid_phone(50_001))
    assert (township.name, township.phone) == (name_for(3), valid_phone(50_003))
