"""The phone app (/m/): a PWA shell; everything else comes from /api/v1 and /ws/v1/phone."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


@login_required
def shell(request: HttpRequest) -> HttpResponse:
    return render(request, "web/phone.html")


urlpatterns = [
    path("", shell, name="phone"),
]
