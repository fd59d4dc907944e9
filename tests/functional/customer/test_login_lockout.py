"""The customer login (/accounts/login/) resists password guessing
(apps/customer/login_attempts.py): a name is locked from an address after
SHOP_LOGIN_FAILURES_PER_ACCOUNT failures, an address trying many names after
SHOP_LOGIN_FAILURES_PER_ADDRESS, for SHOP_LOGIN_LOCKOUT_MINUTES."""

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail

from .conftest import (
    PASSWORD,
    customer_sign_in,
    from_address,
    locked_out,
    make_user,
    refused_for_bad_password,
    signed_in,
)

pytestmark = pytest.mark.django_db

HOME = from_address("41.90.64.10")
ELSEWHERE = from_address("105.160.3.7")


def fail(app, user, times: int, environ=HOME, email: str | None = None):
    for _ in range(times):
        response = customer_sign_in(app, email or user.email, "guess", environ)
    return response


def test_the_fifth_wrong_password_locks_the_account_from_that_address(django_app, wanjiru):
    for attempt in range(4):
        assert refused_for_bad_password(customer_sign_in(django_app, wanjiru.email, "guess")), (
            attempt
        )

    fifth = customer_sign_in(django_app, wanjiru.email, "guess")

    assert locked_out(fifth)
    assert "Please wait 30 minutes before trying again" in fifth.text
    assert "reset your password" in fifth.text and 'href="/password-reset/"' in fifth.text
    assert fifth["Retry-After"] == "1800"
    # The shop's own page: its navigation, no traceback.
    assert fifth.html.select_one("nav") is not None
    assert "Traceback" not in fifth.text


def test_while_locked_even_the_right_password_is_refused(django_app, wanjiru):
    fail(django_app, wanjiru, 5)

    assert locked_out(customer_sign_in(django_app, wanjiru.email, PASSWORD))
    assert "_auth_user_id" not in django_app.session


def test_the_lock_holds_that_account_from_that_address_only(django_app, wanjiru, otieno):
    fail(django_app, wanjiru, 5)

    assert signed_in(customer_sign_in(django_app, wanjiru.email, PASSWORD, ELSEWHERE))
    assert signed_in(customer_sign_in(django_app, otieno.email, PASSWORD, HOME))


def test_a_sign_in_before_the_limit_clears_the_count(django_app, wanjiru):
    fail(django_app, wanjiru, 4)
    assert signed_in(customer_sign_in(django_app, wanjiru.email, PASSWORD))

    assert refused_for_bad_password(fail(django_app, wanjiru, 4))
    assert locked_out(fail(django_app, wanjiru, 1))


def test_the_email_counts_whatever_its_case(django_app, wanjiru):
    for email in ("Wanjiru@duka.example", "WANJIRU@DUKA.EXAMPLE", " wanjiru@Duka.Example"):
        fail(django_app, wanjiru, 1, email=email)
    fail(django_app, wanjiru, 1)

    assert locked_out(fail(django_app, wanjiru, 1, email="wanJIRU@duka.example"))


def test_one_address_guessing_many_accounts_is_locked_as_a_whole(django_app, settings, otieno):
    settings.SHOP_LOGIN_FAILURES_PER_ADDRESS = 8
    for name in ("amina", "baraka", "chebet"):
        assert refused_for_bad_password(fail(django_app, make_user(name), 2))
    daudi = make_user("daudi")
    assert refused_for_bad_password(fail(django_app, daudi, 1))

    eighth = fail(django_app, daudi, 1)
    assert locked_out(eighth)
    assert "from your network" in eighth.text
    assert "reset your password" not in eighth.text
    assert locked_out(customer_sign_in(django_app, otieno.email, PASSWORD))
    assert signed_in(customer_sign_in(django_app, otieno.email, PASSWORD, ELSEWHERE))


def test_a_successful_sign_in_does_not_clear_the_address_count(django_app, settings, otieno):
    """An attacker's own account must not wipe the failures it made guessing others."""
    settings.SHOP_LOGIN_FAILURES_PER_ADDRESS = 8
    attacker = make_user("mshambulizi")
    for name in ("amina", "baraka", "chebet"):
        fail(django_app, make_user(name), 2)
    assert signed_in(customer_sign_in(django_app, attacker.email, PASSWORD))

    fail(django_app, make_user("daudi"), 2)

    assert locked_out(customer_sign_in(django_app, otieno.email, PASSWORD))


def test_a_new_password_set_by_email_lifts_the_lock(django_app, wanjiru):
    fail(django_app, wanjiru, 5)

    django_app.reset()
    form = django_app.get("/password-reset/").forms[1]
    form["email"] = wanjiru.email
    form.submit().follow()
    link = re.search(r"https?://[^/\s]+(/password-reset/confirm/\S+/)", mail.outbox[-1].body)
    page = django_app.get(link.group(1)).maybe_follow()
    form = page.forms[1]
    form["new_password1"] = form["new_password2"] = "mpya-kabisa-2025"
    assert form.submit().follow().status_code == 200

    assert signed_in(customer_sign_in(django_app, wanjiru.email, "mpya-kabisa-2025"))


def test_what_was_typed_is_not_kept_with_the_failed_attempt(django_app, wanjiru):
    customer_sign_in(django_app, wanjiru.email, "Siri-yangu-99")

    attempt = AccessAttempt.objects.get()
    assert attempt.username == wanjiru.email
    assert attempt.ip_address == "41.90.64.10"
    assert "Siri-yangu-99" not in attempt.post_data
    assert wanjiru.email not in attempt.post_data


def test_registering_signs_the_new_customer_in(django_app):
    """Oscar signs a new account in with authenticate() and no request."""
    form = django_app.get("/accounts/login/").forms["register_form"]
    form["registration-email"] = "neema@duka.example"
    form["registration-password1"] = form["registration-password2"] = "mpya-kabisa-2025"

    assert signed_in(form.submit("registration_submit"))
    assert "_auth_user_id" in django_app.session
