"""Delete acknowledged stream events older than ZHENGQI_STREAM_RETENTION_DAYS (run daily, e.g. from cron)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from realtime.services import streams_prune


class Command(BaseCommand):
    help = "Delete acknowledged real-time stream events older than the retention setting."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=settings.STREAM_RETENTION_DAYS, help="retention in days (default: the setting)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 1:
            self.stderr.write("--days must be at least 1")
            raise SystemExit(2)
        removed = streams_prune(older_than=timedelta(days=days))
        self.stdout.write(f"pruned {removed} acknowledged stream events older than {days} days")
