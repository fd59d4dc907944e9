"""``mpesa_reconcile --every SECONDS``: the embedded run's reconciliation, with no cron. It
keeps passing (unpaid orders expire) and a pass that fails does not stop the next."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.payment.mpesa import services
from tests.integration.payment.conftest import place_pending_order

pytestmark = pytest.mark.django_db


def placed_long_ago(number: str, settings):
    order = place_pending_order(number)
    type(order).objects.filter(pk=order.pk).update(
        date_placed=timezone.now() - timedelta(minutes=settings.MPESA_ORDER_EXPIRY_MINUTES + 5)
    )
    return order


def test_every_keeps_reconciling_and_outlives_a_failed_pass(settings, monkeypatch):
    order = placed_long_ago("100901", settings)
    real = services.mpesa_reconcile
    passes = []

    def first_pass_fails(**kwargs):
        passes.append(1)
        if len(passes) == 1:
            raise RuntimeError("database is locked")
        return real(**kwargs)

    monkeypatch.setattr(services, "mpesa_reconcile", first_pass_fails)
    out = StringIO()

    call_command("mpesa_reconcile", every=0.01, times=2, stdout=out)

    assert len(passes) == 2
    order.refresh_from_db()
    assert order.status == "Cancelled"
    assert "cancelled orders 1" in out.getvalue()


def test_without_every_one_pass(settings):
    order = placed_long_ago("100902", settings)
    out = StringIO()

    call_command("mpesa_reconcile", stdout=out)

    order.refresh_from_db()
    assert order.status == "Cancelled"
    assert out.getvalue().count("queried") == 1
