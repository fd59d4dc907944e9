"""Fixtures for the dashboard's M-Pesa section: people with different rights, and
transactions built directly (the services that make them have their own tests)."""

import itertools
import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.payment.models import MpesaPaymentAttempt

# The scripted Daraja and the pending order of the services' tests, shared here.
from tests.integration.payment.conftest import daraja, pending_order  # noqa: F401

Status = MpesaPaymentAttempt.Status
Channel = MpesaPaymentAttempt.Channel

_numbers = itertools.count(1)


def _user(username: str, **flags):
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@duka.example", password="pw", **flags
    )


@pytest.fixture
def staff(db):
    return _user("staff", is_staff=True)


def join_payments_staff(user):
    """The group migration 0011 of the payment app makes: the M-Pesa working set."""
    user.groups.add(Group.objects.get(name="Payments staff"))
    return user


@pytest.fixture
def payments_staff(db):
    return join_payments_staff(_user("cashier", is_staff=True))


@pytest.fixture
def superuser(db):
    return _user("boss", is_staff=True, is_superuser=True)


@pytest.fixture
def shopper(db):
    return _user("shopper")


def attempt_row(**fields) -> MpesaPaymentAttempt:
    """An unsaved transaction with sensible defaults: a paid STK push."""
    n = next(_numbers)
    values = {
        "order_number": str(200000 + n),
        "callback_token": secrets.token_urlsafe(32),
        "phone": "254712345678",
        "amount": Decimal("1250"),
        "status": Status.SUCCEEDED,
        "amount_paid": Decimal("1250"),
        "receipt_number": f"RCP{n:07d}",
        "checkout_request_id": f"ws_CO_{n:08d}",
        "merchant_request_id": f"mr-{n}",
        "result_code": "0",
        "result_desc": "The service request is processed successfully.",
        "guest_email": "wanjiku@example.com",
        "created_at": timezone.now() - timedelta(minutes=n % 600),
    }
    values.update(fields)
    return MpesaPaymentAttempt(**values)


@pytest.fixture
def make_attempt(db):
    def make(**fields) -> MpesaPaymentAttempt:
        attempt = attempt_row(**fields)
        attempt.save()
        return attempt

    return make
