"""Prune personal data past its retention (run daily, e.g. from cron): see core/retention.py."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core import retention


class Command(BaseCommand):
    help = "Delete stale positions, old acknowledged stream events, old audit entries, old tokens and login records."

    def handle(self, *args: Any, **options: Any) -> None:
        results = retention.run()
        for name, removed in results.items():
            self.stdout.write(f"{name}: {'FAILED (see the log)' if removed < 0 else f'{removed} removed'}")
        if any(removed < 0 for removed in results.values()):
            raise CommandError("some retention tasks failed")
