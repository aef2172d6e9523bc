"""WebSocket routes (docs/PROTOCOL.md)."""

from __future__ import annotations

from django.urls import URLPattern, path

from realtime.consumers import DashboardConsumer, PhoneConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/v1/phone", PhoneConsumer.as_asgi()),
    path("ws/v1/dashboard", DashboardConsumer.as_asgi()),
]
