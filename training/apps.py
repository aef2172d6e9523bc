from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"

    def seed_demo(self, population: Any) -> None:
        from training.demo import seed

        seed(population)
