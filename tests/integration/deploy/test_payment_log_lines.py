"""A paid order, as production logs it: every payment line names the order and the
CheckoutRequestID, and no line shows the customer's phone number."""

import json
import logging
from decimal import Decimal

import pytest
from oscar.core.loading import get_class, get_model
from oscar.test.factories import create_order, create_product, create_stockrecord

from oscar_shop.logging import JsonLineFormatter
from tests.integration.payment.conftest import ScriptedDaraja, initiate, success

pytestmark = pytest.mark.django_db

PAYMENT_LOGGER = "apps.payment.mpesa"
Basket = get_model("basket", "Basket")
Default = get_class("partner.strategy", "Default")


@pytest.fixture
def scripted_daraja(monkeypatch):
    from apps.payment.mpesa import services

    scripted = ScriptedDaraja()
    monkeypatch.setattr(services.common, "daraja_client", lambda: scripted)
    return scripted


@pytest.fixture
def pending_order():
    from apps.payment.mpesa import services

    product = create_product(title="Kiondo basket")
    create_stockrecord(product, price=Decimal("1800.00"), num_in_stock=5, currency="KES")
    basket = Basket.objects.create()
    basket.strategy = Default()
    basket.add_product(product, quantity=1)
    return create_order(
        number="100888", basket=basket, guest_email="akinyi@example.com",
        status=services.ORDER_PENDING,
    )  # fmt: skip


def test_an_order_paid_by_stk_push_logs_json_lines_with_its_context(
    scripted_daraja, pending_order, caplog
):
    from apps.payment.mpesa import services

    caplog.set_level(logging.INFO, logger=PAYMENT_LOGGER)

    attempt = initiate(pending_order, phone="254712345678")
    services.attempt_settle(attempt_id=attempt.pk, outcome=success(attempt))

    formatter = JsonLineFormatter()
    lines = [
        formatter.format(record)
        for record in caplog.records
        if record.name.startswith(PAYMENT_LOGGER)
    ]
    assert len(lines) >= 2  # the push accepted, the attempt settled
    for line in lines:
        assert "\n" not in line
        event = json.loads(line)
        assert event["order_number"] == "100888", event
        assert event["checkout_request_id"] == attempt.checkout_request_id, event
        assert event["phone"] == "2547****5678", event
        assert "712345678" not in line
