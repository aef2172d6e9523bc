from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.divisions import load_divisions
from core.models import Area, AreaBoundary


class Command(BaseCommand):
    help = "Load or refresh the official divisions shipped in core/data/hebi/ (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = load_divisions(Area, AreaBoundary)
        self.stdout.write(self.style.SUCCESS(f"{count} divisions loaded"))
