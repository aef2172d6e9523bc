from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self) -> None:
        from core.access import register_access_closer
        from realtime.events import close_sockets_of

        register_access_closer(close_sockets_of)
