"""Sign-in helpers for the login pages' tests: people with a known password, and one
sign-in attempt from a given client address."""

import pytest
from django.contrib.auth import get_user_model

PASSWORD = "sokoni-2024"


def make_user(name: str, **flags):
    return get_user_model().objects.create_user(
        username=name, email=f"{name}@duka.example", password=PASSWORD, **flags
    )


@pytest.fixture
def wanjiru(db):
    return make_user("wanjiru")


@pytest.fixture
def otieno(db):
    return make_user("otieno")


def from_address(address: str, forwarded_for: str | None = None) -> dict:
    """The WSGI environ of a request from ``address`` (with an X-Forwarded-For header)."""
    environ = {"REMOTE_ADDR": address}
    if forwarded_for is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return environ


def customer_sign_in(app, email: str, password: str, environ: dict | None = None):
    """One attempt on the customer login page (/accounts/login/), from a fresh browser."""
    environ = environ or from_address("41.90.64.10")
    app.reset()
    form = app.get("/accounts/login/", extra_environ=environ).forms["login_form"]
    form["login-username"] = email
    form["login-password"] = password
    return form.submit("login_submit", extra_environ=environ, expect_errors=True)


def signed_in(response) -> bool:
    return response.status_code == 302


def refused_for_bad_password(response) -> bool:
    """The login page again, with Django's 'enter a correct email and password' error."""
    return response.status_code == 200 and "Please enter a correct" in response.text


def locked_out(response) -> bool:
    return response.status_code == 429 and "Too many sign-in attempts" in response.text
