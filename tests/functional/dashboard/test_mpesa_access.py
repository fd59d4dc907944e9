"""Nobody but staff with the M-Pesa permissions reaches the log, its CSV or its actions;
only superusers may send a test prompt. Guests are sent to log in, signed-in shoppers get
403. (test_mpesa_permissions.py holds the whole matrix of accounts and URLs.)"""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    ("GET", "mpesa-dashboard:transaction-list", False),
    ("GET", "mpesa-dashboard:attention-inbox", False),
    ("GET", "mpesa-dashboard:transaction-export", False),
    ("POST", "mpesa-dashboard:reconcile", False),
    ("GET", "mpesa-dashboard:test-setup", False),
    ("POST", "mpesa-dashboard:test-setup", False),
    ("GET", "mpesa-dashboard:transaction-detail", True),
    ("GET", "mpesa-dashboard:transaction-status", True),
    ("POST", "mpesa-dashboard:transaction-check-status", True),
    ("POST", "mpesa-dashboard:transaction-mark-paid", True),
    ("POST", "mpesa-dashboard:transaction-match", True),
    ("POST", "mpesa-dashboard:transaction-resolve", True),
]

ACTION_DATA = {
    "receipt_number": "QAB1CD2EF3",
    "order_number": "100777",
    "note": "refunded",
    "phone": "0712345678",
    "amount": "1",
}


def _url(name, needs_pk, attempt):
    return reverse(name, kwargs={"pk": attempt.pk}) if needs_pk else reverse(name)


def _request(client, method, url):
    if method == "POST":
        return client.post(url, ACTION_DATA)
    return client.get(url)


@pytest.mark.parametrize("method, name, needs_pk", LIST_PAGES)
def test_guest_is_sent_to_the_dashboard_login_and_nothing_changes(
    client, make_attempt, method, name, needs_pk
):
    attempt = make_attempt(needs_attention=True, status="review")

    response = _request(client, method, _url(name, needs_pk, attempt))

    assert response.status_code == 302
    assert reverse("dashboard:login") in response["Location"]
    attempt.refresh_from_db()
    assert attempt.needs_attention is True
    assert attempt.events.count() == 0


@pytest.mark.parametrize("method, name, needs_pk", LIST_PAGES)
def test_signed_in_shopper_is_refused_and_nothing_changes(
    client, shopper, make_attempt, method, name, needs_pk
):
    attempt = make_attempt(needs_attention=True, status="review")
    client.force_login(shopper)

    response = _request(client, method, _url(name, needs_pk, attempt))

    assert response.status_code == 403
    assert attempt.receipt_number not in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.needs_attention is True
    assert attempt.events.count() == 0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_staff_who_is_not_a_superuser_may_not_send_test_prompts(
    client, payments_staff, daraja, method
):
    client.force_login(payments_staff)

    response = _request(client, method, reverse("mpesa-dashboard:test-setup"))

    assert response.status_code == 403
    assert daraja.pushes == []


def test_inactive_staff_account_is_refused(client, payments_staff):
    payments_staff.is_active = False
    payments_staff.save()
    client.force_login(payments_staff)
    response = client.get(reverse("mpesa-dashboard:transaction-list"))
    assert response.status_code != 200


def test_payments_staff_see_the_mpesa_section_in_the_dashboard_navigation(client, payments_staff):
    client.force_login(payments_staff)
    page = client.get(reverse("dashboard:index")).content.decode()
    assert reverse("mpesa-dashboard:transaction-list") in page
    assert reverse("mpesa-dashboard:attention-inbox") in page
    assert reverse("mpesa-dashboard:books") in page
    # The test prompt moves real money: its entry is for superusers only.
    assert reverse("mpesa-dashboard:test-setup") not in page


def test_staff_without_the_mpesa_permissions_see_no_mpesa_section(client, staff):
    client.force_login(staff)
    page = client.get(reverse("dashboard:index")).content.decode()
    assert f'href="{reverse("mpesa-dashboard:transaction-list")}"' not in page
    assert f'href="{reverse("mpesa-dashboard:attention-inbox")}"' not in page
    assert f'href="{reverse("mpesa-dashboard:books")}"' not in page


def test_superusers_also_see_the_test_setup_entry(client, superuser):
    client.force_login(superuser)
    page = client.get(reverse("dashboard:index")).content.decode()
    assert reverse("mpesa-dashboard:test-setup") in page


@pytest.mark.parametrize(
    "path",
    [
        "/admin/payment/mpesapaymentattempt/",
        "/admin/payment/mpesacallback/",
    ],
)
def test_admin_changelists_are_closed_to_shoppers_and_guests(client, shopper, path):
    assert client.get(path).status_code == 302
    client.force_login(shopper)
    response = client.get(path)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
