from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from core.jobs import registered, run_due


class Command(BaseCommand):
    help = "Run periodic jobs (escalations, reminders, deadlines). Safe to run in several processes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--tick", type=float, default=1.0, help="seconds between checks (default 1)")
        parser.add_argument("--max-seconds", type=float, default=0, help="stop after this long (0: run until killed)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(repr(run_due(force=True)))
            return
        self.stdout.write(f"running jobs: {', '.join(sorted(registered())) or '(none)'}")
        deadline = time.monotonic() + options["max_seconds"] if options["max_seconds"] else None
        while deadline is None or time.monotonic() < deadline:
            close_old_connections()
            run_due()
            time.sleep(options["tick"])
