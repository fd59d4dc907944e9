"""Sign-in lockout: how django-axes counts failed sign-ins in this shop.

django-axes watches every login (the customer's, the dashboard's, Django admin's and the
checkout's "returning customer" step) through Django's authentication signals and refuses
``authenticate()`` while a client is locked out. The settings (AXES_* in
oscar_shop/settings/base.py) name the pieces below:

* who a failure is counted against: the name typed, case aside (``login_name``), from the
  address read behind the shop's trusted proxies (``login_client_address``);
* two limits: one name from one address (AXES_FAILURE_LIMIT), and any names from one
  address (SHOP_LOGIN_FAILURES_PER_ADDRESS, ``LoginAttemptHandler``);
* what the person locked out sees (``lockout_response``), and what ends a lockout early:
  a successful sign-in before the limit, a new password (``PasswordChangeUnlocks``), or
  staff deleting the attempts (Django admin, ``manage.py axes_reset_username``).
"""

import ipaddress
import math

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_credentials, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.common.client_address import client_address


def login_name(request, credentials: dict | None) -> str | None:
    """The name a sign-in attempt is counted under: what was typed, case and spaces aside.

    Oscar signs people in by email, matched case-insensitively: counted as typed,
    "Wanjiru@Example.com" and "wanjiru@example.com" would each get their own allowance
    against the same account.
    """
    name = (credentials or {}).get("username")
    if not name:
        return None
    return str(name).strip().lower()


def login_client_address(request) -> str | None:
    """The client's address as the rest of the shop reads it (``client_address``), or None
    when that is not an IP address (a misconfigured proxy count lets the client write it):
    the attempts table stores addresses as such, and PostgreSQL refuses anything else."""
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        return None


class SignInLockoutBackend(AxesStandaloneBackend):
    """django-axes' backend, which refuses to authenticate a client that is locked out.

    Every sign-in form of the shop passes the request. Oscar's registration signs in the
    account it has just created with ``authenticate()`` and no request, as does Django's
    test client's ``login()``: nothing is guessed there, so this backend stands aside
    (axes' own would raise and fail the registration).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginAttemptHandler(AxesDatabaseHandler):
    """django-axes' database handler with a second, wider limit per address.

    Axes locks a name from an address after AXES_FAILURE_LIMIT failures
    (AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]). One address trying many names
    is locked as a whole after SHOP_LOGIN_FAILURES_PER_ADDRESS failures, higher because
    many shoppers share an address (mobile networks, offices). It is counted here and not
    as a second axes lockout parameter because axes resets every parameter's attempts on a
    successful sign-in: one account of the attacker's own would wipe the address's count.
    """

    def address_failures(self, request) -> int:
        """Failed sign-ins from the request's address, under any name, within the cool-off."""
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def address_is_locked(self, request) -> bool:
        return self.address_failures(request) >= settings.SHOP_LOGIN_FAILURES_PER_ADDRESS

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """Failures for this name from this address; a locked address counts as the limit,
        so axes refuses (and reports) it the way it refuses a locked name."""
        failures = super().get_failures(request, credentials)
        if self.address_is_locked(request):
            return max(failures, get_failure_limit(request, credentials))
        return failures

    def user_logged_in(self, sender, request, user, **kwargs):
        """Axes resets the failures of the user's username on success; customers sign in
        with their email, which is not their username (Oscar makes that up)."""
        super().user_logged_in(sender, request, user, **kwargs)
        if settings.AXES_RESET_ON_SUCCESS and user.email:
            self.reset_user_attempts(request, get_credentials(user.email))


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The page a locked-out sign-in gets (AXES_LOCKOUT_CALLABLE), in the shop's layout.

    It says how long to wait and, when it is the account that is locked from here (not the
    whole address), that setting a new password by email ends the lockout at once.
    """
    cool_off = get_cool_off(request)
    context = {
        "minutes": math.ceil(cool_off.total_seconds() / 60),
        "whole_address": LoginAttemptHandler().address_is_locked(request),
    }
    response = render(
        request,
        "oscar/customer/login_locked.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


class PasswordChangeUnlocks:
    """Ends an account's lockout when its password is set anew (AUTH_PASSWORD_VALIDATORS).

    Django tells every password validator when a user's password has changed: by the reset
    link, the customer's "Change password", staff in the admin or a shell. Whoever set it
    holds the account, so its failed sign-ins, from every address, no longer count.
    It refuses no password; its help text, shown under password fields, says what it does.
    """

    def validate(self, password, user=None) -> None:
        return None

    def get_help_text(self) -> str:
        return _("A new password also lifts a pause on signing in after failed attempts.")

    def password_changed(self, password, user=None) -> None:
        if user is None or user.pk is None:
            return
        names = {login_name(None, {"username": name}) for name in (user.email, user.get_username())}
        for name in names - {None}:
            AxesProxyHandler.reset_attempts(username=name)
