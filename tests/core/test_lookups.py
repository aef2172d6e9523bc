"""`__in_array`: membership in a long list of ids, as one parameter (core/lookups.py)."""

from __future__ import annotations

import pytest

from core.models import Person

pytestmark = pytest.mark.django_db


def test_in_array_matches_what_in_matches_with_one_parameter(make_person):
    people = [make_person() for _ in range(5)]
    wanted = [people[0].pk, people[3].pk, 10**9]  # and an id nobody has

    found = sorted(Person.objects.filter(pk__in_array=wanted).values_list("pk", flat=True))

    assert found == sorted(Person.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assert found == [people[0].pk, people[3].pk]


def test_in_array_of_nothing_matches_nothing(make_person):
    make_person()
    assert not Person.objects.filter(pk__in_array=[]).exists()


def test_in_array_takes_thousands_of_ids(make_person):
    person = make_person()
    ids = [*range(10**8, 10**8 + 5000), person.pk]
    assert list(Person.objects.filter(pk__in_array=ids).values_list("pk", flat=True)) == [person.pk]
