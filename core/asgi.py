"""ASGI entry point: HTTP through Django, WebSockets through realtime's routes."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs Django set up first)
from django.conf import settings  # noqa: E402

from core.jobs import start_background_jobs  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

if settings.JOBS_IN_PROCESS:
    # Each server process also runs the periodic jobs; jobs claim work atomically,
    # so several processes never do the same work twice.
    start_background_jobs()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
