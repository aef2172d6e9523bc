"""Every HTTP endpoint and WebSocket route the project serves, read from the URL configuration itself.

The jurisdiction matrix and the data sweeps iterate over these, so an endpoint added
anywhere (a ninja router, a Django URL pattern, a socket route) is picked up the moment
it is mounted, and a test fails until someone says what it should do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from ninja.utils import normalize_path, replace_path_param_notation

from core.api import api

API_ROOT = "api/v1/"
API_NAMESPACE = api.urls_namespace  # ninja's own URLs (openapi.json, docs, root) live here too


@dataclass(frozen=True, order=True)
class Endpoint:
    method: str  # "GET", "POST", ...; "*" for a Django view whose methods are its own business
    route: str  # Django's route syntax, without the leading slash: "api/v1/alerts/<int:alert_id>"
    kind: str  # "api" (a ninja operation), "django" (any other URL pattern) or "ws"

    def __str__(self) -> str:
        return f"{self.method} /{self.route}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)


def api_operations() -> list[Endpoint]:
    """Each method of each path operation registered on core.api.api, with its full route."""
    found = set()
    for bound in api._get_bound_routers():
        prefix = replace_path_param_notation(bound.prefix)
        for path, view in bound.path_operations.items():
            route = normalize_path("/".join(p for p in (prefix, replace_path_param_notation(path)) if p)).lstrip("/")
            for operation in view.operations:
                for method in operation.methods:
                    found.add(Endpoint(method.upper(), API_ROOT + route, "api"))
    return sorted(found)


def _walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str | None) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            out += _walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
        else:
            out.append((prefix + str(pattern.pattern), namespace))
    return out


def django_patterns() -> list[Endpoint]:
    """Every URL pattern that is not one of the ninja operations above (pages, admin, redirects, docs)."""
    api_routes = {e.route for e in api_operations()}
    found = {
        Endpoint("*", route, "django")
        for route, namespace in _walk(get_resolver().url_patterns, "", None)
        if not (namespace == API_NAMESPACE and route in api_routes)
    }
    return sorted(found)


def websocket_routes() -> list[Endpoint]:
    from realtime.routing import websocket_urlpatterns

    return sorted(Endpoint("WS", str(p.pattern), "ws") for p in websocket_urlpatterns)


def all_endpoints() -> list[Endpoint]:
    return [*api_operations(), *django_patterns(), *websocket_routes()]
