"""manage.py import_liaisons: the same import from the shell, dry run unless --commit."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core.models import Person
from liaisons.models import Liaison
from tests.conftest import QIXIAN
from tests.liaisons.sheets import liaison_row, to_csv

pytestmark = pytest.mark.django_db


def test_the_command_dry_runs_then_commits(make_person: Callable[..., Person], tmp_path: Path) -> None:
    actor = make_person("county_coordinator", QIXIAN)
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(to_csv([liaison_row(n) for n in range(6)], encoding="gbk"))
    out = io.StringIO()

    call_command("import_liaisons", str(sheet), "--as", actor.user.username, "--no-progress", stdout=out)
    assert Liaison.objects.count() == 0
    call_command("import_liaisons", str(sheet), "--as", actor.user.username, "--commit", "--no-progress", stdout=out)

    assert Liaison.objects.count() == 6
    assert out.getvalue().splitlines() == [
        "dry run: 6 rows, 6 valid, 6 new, 0 updated, 0 unchanged, 0 problems",
        "imported: 6 rows, 6 valid, 6 new, 0 updated, 0 unchanged, 0 problems",
    ]


def test_the_command_refuses_bad_rows_on_commit(make_person: Callable[..., Person], tmp_path: Path) -> None:
    actor = make_person("county_coordinator", QIXIAN)
    rows = [liaison_row(n) for n in range(3)]
    rows[1][2] = "1"
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(to_csv(rows))
    err = io.StringIO()

    with pytest.raises(CommandError, match="import_has_errors"):
        call_command(
            "import_liaisons", str(sheet), "--as", actor.user.username, "--commit", "--no-progress", stderr=err
        )

    assert err.getvalue().startswith("line 3: phone: invalid_phone")
    assert Liaison.objects.count() == 0
