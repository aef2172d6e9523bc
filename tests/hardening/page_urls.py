"""Pages that exist only to prove the page policy of the jurisdiction matrix catches what it should."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from core.models import Person
from core.urls import urlpatterns as real
from dispatch.models import Alert
from dispatch.selectors import alert_get


def open_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<h1>anyone</h1>")


@login_required
def all_people(request: HttpRequest) -> HttpResponse:
    return HttpResponse("".join(p.name for p in Person.objects.all()))  # unscoped: leaks


@login_required
def any_alert(request: HttpRequest, alert_id: int) -> HttpResponse:
    return HttpResponse(Alert.objects.get(pk=alert_id).title)  # unscoped: leaks


@login_required
def scoped_alert(request: HttpRequest, alert_id: int) -> HttpResponse:
    try:
        return HttpResponse(alert_get(actor=request.user, alert_id=alert_id).title)  # type: ignore[arg-type]
    except Exception:
        return HttpResponse(status=404)


urlpatterns = [
    *real,
    path("demo/open/", open_page),
    path("demo/people/", all_people),
    path("demo/alerts/<int:alert_id>/", any_alert),
    path("demo/scoped/<int:alert_id>/", scoped_alert),
]
