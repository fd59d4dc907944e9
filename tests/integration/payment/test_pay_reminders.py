"""A guest's order still unpaid a few minutes after it was placed gets one "pay your
order" email with its payment link; signed-in shoppers, paid orders, fresh orders and
expired ones get none, and reconciling again sends no second."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from apps.common.money import ksh
from apps.payment.models import OrderEmail
from apps.payment.mpesa import services
from apps.payment.mpesa.emails import order_email_send
from apps.payment.mpesa.services.reminders import pay_reminders_queue
from apps.payment.mpesa.waiting import waiting_page_url
from tests.integration.payment.conftest import place_pending_order

pytestmark = pytest.mark.django_db


def placed_minutes_ago(number: str, minutes: int, **changes):
    order = place_pending_order(number)
    type(order).objects.filter(pk=order.pk).update(
        date_placed=timezone.now() - timedelta(minutes=minutes), **changes
    )
    order.refresh_from_db()
    return order


def test_an_unpaid_guest_order_gets_its_payment_link_once(
    settings, django_capture_on_commit_callbacks
):
    settings.MPESA_PAY_REMINDER_MINUTES = 5
    order = placed_minutes_ago("100950", 6)

    with django_capture_on_commit_callbacks(execute=True):
        assert pay_reminders_queue() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert pay_reminders_queue() == 0
        call_command("mpesa_reconcile", stdout=StringIO())

    [message] = mail.outbox
    assert message.to == ["wanjiku@example.com"]
    assert f"Order {order.number} is waiting for payment" in message.subject
    assert waiting_page_url(order.number) in message.body
    assert f"Amount due: {ksh(services.order_money(order).balance)}" in message.body
    assert OrderEmail.objects.get(order=order, kind="pay_reminder").sent_at is not None


def test_no_reminder_too_soon_after_expiry_for_customers_or_when_turned_off(
    settings, django_user_model, django_capture_on_commit_callbacks
):
    settings.MPESA_PAY_REMINDER_MINUTES = 5
    placed_minutes_ago("100951", 2)  # too soon
    placed_minutes_ago("100952", settings.MPESA_ORDER_EXPIRY_MINUTES + 1)  # expiring
    customer = django_user_model.objects.create_user("akinyi", "akinyi@example.co.ke")
    placed_minutes_ago("100953", 6, user=customer)  # has "My orders"
    placed_minutes_ago("100954", 6, status="Paid")

    with django_capture_on_commit_callbacks(execute=True):
        assert pay_reminders_queue() == 0
    settings.MPESA_PAY_REMINDER_MINUTES = 0
    placed_minutes_ago("100955", 6)
    assert pay_reminders_queue() == 0
    assert mail.outbox == []


def test_an_order_paid_after_the_reminder_was_queued_gets_no_message(
    settings, django_capture_on_commit_callbacks
):
    settings.MPESA_PAY_REMINDER_MINUTES = 5
    order = placed_minutes_ago("100956", 6)
    assert pay_reminders_queue() == 1  # queued, its sending not run yet (no on_commit)
    type(order).objects.filter(pk=order.pk).update(status="Paid")

    order_email_send(order_id=order.pk, kind="pay_reminder")

    assert mail.outbox == []
