from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Zhengqi core"

    def ready(self) -> None:
        from core import lookups  # noqa: F401 (registers `__in_array`)

        if settings.DEMO_ACTIVITY:
            from core.demo_activity import TICK_S, demo_activity_tick
            from core.jobs import periodic

            periodic("demo_activity", every_s=TICK_S)(demo_activity_tick)
