"""Sign-in, sign-out and the front door shared by the phone app and the dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.jurisdiction import grants_of
from core.roles import STAFF_ROLES
from core.services.tokens import tokens_revoke_for_session


def home_url_for(user: Any) -> str:
    """Staff land on the dashboard; volunteers and liaisons on the phone app."""
    if user.is_authenticated and any(grant.role in STAFF_ROLES for grant in grants_of(user)):
        return "/dashboard/"
    return "/m/"


def front_door(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:login")
    return redirect(home_url_for(request.user))


class SignInView(LoginView):
    """Django's login (django-axes counts failures and locks out; the session key rotates on login)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return home_url_for(self.request.user)

    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        target = super().get_redirect_url()
        # Only our own pages are valid targets (no open redirect, no landing on the JSON API).
        own_host = url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()})
        return target if target and own_host and target.startswith(("/m/", "/dashboard/")) else ""


@require_POST
def sign_out(request: HttpRequest) -> HttpResponseRedirect:
    tokens_revoke_for_session(request=request)
    logout(request)
    return redirect("web:login")
