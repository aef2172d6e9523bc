from __future__ import annotations

import pytest
from django.apps import apps

from core.models import Area
from tests.conftest import QIXIAN_TOWNSHIP, XUNXIAN_TOWNSHIP
from tests.factories import PersonFactory, RoleGrantFactory, UserFactory
from training.models import Attendance, Relay, Session

pytestmark = pytest.mark.django_db


def test_the_demo_seed_schedules_a_city_training_for_every_volunteer(make_person):
    admin = UserFactory(username="admin")
    PersonFactory(user=admin, home_area=Area.objects.get(code="410611001"))
    RoleGrantFactory(user=admin, role="city_admin", area=Area.objects.get(code="410600"))
    volunteers = {make_person("volunteer", QIXIAN_TOWNSHIP).pk, make_person("volunteer", XUNXIAN_TOWNSHIP).pk}
    make_person("liaison", QIXIAN_TOWNSHIP)

    apps.get_app_config("training").seed_demo(None)

    session = Session.objects.get()
    assert session.host_area_id == "410600"
    assert set(Attendance.objects.filter(session=session).values_list("person_id", flat=True)) == volunteers
    assert sorted(Relay.objects.filter(session=session).values_list("area_id", flat=True)) == ["410621", "410622"]
