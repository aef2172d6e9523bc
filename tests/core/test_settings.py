"""Settings read the environment once and fail loudly; these run Django in a subprocess with a chosen environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 20 + "Zq9-random-looking-secret-value-for-tests-only-0123456789"
SETUP = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'core.settings'); django.setup()"
SETUP = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'core.settings'); django.setup()"
FIELD_KEY = "zXOD6L0Q1ZsUgGhtOBKP1Jq4m7f1S0Z6x0hnrTtq8v4="


def run_django(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ZHENGQI_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"))
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"{SETUP}; {code}",
        ],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = run_django("print('started')", ZHENGQI_ENV="production", ZHENGQI_FIELD_KEYS=FIELD_KEY)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr
    assert "started" not in result.stdout


def test_production_refuses_an_insecure_secret_key():
    result = run_django(
        "print('started')",
        ZHENGQI_ENV="production",
        SECRET_KEY="django-insecure-" + "x" * 60,
        ZHENGQI_FIELD_KEYS=FIELD_KEY,
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_field_encryption_keys():
    result = run_django("print('started')", ZHENGQI_ENV="production", SECRET_KEY=GOOD_KEY)

    assert result.returncode != 0
    assert "ZHENGQI_FIELD_KEYS" in result.stderr


def test_production_refuses_the_demo_activity_simulation():
    result = run_django(
        "print('started')",
        ZHENGQI_ENV="production",
        SECRET_KEY=GOOD_KEY,
        ZHENGQI_FIELD_KEYS=FIELD_KEY,
        ZHENGQI_DEMO_ACTIVITY="true",
    )

    assert result.returncode != 0
    assert "ZHENGQI_DEMO_ACTIVITY" in result.stderr
    assert "started" not in result.stdout


def test_production_settings_pass_check_deploy_cleanly():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **os.environ,
            "ZHENGQI_ENV": "production",
            "SECRET_KEY": GOOD_KEY,
            "ZHENGQI_FIELD_KEYS": FIELD_KEY,
            "ALLOWED_HOSTS": "zhengqi.example.cn",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"ZHENGQI_TOKEN_TTL_HOURS": "soon"}, "ZHENGQI_TOKEN_TTL_HOURS"),
        ({"ZHENGQI_ENV": "staging"}, "ZHENGQI_ENV"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_a_malformed_environment_value_stops_start_up_naming_the_variable(env, message):
    result = run_django("print('started')", **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_the_embedded_default_is_sqlite_and_the_in_memory_layer():
    result = run_django(
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'])"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "channels.layers.InMemoryChannelLayer"]


def test_urls_switch_to_postgresql_and_redis():
    result = run_django(
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], "
        "s.CHANNEL_LAYERS['default']['BACKEND'], s.CACHES['default']['BACKEND'])",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/zq",
        REDIS_URL="redis://127.0.0.1:6379/2",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "zq",
        "channels_redis.core.RedisChannelLayer",
        "django.core.cache.backends.redis.RedisCache",
    ]
