"""The jurisdiction matrix: every endpoint x every role x a record inside and outside the actor's jurisdiction.

The endpoint list comes from the URL configuration and the socket routes (tests/hardening/endpoints.py),
never from this file: an endpoint nobody classified below fails `test_every_endpoint_is_classified`.
For each classified endpoint the matrix states the exact status each role gets, on a record inside
its jurisdiction (淇县 高村镇) and outside it (浚县, or 新乡 for the city admin), and checks that no
response body carries a marker of a record outside the actor's jurisdiction (tests/hardening/world.py).

Pages (any Django URL pattern outside /api/ and /admin/) need no row: they get the page policy
automatically: anonymous visitors never get a 200, and no actor's page shows a foreign marker.
A page that must be public goes in PUBLIC_PAGES; a page with a path parameter needs a filler in
PAGE_PARAMS. Unsafe requests run inside a rolled-back savepoint, so cells never affect each other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from core.positions import positions
from tests.conftest import ApiClient
from tests.hardening.endpoints import Endpoint, all_endpoints, api_operations, django_patterns, websocket_routes
from tests.hardening.world import ROLES, Side, World, build_world

# --- how to call each endpoint ---------------------------------------------------------------


@dataclass
class Req:
    path_kwargs: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    raw: bytes | None = None
    content_type: str = "application/json"
    files: dict[str, Any] | None = None


Builder = Callable[[World, Side, str], Req]


def _q(**query: Any) -> Builder:
    return lambda w, s, role: Req(query=query)


def _area_q(**extra: Any) -> Builder:
    return lambda w, s, role: Req(query={"area": s.area, **extra})


def _body(make: Callable[[Side], Any]) -> Builder:
    return lambda w, s, role: Req(body=make(s))


def _on(param: str, attr: str, make: Callable[[Side], Any] | None = None) -> Builder:
    return lambda w, s, role: Req(path_kwargs={param: getattr(s, attr)}, body=make(s) if make else None)


def _person(attr: str = "person", make: Callable[[Side], Any] | None = None) -> Builder:
    return lambda w, s, role: Req(path_kwargs={"person_id": getattr(s, attr).pk}, body=make(s) if make else None)


def _session(make: Callable[[Side], Any] | None = None, **more: Callable[[Side], Any]) -> Builder:
    def build(w: World, s: Side, role: str) -> Req:
        kwargs = {"session_id": s.session_id, **{k: f(s) for k, f in more.items()}}
        return Req(path_kwargs=kwargs, body=make(s) if make else None)

    return build


def _token_body(w: World, s: Side, role: str) -> Req:
    if role == "anonymous":
        return Req(body={"username": "actor_volunteer", "password": "wrong-password-1"})
    return Req(body={"username": w.actors[role].user.username, "password": "correct-horse-battery"})


def _later(days: int) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def _session_body(s: Side) -> dict[str, Any]:
    return {
        "kind": "meeting",
        "title": "矩阵会议",
        "start": _later(3),
        "end": (timezone.now() + timedelta(days=3, hours=2)).isoformat(),
        "mode": "video",
        "area_codes": [s.area],
    }


def _cap(w: World, s: Side, role: str) -> Req:
    code = s.area.ljust(12, "0")
    document = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>matrix-{s.area}</identifier><sender>matrix@example.cn</sender>
  <sent>2026-06-01T08:00:00+08:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><category>Safety</category><event>矩阵</event><urgency>Immediate</urgency><severity>Severe</severity>
    <certainty>Observed</certainty><headline>矩阵CAP</headline>
    <area><areaDesc>矩阵</areaDesc><geocode><valueName>CPEAS Geographic Code</valueName><value>{code}</value></geocode>
    </area></info>
</alert>"""
    return Req(raw=document.encode(), content_type="application/cap+xml")


def _import(w: World, s: Side, role: str) -> Req:
    import io

    from tests.factories import valid_id_number, valid_phone
    from tests.liaisons.sheets import to_csv

    township = {"410622101": "高村镇", "410621101": "善堂镇"}.get(s.area, "新乡县测试镇")
    row = ["1", "矩阵联络员", valid_phone(777_777), valid_id_number(7_777), "外卖配送", "矩阵外卖站", township, ""]
    upload = io.BytesIO(to_csv([row]))
    upload.name = "liaisons.csv"
    return Req(query={"dry_run": "true"}, files={"file": upload})


def _calendar_feed(w: World, s: Side, role: str) -> Req:
    # The feed URL is a capability: whoever holds it reads it, logged in or not. The matrix checks that a
    # guessed token finds nothing ("outside") and that the person's own token works ("inside").
    from training.services.calendars import calendar_feed_issue

    raw = calendar_feed_issue(actor=s.person.user) if s is w.inside else "guessed-" + "0" * 40
    return Req(path_kwargs={"token": raw})


# --- what each role gets ----------------------------------------------------------------------

# Column order of the expectation rows.
ORDER = ("city", "county", "township", "station_head", "volunteer", "liaison")


def X(*cells: int | str, anon: int = 401) -> dict[str, tuple[int, int]]:
    """Statuses per role in ORDER: 200 (same inside and outside) or "200/404" (inside/outside)."""
    assert len(cells) == len(ORDER)
    out: dict[str, tuple[int, int]] = {}
    for role, cell in zip(ORDER, cells, strict=True):
        if isinstance(cell, int):
            out[role] = (cell, cell)
        else:
            inside, outside = cell.split("/")
            out[role] = (int(inside), int(outside))
    out["anonymous"] = (anon, anon)
    return out


@dataclass(frozen=True)
class Rule:
    request: Builder
    expect: dict[str, tuple[int, int]]


SEE = "200/404"  # a record inside is shown, one outside does not exist
ALL = X(200, 200, 200, 200, 200, 200)
MANAGERS = ("200/404", "200/404", "200/404")  # city admin, county and township coordinators
HOSTS = ("200/404", "200/404")  # the inside session is hosted by 淇县: its township coordinator does not manage it
# An area (or a location, a CAP area, an audience) named in a body outside the jurisdiction is 404 like
# anything outside, wherever it is named (/work/shared/CONTRACT.md), with a code saying which
# (area_outside_jurisdiction, location_outside_jurisdiction, ...): divisions are public, so it reveals nothing.
NEW = "201/404"

RULES: dict[tuple[str, str], Rule] = {
    # auth and me: only ever about the caller
    ("POST", "api/v1/auth/token"): Rule(_token_body, X(200, 200, 200, 200, 200, 200)),
    ("DELETE", "api/v1/auth/token"): Rule(_q(), X(204, 204, 204, 204, 204, 204)),
    # Only a signed-in browser session mints a token for its page; a bearer token cannot mint more.
    ("POST", "api/v1/auth/session-token"): Rule(_q(), X(401, 401, 401, 401, 401, 401)),
    ("GET", "api/v1/me"): Rule(_q(), ALL),
    ("PUT", "api/v1/me/duty"): Rule(_body(lambda s: {"on_duty": True}), ALL),
    ("PUT", "api/v1/me/location"): Rule(_body(lambda s: {"lat": 35.6, "lon": 114.2}), X(409, 409, 409, 409, 409, 409)),
    ("GET", "api/v1/me/location"): Rule(_q(), X(404, 404, 404, 404, 404, 404)),
    ("GET", "api/v1/me/sessions"): Rule(_q(), ALL),
    ("POST", "api/v1/me/calendar"): Rule(_q(), X(201, 201, 201, 201, 201, 201)),
    ("DELETE", "api/v1/me/calendar"): Rule(_q(), X(204, 204, 204, 204, 204, 204)),
    ("GET", "api/v1/calendar/<token>.ics"): Rule(_calendar_feed, X(*["200/404"] * 6, anon=0)),
    # areas: the tree inside one's grants (and its ancestors)
    ("GET", "api/v1/areas"): Rule(lambda w, s, r: Req(query={"parent": s.area[:6]}), ALL),
    ("GET", "api/v1/areas/<code>"): Rule(lambda w, s, r: Req(path_kwargs={"code": s.area}), X(*[SEE] * 6)),
    # people and teams
    ("GET", "api/v1/people"): Rule(_area_q(), X(200, 200, 200, 200, 403, 403)),
    ("POST", "api/v1/people"): Rule(
        _body(lambda s: {"name": "矩阵新人", "phone": "13912345678", "home_area_code": s.area}),
        X(*[NEW] * 3, 403, 403, 403),
    ),
    ("GET", "api/v1/people/<int:person_id>"): Rule(_person(), X(*[SEE] * 4, 403, 403)),
    ("PATCH", "api/v1/people/<int:person_id>"): Rule(
        _person(make=lambda s: {"name": "矩阵改名"}), X(*MANAGERS, 403, 403, 403)
    ),
    ("POST", "api/v1/people/<int:person_id>/roles"): Rule(
        _person(make=lambda s: {"role": "volunteer", "area_code": s.area}),
        X(*[NEW] * 3, 403, 403, 403),
    ),
    # The side's member holds volunteer over its township; a foreign member is 404 (outranking is refused too).
    ("DELETE", "api/v1/people/<int:person_id>/roles/<role>/<area_code>"): Rule(
        lambda w, s, role: Req(path_kwargs={"person_id": s.person.pk, "role": "volunteer", "area_code": s.area}),
        X(*MANAGERS, 403, 403, 403),
    ),
    ("GET", "api/v1/teams"): Rule(_area_q(), X(200, 200, 200, 200, 403, 403)),
    ("POST", "api/v1/teams"): Rule(
        _body(lambda s: {"name": "矩阵新队", "area_code": s.area}), X(*[NEW] * 3, 403, 403, 403)
    ),
    ("GET", "api/v1/teams/<int:team_id>"): Rule(_on("team_id", "team_id"), X(*[SEE] * 4, 403, 403)),
    ("GET", "api/v1/audit"): Rule(_q(), X(200, 200, 403, 403, 403, 403)),
    # the honoured heroes register: read by those who view people, written by those who manage them
    ("GET", "api/v1/heroes"): Rule(_area_q(), X(200, 200, 200, 200, 403, 403)),
    ("GET", "api/v1/heroes.csv"): Rule(_area_q(), X(200, 200, 200, 200, 403, 403)),
    ("POST", "api/v1/heroes"): Rule(
        _body(
            lambda s: {
                "name": "矩阵英雄",
                "area_code": s.area,
                "deed": "矩阵事迹",
                "deed_date": "2025-01-01",
                "honour": "commendation",
                "honoured_on": "2025-02-01",
            }
        ),
        X(*[NEW] * 3, 403, 403, 403),
    ),
    ("GET", "api/v1/heroes/<int:hero_id>"): Rule(_on("hero_id", "hero_id"), X(*[SEE] * 4, 403, 403)),
    ("PATCH", "api/v1/heroes/<int:hero_id>"): Rule(
        _on("hero_id", "hero_id", lambda s: {"deed": "矩阵改"}), X(*MANAGERS, 403, 403, 403)
    ),
    # alerts
    ("POST", "api/v1/alerts"): Rule(
        _body(lambda s: {"kind": "other", "title": "矩阵警情", "area_codes": [s.area]}),
        X(*[NEW] * 3, 403, 403, 403),
    ),
    # The recipient count before sending: the same checks as raising, and nothing written.
    ("POST", "api/v1/alerts/preview"): Rule(
        _body(lambda s: {"kind": "other", "title": "矩阵警情", "area_codes": [s.area]}),
        X(*["200/404"] * 3, 403, 403, 403),
    ),
    ("GET", "api/v1/alerts"): Rule(_area_q(), ALL),
    ("GET", "api/v1/alerts/<int:alert_id>"): Rule(_on("alert_id", "alert_id"), X(*[SEE] * 6)),
    ("PATCH", "api/v1/alerts/<int:alert_id>"): Rule(
        _on("alert_id", "alert_id", lambda s: {"title": "矩阵改"}), X(*MANAGERS, 404, 404, 404)
    ),
    ("POST", "api/v1/alerts/<int:alert_id>/cancel"): Rule(
        _on("alert_id", "alert_id", lambda s: {"reason": "矩阵"}), X(*MANAGERS, 404, 404, 404)
    ),
    ("POST", "api/v1/alerts/<int:alert_id>/close"): Rule(_on("alert_id", "alert_id"), X(*MANAGERS, 404, 404, 404)),
    ("POST", "api/v1/alerts/<int:alert_id>/escalate"): Rule(_on("alert_id", "alert_id"), X(*MANAGERS, 404, 404, 404)),
    ("POST", "api/v1/alerts/<int:alert_id>/responses"): Rule(
        # Only recipients answer: everyone homed in the township got the inside alert; the coordinators above did not.
        _on("alert_id", "alert_id", lambda s: {"state": "accepted"}),
        X("403/404", "403/404", SEE, SEE, SEE, SEE),
    ),
    # Marking read, like answering, is for recipients only (coordinators above: 403 inside, as for responses).
    ("POST", "api/v1/alerts/<int:alert_id>/read"): Rule(
        _on("alert_id", "alert_id"), X("403/404", "403/404", "204/404", "204/404", "204/404", "204/404")
    ),
    ("GET", "api/v1/alerts/<int:alert_id>/board"): Rule(_on("alert_id", "alert_id"), X(*MANAGERS, 404, 404, 404)),
    ("GET", "api/v1/alerts/<int:alert_id>/cap"): Rule(_on("alert_id", "alert_id"), X(*[SEE] * 6)),
    ("POST", "api/v1/alerts/cap"): Rule(_cap, X(*[NEW] * 3, 403, 403, 403)),
    # Reports need VIEW_PEOPLE and count only alerts raised inside the jurisdiction.
    ("GET", "api/v1/alerts/reports/response-times"): Rule(
        _q(since="2026-01-01T00:00:00+08:00", until="2027-01-01T00:00:00+08:00"), X(200, 200, 200, 200, 403, 403)
    ),
    ("GET", "api/v1/alerts/reports/response-times.csv"): Rule(
        _q(since="2026-01-01T00:00:00+08:00", until="2027-01-01T00:00:00+08:00"), X(200, 200, 200, 200, 403, 403)
    ),
    ("GET", "api/v1/alerts/reports/response-times.xlsx"): Rule(
        _q(since="2026-01-01T00:00:00+08:00", until="2027-01-01T00:00:00+08:00"), X(200, 200, 200, 200, 403, 403)
    ),
    # liaisons, employers, stations
    ("GET", "api/v1/liaisons/sectors"): Rule(_q(), ALL),
    ("GET", "api/v1/liaisons"): Rule(_area_q(), X(200, 200, 200, 200, 403, 403)),
    # Registering a liaison: the side's volunteer gets a sector (a foreign one is 404).
    ("POST", "api/v1/liaisons"): Rule(
        _body(lambda s: {"person_id": s.person.pk, "sector": "express"}), X(*[NEW] * 3, 403, 403, 403)
    ),
    ("PUT", "api/v1/liaisons/<int:person_id>/shifts"): Rule(
        _person("liaison", lambda s: {"shifts": ["10:00-14:00"]}), X(*MANAGERS, 403, 403, 403)
    ),
    ("PATCH", "api/v1/liaisons/<int:person_id>"): Rule(
        _person("liaison", lambda s: {"sector": "express", "employer_id": None}), X(*MANAGERS, 403, 403, 403)
    ),
    # Ending a liaison: the side's liaison (no station head) loses profile and role; a foreign one is 404.
    ("DELETE", "api/v1/liaisons/<int:person_id>"): Rule(
        _person("liaison"), X("204/404", "204/404", "204/404", 403, 403, 403)
    ),
    ("PUT", "api/v1/liaisons/<int:person_id>/work-areas"): Rule(
        _person("liaison", lambda s: {"area_codes": [s.area]}), X(*MANAGERS, 403, 403, 403)
    ),
    ("GET", "api/v1/liaisons/employers"): Rule(_area_q(), X(200, 200, 200, 200, 403, 403)),
    ("POST", "api/v1/liaisons/employers"): Rule(
        _body(lambda s: {"name": "矩阵单位", "sector": "express", "area_code": s.area}),
        X(*[NEW] * 3, 403, 403, 403),
    ),
    ("GET", "api/v1/liaisons/stations"): Rule(_area_q(), X(200, 200, 200, 200, 403, 403)),
    ("POST", "api/v1/liaisons/stations"): Rule(
        _body(lambda s: {"name": "矩阵站", "area_code": s.area}), X(*[NEW] * 3, 403, 403, 403)
    ),
    ("PUT", "api/v1/liaisons/stations/<int:station_id>/head"): Rule(
        _on("station_id", "station_id", lambda s: {"person_id": s.person.pk}), X(*MANAGERS, 403, 403, 403)
    ),
    ("POST", "api/v1/liaisons/stations/<int:station_id>/liaisons"): Rule(
        _on("station_id", "station_id", lambda s: {"person_id": s.liaison.pk}), X(*MANAGERS, 403, 403, 403)
    ),
    ("GET", "api/v1/liaisons/vacancies"): Rule(_area_q(), X(SEE, SEE, SEE, SEE, 403, 403)),
    ("POST", "api/v1/liaisons/imports"): Rule(_import, X(200, 200, 200, 403, 403, 403)),
    # What an import reads: column titles only, no data.
    ("GET", "api/v1/liaisons/imports/columns"): Rule(_q(), ALL),
    ("GET", "api/v1/liaisons/imports/template"): Rule(_q(), ALL),
    ("GET", "api/v1/liaisons/export.csv"): Rule(_area_q(), X(200, 200, 200, 200, 403, 403)),
    # coverage
    ("GET", "api/v1/coverage/areas"): Rule(_area_q(), X(SEE, SEE, SEE, SEE, 403, 403)),
    ("GET", "api/v1/coverage/grid"): Rule(_area_q(), X(SEE, SEE, SEE, SEE, 403, 403)),
    ("GET", "api/v1/coverage/summary"): Rule(_area_q(), X(SEE, SEE, SEE, SEE, 403, 403)),
    ("GET", "api/v1/coverage/shortfalls"): Rule(_area_q(), X(SEE, SEE, SEE, SEE, 403, 403)),
    ("GET", "api/v1/coverage/targets"): Rule(_area_q(), X(SEE, SEE, SEE, SEE, 403, 403)),
    ("PUT", "api/v1/coverage/targets"): Rule(
        _body(lambda s: {"area_code": s.area, "sector": "express", "min_liaisons": 3}),
        X(*["200/404"] * 3, 403, 403, 403),
    ),
    ("DELETE", "api/v1/coverage/targets/<area_code>/<sector>"): Rule(
        lambda w, s, r: Req(path_kwargs={"area_code": s.area, "sector": "express"}),
        X("204/404", "204/404", "204/404", 403, 403, 403),
    ),
    ("GET", "api/v1/coverage/layers/counties"): Rule(_q(), X(200, 200, 200, 200, 403, 403)),
    ("GET", "api/v1/coverage/layers/townships"): Rule(_q(), X(200, 200, 200, 200, 403, 403)),
    ("GET", "api/v1/coverage/layers/on-duty"): Rule(_q(), X(200, 200, 200, 200, 403, 403)),
    # trainings and meetings
    ("POST", "api/v1/sessions"): Rule(_body(_session_body), X(*[NEW] * 3, 403, 403, 403)),
    ("GET", "api/v1/sessions"): Rule(_q(), ALL),
    ("GET", "api/v1/sessions/<int:session_id>"): Rule(_session(), X(*[SEE] * 6)),
    ("PATCH", "api/v1/sessions/<int:session_id>"): Rule(
        _session(lambda s: {"title": "矩阵改"}), X(*HOSTS, 404, 404, 404, 404)
    ),
    ("POST", "api/v1/sessions/<int:session_id>/cancel"): Rule(
        _session(lambda s: {"reason": "矩阵"}), X(*HOSTS, 404, 404, 404, 404)
    ),
    # Not yet time to start: 409 shows the host got past the scoping.
    ("POST", "api/v1/sessions/<int:session_id>/start"): Rule(_session(), X("409/404", "409/404", 404, 404, 404, 404)),
    ("GET", "api/v1/sessions/<int:session_id>/relays"): Rule(_session(), X(*MANAGERS, 404, 404, 404)),
    ("POST", "api/v1/sessions/<int:session_id>/relays/<area_code>/confirm"): Rule(
        # Only the unit's own coordinator confirms that the unit received the session.
        _session(lambda s: {}, area_code=lambda s: s.area),
        X("403/404", "403/404", SEE, 404, 404, 404),
    ),
    # Each room takes its own roll: the township's coordinator, whom the 淇县 session reaches, shows the code
    # and marks the township's own people (training.selectors.roll_part).
    ("GET", "api/v1/sessions/<int:session_id>/checkin-code"): Rule(_session(), X(*HOSTS, "200/404", 404, 404, 404)),
    ("POST", "api/v1/sessions/<int:session_id>/checkin"): Rule(
        # Invitees (everyone homed in the township) get past the scoping to "not open yet".
        _session(lambda s: {"code": "000000"}),
        X("403/404", "403/404", *["409/404"] * 4),
    ),
    ("GET", "api/v1/sessions/<int:session_id>/attendance"): Rule(_session(), X(*MANAGERS, 404, 404, 404)),
    ("GET", "api/v1/sessions/<int:session_id>/attendees"): Rule(_session(), X(*MANAGERS, 404, 404, 404)),
    ("PUT", "api/v1/sessions/<int:session_id>/attendance/<int:person_id>"): Rule(
        _session(lambda s: {"status": "excused"}, person_id=lambda s: s.person.pk),
        X(*HOSTS, "200/404", 404, 404, 404),
    ),
    ("POST", "api/v1/sessions/<int:session_id>/leave"): Rule(
        _session(lambda s: {"reason": "矩阵请假"}), X("403/404", "403/404", *["201/404"] * 4)
    ),
    ("GET", "api/v1/sessions/<int:session_id>/leave"): Rule(_session(), X(*MANAGERS, 404, 404, 404)),
    ("POST", "api/v1/sessions/<int:session_id>/leave/<int:leave_id>/decision"): Rule(
        _session(lambda s: {"approve": True}, leave_id=lambda s: s.leave_id), X(*MANAGERS, 404, 404, 404)
    ),
    ("GET", "api/v1/sessions/<int:session_id>/ics"): Rule(_session(), X(*[SEE] * 6)),
    ("GET", "api/v1/sessions/reports/attendance"): Rule(
        _area_q(since="2026-01-01", until="2028-01-01"), X(SEE, SEE, SEE, 403, 403, 403)
    ),
    ("GET", "api/v1/sessions/reports/annual"): Rule(_q(year=2026), X(200, 200, 200, 403, 403, 403)),
    # The yearly county evaluation: whole counties only (VIEW_PEOPLE and HOST_SESSIONS over a county or the city).
    ("GET", "api/v1/reports/evaluation"): Rule(_q(year=2026), X(200, 200, 403, 403, 403, 403)),
    ("GET", "api/v1/reports/evaluation.csv"): Rule(_q(year=2026), X(200, 200, 403, 403, 403, 403)),
    ("GET", "api/v1/reports/evaluation.xlsx"): Rule(_q(year=2026), X(200, 200, 403, 403, 403, 403)),
}

# Django URL patterns that are not pages behind a login (each with why).
NON_PAGES: dict[str, str] = {
    "^api/": "JSON 404 for unknown API URLs",
    "api/v1/": "ninja's API root (404 JSON)",
    "api/v1/docs": "public API documentation (no data)",
    "api/v1/openapi.json": "public OpenAPI schema (no data)",
}
# Pages anyone may open without logging in (each with why). They still get the no-leak check.
PUBLIC_PAGES: dict[str, str] = {
    "login/": "the sign-in form",
    "logout/": "POST-only sign-out (a GET is 405); signing out needs no login",
    "jsi18n/": "the translation catalogue the pages' scripts use (no data)",
    "i18n/setlang/": "Django's language switch (no data)",
    "m/manifest.webmanifest": "the phone app's install manifest (browsers fetch it without credentials; no data)",
    "m/sw.js": "the phone app's service worker script (must load before sign-in to serve the offline shell; no data)",
}
# How to fill a page's path parameter, by name: the record of the side being visited.
PAGE_PARAMS: dict[str, Callable[[Side], Any]] = {
    "alert_id": lambda s: s.alert_id,
    "session_id": lambda s: s.session_id,
    "person_id": lambda s: s.person.pk,
    "team_id": lambda s: s.team_id,
    "station_id": lambda s: s.station_id,
    "employer_id": lambda s: s.employer_id,
    "code": lambda s: s.area,
    "area_code": lambda s: s.area,
}
WS_ROUTES = {"ws/v1/phone", "ws/v1/dashboard"}  # their matrix is in test_jurisdiction_sockets.py


def _is_admin(route: str) -> bool:
    return route.startswith("admin/")


def _is_page(e: Endpoint) -> bool:
    return e.kind == "django" and not _is_admin(e.route) and e.route not in NON_PAGES


# --- the tests ------------------------------------------------------------------------------


def _unclassified(endpoints: list[Endpoint]) -> list[str]:
    found = []
    for e in endpoints:
        if (e.kind == "api" and (e.method, e.route) not in RULES) or (e.kind == "ws" and e.route not in WS_ROUTES):
            found.append(str(e))
        elif _is_page(e) and e.route not in PUBLIC_PAGES and not all(p in PAGE_PARAMS for p in e.params):
            found.append(f"{e} (page parameters {e.params}: add fillers to PAGE_PARAMS)")
    return found


def test_every_endpoint_is_classified() -> None:
    unclassified = _unclassified(all_endpoints())
    assert not unclassified, (
        "unclassified endpoint(s): say what each role may do in tests/hardening/test_jurisdiction_matrix.py: "
        + ", ".join(unclassified)
    )


def test_a_new_endpoint_or_a_page_with_an_unknown_parameter_is_reported_as_unclassified() -> None:
    new = [
        Endpoint("POST", "api/v1/alerts/<int:alert_id>/archive", "api"),
        Endpoint("WS", "ws/v1/map", "ws"),
        Endpoint("*", "dashboard/duty/<int:shift_id>", "django"),
    ]
    assert _unclassified(new) == [
        "POST /api/v1/alerts/<int:alert_id>/archive",
        "WS /ws/v1/map",
        "* /dashboard/duty/<int:shift_id> (page parameters ['shift_id']: add fillers to PAGE_PARAMS)",
    ]
    # A page whose parameters are known needs no row: the page policy covers it.
    assert _unclassified([Endpoint("*", "dashboard/alerts/<int:alert_id>", "django")]) == []


def test_the_matrix_lists_no_endpoint_that_does_not_exist() -> None:
    existing = {(e.method, e.route) for e in api_operations()}
    assert set(RULES) - existing == set()
    routes = {e.route for e in django_patterns()}
    assert set(NON_PAGES) - routes == set()
    assert {e.route for e in websocket_routes()} == WS_ROUTES


@pytest.fixture
def world(hebi: None, settings: Any) -> Iterator[World]:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "matrix"}}
    positions().clear()
    yield build_world(lambda token: ApiClient(token))
    positions().clear()


def _url(route: str, kwargs: dict[str, Any]) -> str:
    import re

    def fill(match: re.Match[str]) -> str:
        return str(kwargs[match.group(1)])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route)


def _call(client: Client, token: str | None, method: str, route: str, req: Req) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    url = _url(route, req.path_kwargs)
    if req.query:
        from urllib.parse import urlencode

        url += "?" + urlencode(req.query)
    if req.files is not None:
        return client.post(url, req.files, **headers)
    if method == "GET":
        return client.get(url, **headers)
    data = req.raw if req.raw is not None else (json.dumps(req.body) if req.body is not None else "")
    return client.generic(method, url, data, content_type=req.content_type, **headers)


def _body_text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    content: bytes = response.content
    if content[:2] == b"PK":  # an XLSX: grep its shared strings and sheets
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    text = content.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        # JSON escapes every non-ASCII character: compare the markers with the decoded text.
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return text


def _leaks(text: str, markers: list[str]) -> list[str]:
    return [m for m in markers if m and m in text]


API_CASES = sorted(RULES)


@pytest.mark.parametrize(("method", "route"), API_CASES, ids=[f"{m} /{r}" for m, r in API_CASES])
def test_each_role_gets_exactly_its_status_and_nothing_from_outside(world: World, method: str, route: str) -> None:
    rule = RULES[(method, route)]
    client = Client()
    wrong: list[str] = []
    leaks: list[str] = []
    for role in ROLES:
        token = world.tokens.get(role)
        for index, side in enumerate((world.inside, world.outside_for(role))):
            req = rule.request(world, side, role)
            with transaction.atomic():
                response = _call(client, token, method, route, req)
                text = _body_text(response)
                transaction.set_rollback(True)
            expected = rule.expect[role][index]
            where = ("inside", "outside")[index]
            if expected and response.status_code != expected:
                wrong.append(f"{role}/{where}: {response.status_code} (expected {expected}) {text[:160]}")
            found = _leaks(text, world.foreign_markers(role))
            if found:
                leaks.append(f"{role}/{where}: {found}")
    assert not leaks, f"{method} /{route} leaks records from outside the jurisdiction: {leaks}"
    assert not wrong, f"{method} /{route}:\n" + "\n".join(wrong)


def test_the_city_admin_sees_xunxian_records_so_the_leak_check_is_not_vacuous(world: World) -> None:
    """A positive control: the markers are really in the responses for someone allowed to see them."""
    city = ApiClient(world.tokens["city"])
    text = "".join(
        _body_text(city.get(url))
        for url in (
            f"/api/v1/people/{world.outside.person.pk}",
            f"/api/v1/alerts/{world.outside.alert_id}",
            f"/api/v1/sessions/{world.outside.session_id}",
            "/api/v1/coverage/layers/on-duty",
            f"/api/v1/heroes/{world.outside.hero_id}",
        )
    )
    assert world.outside.person.name in text
    assert "浚县标记警情" in text
    assert "浚县标记培训" in text
    assert "浚县标记英雄" in text
    assert f"{world.outside.person.pk}" in text


def _page_cases() -> list[Endpoint]:
    return [e for e in django_patterns() if _is_page(e)]


def check_page(world: World, page: Endpoint) -> None:
    """The page policy: anonymous visitors are sent to log in, and no actor sees a foreign marker."""
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world.actors[role].user)
        for side in (world.inside, world.outside_for(role)):
            url = _url(page.route, {p: PAGE_PARAMS[p](side) for p in page.params})
            response = client.get(url)
            text = _body_text(response)
            if role == "anonymous" and page.route not in PUBLIC_PAGES:
                assert response.status_code in (302, 401, 403, 404), (
                    f"{url} is open to anonymous visitors: require a login, or list the route in PUBLIC_PAGES with why"
                )
            assert response.status_code < 500, f"{url} as {role}: {response.status_code}"
            found = _leaks(text, world.foreign_markers(role))
            assert not found, f"{url} shows {role} records from outside the jurisdiction: {found}"


@pytest.mark.parametrize("page", _page_cases() or [None], ids=lambda e: str(e) if e else "no pages yet")
def test_every_page_needs_a_login_and_shows_nothing_from_outside(world: World, page: Endpoint | None) -> None:
    if page is None:
        pytest.skip("no page is mounted yet: the policy applies as soon as one is")
    check_page(world, page)


@pytest.mark.urls("tests.hardening.page_urls")
@pytest.mark.parametrize(
    ("route", "complaint"),
    [
        ("demo/open/", "open to anonymous visitors"),
        ("demo/people/", "records from outside the jurisdiction"),
        ("demo/alerts/<int:alert_id>/", "records from outside the jurisdiction"),
    ],
)
def test_the_page_policy_catches_an_open_page_and_pages_that_leak(world: World, route: str, complaint: str) -> None:
    page = next(e for e in django_patterns() if e.route == route)

    with pytest.raises(AssertionError, match=complaint):
        check_page(world, page)


@pytest.mark.urls("tests.hardening.page_urls")
def test_the_page_policy_passes_a_page_that_scopes_its_records(world: World) -> None:
    check_page(world, next(e for e in django_patterns() if e.route == "demo/scoped/<int:alert_id>/"))


def test_the_admin_site_lets_no_role_in(world: World) -> None:
    """None of the roles is Django staff: every admin URL sends them to the admin login."""
    admin_routes = [e.route for e in django_patterns() if _is_admin(e.route)]
    assert admin_routes, "the admin is mounted"
    urls = ["/admin/", "/admin/core/person/", f"/admin/core/person/{world.outside.person.pk}/change/"]
    urls += ["/admin/dispatch/alert/", f"/admin/dispatch/alert/{world.outside.alert_id}/change/"]
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world.actors[role].user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302, (role, url, response.status_code)
            assert response["Location"].startswith("/admin/login/"), (role, url)
