"""Oscar's order page in the dashboard shows the order's M-Pesa transactions.

Oscar shows a staff user only the orders of partners they belong to; superusers see all."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.payment.mpesa import services
from tests.integration.payment.conftest import failure, initiate, paybill_payment, success

pytestmark = pytest.mark.django_db


def test_order_page_lists_its_mpesa_attempts_with_receipt_and_links(
    client, superuser, daraja, pending_order, settings, django_capture_on_commit_callbacks
):
    settings.MPESA_RESEND_SPACING_SECONDS = 0
    cancelled = initiate(pending_order)
    services.attempt_settle(attempt_id=cancelled.pk, outcome=failure(cancelled))
    paid = services.stk_push_resend(order=pending_order, phone="254712345678")
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_settle(attempt_id=paid.pk, outcome=success(paid, receipt="NLJ7RT61SV"))
    client.force_login(superuser)

    response = client.get(reverse("dashboard:order-detail", kwargs={"number": "100777"}))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="mpesa-attempts"' in page
    assert "NLJ7RT61SV" in page
    assert "Failed" in page and "Paid" in page
    for attempt in (cancelled, paid):
        assert reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": attempt.pk}) in page
    # Oscar's own payment records stay on the page.
    assert "Payment sources" in page


def test_order_page_without_mpesa_attempts_says_so(client, superuser, pending_order):
    client.force_login(superuser)
    response = client.get(reverse("dashboard:order-detail", kwargs={"number": "100777"}))
    assert "No M-Pesa transactions for this order." in response.content.decode()


def test_order_page_tells_staff_what_was_paid_and_what_is_left(
    client, payments_staff, pending_order
):
    services.c2b_confirm(payment=paybill_payment(pending_order.number, "1000"))
    client.force_login(payments_staff)

    page = client.get(reverse("dashboard:order-detail", kwargs={"number": "100777"}))

    part_paid = page.content.decode()
    assert "Paid KSh\xa01,000 of KSh\xa01,250 — balance KSh\xa0250" in part_paid


def test_order_page_links_to_mpesa_records_only_for_staff_who_may_read_them(
    client, pending_order, django_user_model
):
    attempt = services.c2b_confirm(payment=paybill_payment(pending_order.number, "1000"))
    detail = reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": attempt.pk})
    order_page = reverse("dashboard:order-detail", kwargs={"number": "100777"})
    clerk = django_user_model.objects.create_user("clerk", "clerk@example.com", "x", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(clerk)

    page = client.get(order_page)

    assert page.status_code == 200 and 'id="mpesa-attempts"' in page.content.decode()
    assert detail not in page.content.decode()
    clerk.user_permissions.add(Permission.objects.get(codename="view_mpesapaymentattempt"))
    assert detail in client.get(order_page).content.decode()
