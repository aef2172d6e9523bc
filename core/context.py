"""Per-request context that audit entries need (the client's address), without threading it through every service."""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

_client_ip: ContextVar[str | None] = ContextVar("zhengqi_client_ip", default=None)


def client_ip_of(meta: dict[str, str]) -> str | None:
    """REMOTE_ADDR, or the address the trusted proxies saw (ZHENGQI_PROXY_COUNT of them)."""
    proxies = settings.AXES_IPWARE_PROXY_COUNT
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return meta.get("REMOTE_ADDR") or None


def set_client_ip(ip: str | None) -> None:
    _client_ip.set(ip)


def client_ip() -> str | None:
    return _client_ip.get()


def bind_request(request: HttpRequest) -> None:
    set_client_ip(client_ip_of(request.META))
