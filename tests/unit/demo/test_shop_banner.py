from io import StringIO

from django.core.management import call_command
from django.test import override_settings


def banner(*args: str) -> str:
    out = StringIO()
    call_command("shop_banner", *args, stdout=out)
    return out.getvalue()


def test_banner_shows_storefront_dashboard_simulator_and_login():
    text = banner("--url", "http://127.0.0.1:8102/")
    assert "http://127.0.0.1:8102/\n" in text
    assert "http://127.0.0.1:8102/dashboard/" in text
    assert "http://127.0.0.1:8102/daraja-sim/phone/" in text
    assert "admin@example.com / admin-local-only" in text


@override_settings(DEMO_ADMIN_EMAIL="boss@duka.example", DEMO_ADMIN_PASSWORD="not-printed-ever")
def test_banner_hides_a_password_that_is_not_the_local_default():
    text = banner()
    assert "boss@duka.example" in text
    assert "not-printed-ever" not in text
