"""The staff dashboard (/dashboard/): a shell; its data comes from /api/v1 and /ws/v1/dashboard."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


@login_required
def shell(request: HttpRequest) -> HttpResponse:
    tiles = {
        "url": settings.MAP_TILE_URL,
        "datum": settings.MAP_TILE_DATUM,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    return render(request, "web/dashboard.html", {"tiles": tiles})


urlpatterns = [
    path("", shell, name="dashboard"),
]
