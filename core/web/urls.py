from __future__ import annotations

from django.urls import include, path
from django.views.decorators.gzip import gzip_page
from django.views.i18n import JavaScriptCatalog

from core.web import views

app_name = "web"

urlpatterns = [
    path("", views.front_door, name="front_door"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.sign_out, name="logout"),
    # The pages' scripts translate with the same catalogue as the server (gettext() in JS).
    # Compressed: ~65 KiB of mostly Django's own strings, ~15 KiB gzipped, on a phone's first
    # load (it holds no secret, so compression leaks nothing).
    path("jsi18n/", gzip_page(JavaScriptCatalog.as_view(domain="django")), name="jsi18n"),
    path("m/", include("core.web.phone")),
    path("dashboard/", include("core.web.dashboard")),
]
