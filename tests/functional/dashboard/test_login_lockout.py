"""Staff logins resist password guessing as the customer's does (apps/customer/login_attempts.py):
Oscar's dashboard login and Django admin's lock a name from an address after
SHOP_LOGIN_FAILURES_PER_ACCOUNT failures; staff unlock in the admin or with axes_reset_*."""

import io
import re

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command

from tests.functional.customer.conftest import (
    PASSWORD,
    customer_sign_in,
    from_address,
    locked_out,
    make_user,
    signed_in,
)

pytestmark = pytest.mark.django_db

OFFICE = from_address("197.232.10.4")


@pytest.fixture
def clerk(db):
    return make_user("clerk", is_staff=True)


@pytest.fixture
def boss(db):
    return make_user("boss", is_staff=True, is_superuser=True)


def staff_sign_in(app, url: str, email: str, password: str, environ=OFFICE):
    """One attempt on a staff login form (Django's AuthenticationForm, fields unprefixed)."""
    app.reset()
    page = app.get(url, extra_environ=environ)
    form = next(form for form in page.forms.values() if "password" in form.fields)
    form["username"] = email
    form["password"] = password
    return form.submit(extra_environ=environ, expect_errors=True)


@pytest.mark.parametrize("login_url", ["/dashboard/login/", "/admin/login/"])
def test_a_staff_login_locks_after_five_failures_and_refuses_the_right_password(
    django_app, clerk, login_url
):
    for attempt in range(4):
        refused = staff_sign_in(django_app, login_url, clerk.email, "guess")
        assert refused.status_code == 200, attempt
        assert re.search(r"Please enter (a|the) correct", refused.text), attempt

    fifth = staff_sign_in(django_app, login_url, clerk.email, "guess")
    assert locked_out(fifth)
    assert "Please wait 30 minutes before trying again" in fifth.text
    assert "Traceback" not in fifth.text

    assert locked_out(staff_sign_in(django_app, login_url, clerk.email, PASSWORD))
    assert signed_in(
        staff_sign_in(django_app, login_url, clerk.email, PASSWORD, from_address("41.90.1.1"))
    )


def test_the_three_logins_share_one_count(django_app, clerk):
    staff_sign_in(django_app, "/dashboard/login/", clerk.email, "guess")
    staff_sign_in(django_app, "/admin/login/", clerk.email, "guess")
    for _ in range(2):
        customer_sign_in(django_app, clerk.email, "guess", OFFICE)

    assert locked_out(staff_sign_in(django_app, "/dashboard/login/", clerk.email, "guess"))


def lock_out(app, user):
    for _ in range(5):
        response = staff_sign_in(app, "/dashboard/login/", user.email, "guess")
    assert locked_out(response)


def test_staff_unlock_an_account_by_deleting_its_attempts_in_the_admin(django_app, clerk, boss):
    lock_out(django_app, clerk)
    django_app.reset()

    attempts = django_app.get("/admin/axes/accessattempt/", user=boss.username)
    assert clerk.email in attempts.text
    attempt = AccessAttempt.objects.get(username=clerk.email)
    confirm = django_app.get(f"/admin/axes/accessattempt/{attempt.pk}/delete/", user=boss.username)
    confirm.forms[1].submit().follow()

    assert not AccessAttempt.objects.exists()
    assert signed_in(staff_sign_in(django_app, "/dashboard/login/", clerk.email, PASSWORD))


def test_staff_unlock_an_account_with_axes_reset_username(django_app, clerk):
    lock_out(django_app, clerk)

    call_command("axes_reset_username", clerk.email, stdout=io.StringIO())

    assert signed_in(staff_sign_in(django_app, "/dashboard/login/", clerk.email, PASSWORD))


def test_staff_unlock_an_address_with_axes_reset_ip(django_app, settings, clerk):
    settings.SHOP_LOGIN_FAILURES_PER_ADDRESS = 6
    for name in ("amina", "baraka", "chebet"):
        for _ in range(2):
            staff_sign_in(django_app, "/dashboard/login/", f"{name}@duka.example", "guess")
    assert locked_out(staff_sign_in(django_app, "/dashboard/login/", clerk.email, PASSWORD))

    call_command("axes_reset_ip", "197.232.10.4", stdout=io.StringIO())

    assert signed_in(staff_sign_in(django_app, "/dashboard/login/", clerk.email, PASSWORD))
