"""factory-boy factories for the core domain. Areas are the real Hebi divisions (loaded by migration)."""

from __future__ import annotations

import random

import factory
import phonenumbers
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory
from stdnum.cn import ric

from core import crypto
from core.models import Area, Person, RoleGrant, Team

_rng = random.Random(7)


def valid_phone(n: int) -> str:
    """A valid mainland mobile number, distinct for each n."""
    for prefix in ("138", "139", "158", "186", "188", "150", "187", "135"):
        candidate = f"{prefix}{(n * 7919 + 12345678) % 100_000_000:08d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate, "CN")):
            return candidate
    raise AssertionError("no valid prefix")


def valid_id_number(n: int, county: str = "410622") -> str:
    # Born 1986-2005: 淇县's birth-place code exists only from 1986.
    body = f"{county}{1986 + n % 20}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n:05d}")
    password = factory.django.Password("correct-horse-battery")


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    class Params:
        id_number = factory.Sequence(lambda n: valid_id_number(n))

    user = factory.SubFactory(UserFactory)
    name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(valid_phone)
    home_area = factory.LazyFunction(lambda: Area.objects.get(code="410622101"))
    id_number_encrypted = factory.LazyAttribute(lambda o: crypto.encrypt(o.id_number))
    id_number_hash = factory.LazyAttribute(lambda o: crypto.lookup_hash(o.id_number))
    id_number_last4 = factory.LazyAttribute(lambda o: o.id_number[-4:])


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"义警{n}队")
    area = factory.LazyFunction(lambda: Area.objects.get(code="410622101"))


class RoleGrantFactory(DjangoModelFactory):
    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    role = "volunteer"
    area = factory.LazyFunction(lambda: Area.objects.get(code="410622101"))
