"""One production server process: `make serve PORT=N` runs `manage.py serve --port N`.

uvicorn with uvloop, httptools and the sans-I/O websockets protocol, chosen
from the fan-out benchmark (docs/BENCHMARKS.md, "Real-time fan-out"): at
2,000 phones the last one had an event after 112 ms against daphne's 187 ms,
with slightly less memory per socket. It neither migrates nor seeds; several
processes on different ports share Redis and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from realtime.protocol import MAX_FRAME_BYTES


class Command(BaseCommand):
    help = "Run one production ASGI server process (uvicorn + uvloop) on HOST:PORT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        uvicorn.run(
            "core.asgi:application",
            host=options["host"],
            port=options["port"],
            loop="uvloop",
            http="httptools",
            ws="websockets-sansio",
            # The consumer answers frames over 64 KiB with 4413; the server cuts
            # anything beyond twice that (1009) before buffering it.
            ws_max_size=2 * MAX_FRAME_BYTES,
            ws_per_message_deflate=False,  # compression costs ~64 KiB of zlib state per socket
            ws_ping_interval=20,
            ws_ping_timeout=20,
            lifespan="off",
            proxy_headers=True,
            forwarded_allow_ips=settings.ZHENGQI_FORWARDED_ALLOW_IPS,
            backlog=4096,
            access_log=False,
            log_config=None,  # Django's LOGGING (structured) stays in charge
            timeout_graceful_shutdown=5,
        )
