"""Behind the shop's trusted proxies (MPESA_TRUSTED_PROXY_COUNT), sign-in failures are
counted per client as the proxy saw it, not per proxy, and not per what the client wrote."""

import pytest
from axes.models import AccessAttempt

from .conftest import PASSWORD, customer_sign_in, from_address, locked_out, signed_in

pytestmark = pytest.mark.django_db

NGINX = "10.0.0.2"


@pytest.fixture(autouse=True)
def behind_nginx(settings):
    settings.MPESA_TRUSTED_PROXY_COUNT = 1


def test_two_clients_behind_the_proxy_are_counted_apart(django_app, wanjiru):
    attacker = from_address(NGINX, "41.90.64.10")
    for _ in range(5):
        last = customer_sign_in(django_app, wanjiru.email, "guess", attacker)
    assert locked_out(last)

    assert signed_in(
        customer_sign_in(django_app, wanjiru.email, PASSWORD, from_address(NGINX, "105.160.3.7"))
    )
    assert AccessAttempt.objects.get().ip_address == "41.90.64.10"


def test_a_spoofed_left_most_address_does_not_escape_the_lock(django_app, wanjiru):
    """nginx appends the address it saw; whatever the client wrote before it is ignored."""
    for n in range(5):
        spoofed = from_address(NGINX, f"203.0.113.{n}, 41.90.64.10")
        last = customer_sign_in(django_app, wanjiru.email, "guess", spoofed)
    assert locked_out(last)

    fresh_lie = from_address(NGINX, "198.51.100.77, 41.90.64.10")
    assert locked_out(customer_sign_in(django_app, wanjiru.email, PASSWORD, fresh_lie))


def test_an_address_that_is_not_an_ip_is_counted_as_no_address(django_app, settings, wanjiru):
    """Two proxies configured where there is one: the client writes the address read."""
    settings.MPESA_TRUSTED_PROXY_COUNT = 2
    response = customer_sign_in(
        django_app, wanjiru.email, "guess", from_address(NGINX, "not-an-ip, x")
    )

    assert response.status_code == 200
    assert AccessAttempt.objects.get().ip_address is None
