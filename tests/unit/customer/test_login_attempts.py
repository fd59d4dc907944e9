"""The pieces django-axes is configured with (apps/customer/login_attempts.py)."""

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from apps.customer.login_attempts import SignInLockoutBackend, login_client_address, login_name


@pytest.mark.parametrize(
    ("typed", "counted_as"),
    [
        ("wanjiru@duka.example", "wanjiru@duka.example"),
        ("Wanjiru@Duka.Example", "wanjiru@duka.example"),
        ("  WANJIRU@duka.example ", "wanjiru@duka.example"),
        ("", None),
        (None, None),
    ],
)
def test_a_name_is_counted_whatever_its_case_and_outer_spaces(typed, counted_as):
    assert login_name(None, {"username": typed, "password": "x"}) == counted_as


def test_no_credentials_is_no_name():
    assert login_name(None, None) is None


@pytest.mark.parametrize(
    ("remote", "address"),
    [
        ("41.90.64.10", "41.90.64.10"),
        ("2c0f:fe38:2000:0:0:0:0:1", "2c0f:fe38:2000::1"),
        ("not-an-ip", None),
        ("", None),
    ],
)
def test_the_counted_address_is_an_ip_address_or_none(settings, remote, address):
    settings.MPESA_TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=remote)
    assert login_client_address(request) == address


def test_without_a_request_the_lockout_backend_stands_aside():
    """Oscar's registration and Django's test client authenticate with no request."""
    assert SignInLockoutBackend().authenticate(None, username="a@b.example", password="x") is None


@pytest.mark.django_db
def test_authenticate_without_a_request_still_signs_in(django_user_model):
    user = django_user_model.objects.create_user("wanjiru", "wanjiru@duka.example", "sokoni-2024")
    assert authenticate(username="wanjiru@duka.example", password="sokoni-2024") == user
