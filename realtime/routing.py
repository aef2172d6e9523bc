"""WebSocket routes (the consumers arrive with the real-time backbone)."""

from __future__ import annotations

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
