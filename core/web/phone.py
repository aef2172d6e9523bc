"""The phone app (/m/): a PWA shell; everything else comes from /api/v1 and /ws/v1/phone.

The manifest and the service worker are served from /m/ (not /static/) so that the
worker's scope is the app and nothing else. The worker's script embeds a version
derived from the static files it caches, so a deploy that changes them installs a new
worker and drops the old cache.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.models import DutyStatus, Person

# What the worker keeps for offline use, besides the page itself (/m/) and /jsi18n/.
SHELL_STATIC = (
    "web/base.css",
    "web/phone.css",
    "web/zq.js",
    "web/phone-store.js",
    "web/phone-alerts.js",
    "web/phone-duty.js",
    "web/phone-sessions.js",
    "web/phone.js",
    "web/icons/icon-192.png",
    "web/icons/icon.svg",
)
ICONS = (
    {"src": "web/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "web/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {"src": "web/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    {"src": "web/icons/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
)


@cache
def _shell_version() -> str:
    """A digest of the cached files: a new deploy means a new worker and a fresh cache."""
    digest = hashlib.sha256()
    for name in (*SHELL_STATIC, "web/sw.js"):
        found = finders.find(name)
        if isinstance(found, str):
            with open(found, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:12]


def _my_duty(request: HttpRequest) -> tuple[Person | None, DutyStatus | None]:
    if not request.user.is_authenticated:
        return None, None
    person = Person.objects.filter(user_id=request.user.pk, is_active=True).only("pk").first()
    return person, (DutyStatus.objects.filter(person=person).first() if person else None)


@login_required
def shell(request: HttpRequest) -> HttpResponse:
    # The page starts with the stored duty status: there is no GET for it, and the toggle must not lie.
    person, duty = _my_duty(request)
    boot = {
        "user_id": request.user.pk,
        "username": request.user.get_username(),
        "person_id": person.pk if person else None,
        "on_duty": bool(duty and duty.on_duty),
        "duty_changed_at": duty.changed_at.isoformat() if duty else None,
        "icon": static("web/icons/icon-192.png"),
        # The check-in form shows only while the server would take a code.
        "checkin_opens_min": settings.TRAINING_CHECKIN_OPENS_MIN,
    }
    return render(request, "web/phone.html", {"boot": boot})


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    body = {
        "name": _("Zhengqi volunteer alerts"),
        "short_name": _("Zhengqi"),
        "description": _("Alerts, duty and trainings for volunteer police and liaisons"),
        "lang": request.LANGUAGE_CODE,
        "start_url": reverse("web:phone"),
        "scope": reverse("web:phone"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f5f5f5",
        "theme_color": "#c62828",
        "icons": [{**icon, "src": static(icon["src"])} for icon in ICONS],
    }
    return JsonResponse(body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    found = finders.find("web/sw.js")
    assert isinstance(found, str), "core/static/web/sw.js is part of the app"
    with open(found, encoding="utf-8") as handle:
        script = handle.read()
    config = {
        "version": _shell_version(),
        "shell": reverse("web:phone"),
        "precache": [reverse("web:phone"), reverse("web:jsi18n"), *(static(name) for name in SHELL_STATIC)],
    }
    body = f"self.ZQ_SW = {json.dumps(config)};\n{script}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("web:phone")
    return response


urlpatterns = [
    path("", shell, name="phone"),
    path("manifest.webmanifest", manifest, name="phone_manifest"),
    path("sw.js", service_worker, name="phone_sw"),
]
