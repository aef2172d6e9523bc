from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from core import crypto
from tests.conftest import QIXIAN_TOWNSHIP
from tests.factories import valid_id_number


def test_encryption_round_trips_and_is_not_deterministic():
    first, second = crypto.encrypt("410622199001011234"), crypto.encrypt("410622199001011234")

    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == "410622199001011234"


def test_the_lookup_hash_is_stable_and_keyed(settings):
    before = crypto.lookup_hash("410622199001011234")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    assert crypto.lookup_hash("410622199001011234") != before


def test_rotating_in_a_new_key_keeps_old_data_readable_and_hashes_stable(settings):
    old_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    token, digest = crypto.encrypt("secret"), crypto.lookup_hash("secret")

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]

    assert crypto.decrypt(token) == "secret"
    assert crypto.lookup_hash("secret") == digest


@pytest.mark.django_db
def test_the_id_number_is_ciphertext_in_the_database(make_person):
    number = valid_id_number(3)
    person = make_person("volunteer", QIXIAN_TOWNSHIP, id_number=number)

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number_encrypted, id_number_hash FROM core_person WHERE id = %s", [person.pk])
        stored, digest = cursor.fetchone()

    assert number not in stored
    assert number[:6] not in stored
    assert crypto.decrypt(stored) == number
    assert digest == crypto.lookup_hash(number)
