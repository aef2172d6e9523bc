"""Import liaisons from a CSV (UTF-8 or GBK) or XLSX file as a given staff user, with a progress bar.

manage.py import_liaisons sheet.xlsx --as county_410622            # dry run: report only
manage.py import_liaisons sheet.xlsx --as county_410622 --commit   # all rows or none
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from core.errors import ZhengqiError
from liaisons.services import liaison_import


class Command(BaseCommand):
    help = "Import liaisons from a spreadsheet, inside the given user's jurisdiction (dry run unless --commit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--as", dest="username", required=True, help="the importing staff user")
        parser.add_argument("--commit", action="store_true", help="write the rows (default: dry run)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = get_user_model().objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(f"no user {options['username']!r}")
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"no file {path}")
        with tqdm(desc="rows", unit=" rows", disable=options["no_progress"]) as bar:
            try:
                report = liaison_import(
                    actor=actor, content=path.read_bytes(), dry_run=not options["commit"], progress=bar.update
                )
            except ZhengqiError as exc:
                details = exc.details or {}
                for error in (details.get("errors") or [])[:50] if isinstance(details, dict) else []:
                    self.stderr.write(f"line {error['row']}: {error['field']}: {error['code']} ({error['message']})")
                raise CommandError(f"{exc.code}: {exc.message}") from None
        for error in report.errors[:50]:
            self.stderr.write(f"line {error.row}: {error.field}: {error.code} ({error.message})")
        self.stdout.write(
            f"{'dry run' if report.dry_run else 'imported'}: {report.rows} rows, {report.valid} valid, "
            f"{report.created} new, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.errors)} problems"
        )
