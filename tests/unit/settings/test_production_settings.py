"""Production settings: real services, https everywhere, and no start without what a shop needs."""

import json

import pytest

from .production_env import load_production, production_process, production_settings


def test_a_complete_environment_starts_on_postgresql_redis_smtp_and_whitenoise():
    settings = production_settings(
        "DEBUG", "DATABASES", "CACHES", "STORAGES", "MIDDLEWARE", "EMAIL_BACKEND", "EMAIL_HOST",
        "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT", "DEFAULT_FROM_EMAIL",
        "OSCAR_FROM_EMAIL", "SERVER_EMAIL", "MEDIA_ROOT", "STATIC_ROOT",
    )  # fmt: skip
    assert settings["DEBUG"] is False
    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"]) == ("db.internal", "shop")
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True
    cache = settings["CACHES"]["default"]
    assert cache["BACKEND"] == "django_redis.cache.RedisCache"
    assert cache["LOCATION"] == "redis://cache.internal:6379/0"
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    middleware = settings["MIDDLEWARE"]
    assert middleware[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]
    assert middleware.count("whitenoise.middleware.WhiteNoiseMiddleware") == 1
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert settings["EMAIL_HOST"] == "smtp.example.co.ke"
    assert (settings["EMAIL_PORT"], settings["EMAIL_USE_TLS"], settings["EMAIL_USE_SSL"]) == (
        587,
        True,
        False,
    )
    assert settings["EMAIL_TIMEOUT"] == 10
    sender = "Duka la Nyumbani <orders@example.co.ke>"
    assert settings["DEFAULT_FROM_EMAIL"] == settings["OSCAR_FROM_EMAIL"] == sender
    assert settings["SERVER_EMAIL"] == sender
    assert settings["MEDIA_ROOT"] == "/var/lib/oscar-shop/media"
    assert settings["STATIC_ROOT"] == "/srv/oscar-shop/staticfiles"


def test_redis_down_is_a_cache_miss_with_a_short_timeout_and_a_breaker():
    options = production_settings("CACHES")["CACHES"]["default"]["OPTIONS"]
    assert options == {
        "CLIENT_CLASS": "oscar_shop.redis_cache.CircuitBreakerClient",
        "SERIALIZER": "oscar_shop.cache_serializer.ReleaseTolerantPickleSerializer",
        "IGNORE_EXCEPTIONS": True,
        "SOCKET_CONNECT_TIMEOUT": 0.25,
        "SOCKET_TIMEOUT": 0.25,
        "RETRY_SECONDS": 5.0,
    }
    tuned = production_settings("CACHES", REDIS_TIMEOUT_SECONDS="0.1", REDIS_RETRY_SECONDS="2")
    options = tuned["CACHES"]["default"]["OPTIONS"]
    assert (options["SOCKET_CONNECT_TIMEOUT"], options["SOCKET_TIMEOUT"]) == (0.1, 0.1)
    assert options["RETRY_SECONDS"] == 2.0


def test_sessions_and_sign_in_lockouts_do_not_live_in_redis():
    """What Redis down must not take with it: sessions and the sign-in lockout's counts are
    kept in the database (prompt limits too: apps/payment/mpesa/services/limits.py)."""
    dump = (
        "import django, json; django.setup(); "
        "from django.conf import settings; "
        "from django.utils.module_loading import import_string; "
        "from axes.handlers.database import AxesDatabaseHandler; "
        "from django.contrib.sessions.backends.db import SessionStore; "
        "engine = import_string(settings.SESSION_ENGINE + '.SessionStore'); "
        "print(json.dumps([issubclass(engine, SessionStore), "
        "issubclass(import_string(settings.AXES_HANDLER), AxesDatabaseHandler)]))"
    )
    result = production_process(["-c", dump])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, True]


@pytest.mark.parametrize(
    "overrides",
    [{"REDIS_TIMEOUT_SECONDS": "0"}, {"REDIS_RETRY_SECONDS": "-1"}],
)
def test_refuses_a_redis_timeout_that_would_wait_for_ever(overrides):
    result = load_production(**overrides)
    assert result.returncode != 0
    assert "REDIS_TIMEOUT_SECONDS must be above 0" in result.stderr


def test_https_cookies_and_hsts_are_on_by_default():
    settings = production_settings(
        "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE", "CSRF_TRUSTED_ORIGINS", "ALLOWED_HOSTS",
    )  # fmt: skip
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 31536000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_HSTS_PRELOAD"] is True
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["ALLOWED_HOSTS"] == ["shop.example.co.ke", ".shop.example.co.ke"]
    # Without DJANGO_CSRF_TRUSTED_ORIGINS, the https origins of the allowed hosts.
    assert settings["CSRF_TRUSTED_ORIGINS"] == [
        "https://shop.example.co.ke",
        "https://*.shop.example.co.ke",
    ]


def test_security_settings_follow_the_environment():
    settings = production_settings(
        "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD", "CSRF_TRUSTED_ORIGINS",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_HSTS_SECONDS="3600",
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        DJANGO_SECURE_HSTS_PRELOAD="false",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://pay.example.co.ke,https://shop.example.co.ke",
    )  # fmt: skip
    assert settings == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "CSRF_TRUSTED_ORIGINS": ["https://pay.example.co.ke", "https://shop.example.co.ke"],
    }


def test_implicit_tls_email_uses_port_465_without_starttls():
    settings = production_settings(
        "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL", DJANGO_EMAIL_USE_SSL="true"
    )
    assert settings == {"EMAIL_PORT": 465, "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": True}


def test_refuses_starttls_and_implicit_tls_together():
    result = load_production(DJANGO_EMAIL_USE_SSL="true", DJANGO_EMAIL_USE_TLS="true")
    assert result.returncode != 0
    assert "DJANGO_EMAIL_USE_TLS and DJANGO_EMAIL_USE_SSL exclude each other" in result.stderr


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "REDIS_URL",
        "DJANGO_EMAIL_HOST",
        "DJANGO_DEFAULT_FROM_EMAIL",
    ],
)
def test_refuses_to_start_without_a_required_setting(missing):
    result = load_production(**{missing: ""})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set in production" in result.stderr


@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "MPESA_CONSUMER_SECRET", "MPESA_PASSKEY"])
def test_refuses_to_start_with_a_placeholder_left_from_the_env_template(name):
    result = load_production(**{name: "CHANGE-me"})
    assert result.returncode != 0
    assert f"{name} must be set in production: it still has the template's placeholder" in (
        result.stderr
    )


@pytest.mark.parametrize("value", ["true", "1", "on"])
def test_refuses_to_start_with_debug_on(value):
    result = load_production(DJANGO_DEBUG=value)
    assert result.returncode != 0
    assert "DJANGO_DEBUG cannot be on in production" in result.stderr


@pytest.mark.parametrize(
    "database_url",
    ["sqlite:////srv/oscar-shop/db.sqlite3", "mysql://shop:pw@db.internal:3306/shop"],
)
def test_refuses_a_database_other_than_postgresql(database_url):
    result = load_production(DATABASE_URL=database_url)
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL in production" in result.stderr


def test_refuses_the_embedded_sqlite_default_when_database_url_is_not_set():
    result = load_production(DATABASE_URL=None)
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL in production" in result.stderr


@pytest.mark.parametrize("value", ["true", "1"])
def test_refuses_to_start_with_the_benchmarks_ceiling(value):
    """/bench/ceiling/ serves one catalogue page kept in memory, never refreshed."""
    result = load_production(SHOP_BENCH_CEILING=value)
    assert result.returncode != 0
    assert "SHOP_BENCH_CEILING cannot be on in production" in result.stderr


def test_never_says_what_the_page_cache_did():
    """X-Shop-Page-Cache is sent only with DEBUG or SHOP_PAGE_CACHE_HEADER: both off."""
    settings = production_settings("DEBUG", "SHOP_PAGE_CACHE_HEADER")
    assert settings == {"DEBUG": False, "SHOP_PAGE_CACHE_HEADER": False}


def test_the_benchmark_runs_the_production_settings_with_its_ceiling():
    dump = (
        "import json, oscar_shop.settings.bench as s; "
        "print(json.dumps([s.SHOP_BENCH_CEILING, s.SHOP_PAGE_CACHE_HEADER, s.DEBUG, "
        "s.CACHES['default']['BACKEND'], s.SESSION_COOKIE_SECURE]))"
    )
    result = production_process(["-c", dump], DJANGO_SETTINGS_MODULE="oscar_shop.settings.bench")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        True,
        True,
        False,
        "django_redis.cache.RedisCache",
        True,
    ]


def test_production_logging_writes_json_lines():
    settings = production_settings("LOGGING")
    logging_config = settings["LOGGING"]
    formatter_name = logging_config["handlers"]["console"]["formatter"]
    assert logging_config["formatters"][formatter_name]["()"] == (
        "oscar_shop.logging.JsonLineFormatter"
    )
    assert logging_config["root"]["handlers"] == ["console"]


def test_check_deploy_prints_no_warning_for_a_real_deployment():
    result = production_process(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_check_deploy_would_report_a_weakened_setting():
    """The check above would see a warning: without HSTS, Django's security.W004 shows up."""
    result = production_process(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SECURE_HSTS_SECONDS="0",
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr
