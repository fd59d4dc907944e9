"""Who may do what in the dashboard's M-Pesa section: every URL and action against every
kind of account, with nothing changed by a refused request.

The rule (apps/payment/dashboard/apps.py): reading the log, inbox, a transaction, its
status.json, the CSV and the books check asks for ``payment.view_mpesapaymentattempt``;
each action asks for its own permission on top; the test prompt is for superusers; all
of it for staff accounts only. Guests are sent to the dashboard's login, signed-in users
without the right get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from oscar.core.loading import get_class, get_model

from apps.payment.models import MpesaAttemptEvent, MpesaPaymentAttempt, MpesaRefund
from apps.payment.mpesa import services
from tests.integration.payment.conftest import failure, initiate, query_answer
from tests.integration.payment.conftest import paybill_confirmed as paybill

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
EventHandler = get_class("order.processing", "EventHandler")

ROLES = ("guest", "customer", "staff", "viewer", "payments_staff", "superuser")
# Who passes each level of the rule.
ALLOWED = {
    "view": {"viewer", "payments_staff", "superuser"},
    "act": {"payments_staff", "superuser"},
    "superuser": {"superuser"},
    # Money out: not in the Payments staff group (apps/payment/staff_group.py).
    "refund": {"superuser"},
}


@pytest.fixture
def people(shopper, staff, payments_staff, superuser) -> dict:
    viewer = get_user_model().objects.create_user(
        username="viewer", email="viewer@duka.example", is_staff=True
    )
    viewer.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="payment", codename="view_mpesapaymentattempt"
        )
    )
    return {
        "guest": None,
        "customer": shopper,
        "staff": staff,  # a staff account with no permission
        "viewer": viewer,
        "payments_staff": payments_staff,
        "superuser": superuser,
    }


@dataclass
class Case:
    """One request, and how to tell that it did what it is for."""

    method: str
    url: str
    data: dict
    level: str
    done: Callable[[], bool] = lambda: False


def case_for(name: str, daraja, pending_order) -> Case:
    """The request for URL ``name``, on a transaction in the state its action needs."""
    attempt = initiate(pending_order)  # an open prompt, Daraja asked nothing yet
    daraja.query_answer = query_answer("pending", None, attempt.checkout_request_id)

    def url():
        return reverse(f"mpesa-dashboard:{name}", kwargs={"pk": attempt.pk})

    if name in ("transaction-list", "attention-inbox", "transaction-export", "books"):
        return Case("GET", reverse(f"mpesa-dashboard:{name}"), {}, "view")
    if name in ("transaction-detail", "transaction-status"):
        return Case("GET", url(), {}, "view")
    if name == "reconcile":
        return Case(
            "POST",
            reverse("mpesa-dashboard:reconcile"),
            {},
            "act",
            done=lambda: daraja.queries == [attempt.checkout_request_id],
        )
    if name == "transaction-check-status":
        return Case(
            "POST",
            url(),
            {},
            "act",
            done=lambda: attempt.events.filter(kind="staff_check").exists(),
        )
    if name == "transaction-mark-paid":
        services.attempt_settle(attempt_id=attempt.pk, outcome=failure(attempt, code="1037"))
        return Case(
            "POST",
            url(),
            {"receipt_number": "NLJ7RT61SV", "confirmed": "on"},
            "act",
            done=lambda: Order.objects.get(pk=pending_order.pk).status == "Paid",
        )
    if name in ("transaction-match", "transaction-resolve"):
        services.attempt_settle(attempt_id=attempt.pk, outcome=failure(attempt))
        unmatched = paybill("10O777")
        item_url = reverse(f"mpesa-dashboard:{name}", kwargs={"pk": unmatched.pk})
        data = {"order_number": "100777"} if name == "transaction-match" else {"note": "Refunded"}
        return Case(
            "POST",
            item_url,
            data,
            "act",
            done=lambda: not MpesaPaymentAttempt.objects.get(pk=unmatched.pk).needs_attention,
        )
    if name == "refund-list":
        return Case("GET", reverse("mpesa-dashboard:refund-list"), {}, "view")
    if name.startswith("transaction-refund"):
        services.attempt_settle(attempt_id=attempt.pk, outcome=failure(attempt))
        paid = paybill("100777")
        item_url = reverse("mpesa-dashboard:transaction-refund", kwargs={"pk": paid.pk})
        if name == "transaction-refund":
            return Case("GET", item_url, {}, "refund")
        data = {"amount": "250", "reason": "Out of stock", "idempotency_key": "k" * 32}
        data["phone"] = "254712345678"  # Paybill sends the payer masked
        return Case("POST", item_url, data, "refund", done=MpesaRefund.objects.exists)
    if name == "refund-outcome":
        services.attempt_settle(attempt_id=attempt.pk, outcome=failure(attempt))
        made = services.refund_start(
            payment=paybill("100777"),
            amount=250,
            actor=None,
            idempotency_key="k" * 32,
            phone="254712345678",
        )
        outcome_url = reverse("mpesa-dashboard:refund-outcome", kwargs={"pk": made.pk})
        return Case(
            "POST",
            outcome_url,
            {"sent": "no"},
            "refund",
            done=lambda: MpesaRefund.objects.get(pk=made.pk).status == "failed",
        )
    if name == "order-refund":
        services.attempt_settle(attempt_id=attempt.pk, outcome=failure(attempt))
        paybill("100777")
        EventHandler().handle_order_status_change(
            Order.objects.get(pk=pending_order.pk), "Cancelled"
        )
        order_url = reverse("mpesa-dashboard:order-refund", kwargs={"number": "100777"})
        return Case("GET", order_url, {}, "refund")
    if name == "test-setup":
        return Case("GET", reverse("mpesa-dashboard:test-setup"), {}, "superuser")
    if name == "test-setup (POST)":
        pushes = len(daraja.pushes)
        return Case(
            "POST",
            reverse("mpesa-dashboard:test-setup"),
            {"phone": "0712345678", "amount": "1"},
            "superuser",
            done=lambda: len(daraja.pushes) > pushes,
        )
    raise AssertionError(name)


def the_books(daraja) -> tuple:
    """Everything a request could change: transactions, timelines, orders, Daraja calls."""
    return (
        list(
            MpesaPaymentAttempt.objects.order_by("pk").values_list(
                "pk", "status", "needs_attention", "receipt_number", "order_id", "resolved_at"
            )
        ),
        MpesaAttemptEvent.objects.count(),
        list(Order.objects.order_by("pk").values_list("pk", "status")),
        len(daraja.pushes),
        len(daraja.queries),
        list(MpesaRefund.objects.order_by("pk").values_list("pk", "status")),
        len(daraja.refund_calls),
    )


def send(client, case: Case):
    if case.method == "POST":
        return client.post(case.url, case.data)
    return client.get(case.url)


URL_NAMES = [
    "transaction-list",
    "attention-inbox",
    "transaction-export",
    "books",
    "transaction-detail",
    "transaction-status",
    "reconcile",
    "transaction-check-status",
    "transaction-mark-paid",
    "transaction-match",
    "transaction-resolve",
    "test-setup",
    "test-setup (POST)",
    "refund-list",
    "transaction-refund",
    "transaction-refund (POST)",
    "order-refund",
    "refund-outcome",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", URL_NAMES)
def test_each_account_reaches_exactly_what_its_permissions_allow(
    client, people, daraja, pending_order, settings, role, name
):
    settings.MPESA_QUERY_AFTER_SECONDS = 0  # the reconciliation asks about every open prompt
    case = case_for(name, daraja, pending_order)
    if people[role] is not None:
        client.force_login(people[role])
    before = the_books(daraja)

    response = send(client, case)

    if role in ALLOWED[case.level]:
        if case.method == "GET":
            assert response.status_code == 200
        else:
            assert response.status_code == 302
            assert reverse("dashboard:login") not in response["Location"]
            assert case.done(), "the action did not take effect"
    else:
        if role == "guest":
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("dashboard:login"))
        else:
            assert response.status_code == 403
        assert "NLJ7RT61SV" not in response.content.decode()
        assert the_books(daraja) == before
        assert not case.done()


def test_the_matrix_covers_every_url_of_the_section():
    from apps.payment.dashboard.urls import urlpatterns

    assert {pattern.name for pattern in urlpatterns} == {
        name.removesuffix(" (POST)") for name in URL_NAMES
    }


NAVIGATION = {
    "mpesa-dashboard:transaction-list": "view",
    "mpesa-dashboard:attention-inbox": "view",
    "mpesa-dashboard:test-setup": "superuser",
}


@pytest.mark.parametrize("role", ["staff", "viewer", "payments_staff", "superuser"])
def test_the_dashboard_menu_shows_only_the_entries_the_account_may_open(client, people, role):
    client.force_login(people[role])

    page = client.get(reverse("dashboard:index")).content.decode()

    for url_name, level in NAVIGATION.items():
        assert (f'href="{reverse(url_name)}"' in page) is (role in ALLOWED[level]), url_name
    assert ('<i class="fas fa-mobile-alt" aria-hidden="true"></i>' in page) is (role != "staff")


@pytest.fixture
def attention_item(daraja, pending_order):
    attempt = initiate(pending_order)
    services.attempt_settle(attempt_id=attempt.pk, outcome=failure(attempt, code="1037"))
    return attempt, paybill("10O777")


def test_a_reader_sees_no_action_button_no_reconcile_and_no_order_links(
    client, people, attention_item
):
    attempt, unmatched = attention_item
    client.force_login(people["viewer"])

    listing = client.get(reverse("mpesa-dashboard:transaction-list")).content.decode()
    paid_later = client.get(
        reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": attempt.pk})
    ).content.decode()
    inbox_item = client.get(
        reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": unmatched.pk})
    ).content.decode()

    assert 'id="mpesa-reconcile"' not in listing
    assert reverse("mpesa-dashboard:transaction-export") in listing  # reading includes the CSV
    assert reverse("dashboard:order-detail", kwargs={"number": "100777"}) not in listing
    assert 'id="mpesa-mark-paid"' not in paid_later
    assert "Check status with M-Pesa" not in paid_later
    assert 'id="mpesa-match"' not in inbox_item and 'id="mpesa-resolve"' not in inbox_item
    assert "may only read this transaction" in inbox_item


def test_payments_staff_see_the_actions_and_open_the_orders(client, people, attention_item):
    attempt, unmatched = attention_item
    client.force_login(people["payments_staff"])
    order_url = reverse("dashboard:order-detail", kwargs={"number": "100777"})

    listing = client.get(reverse("mpesa-dashboard:transaction-list")).content.decode()
    paid_later = client.get(
        reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": attempt.pk})
    ).content.decode()
    inbox_item = client.get(
        reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": unmatched.pk})
    ).content.decode()

    assert 'id="mpesa-reconcile"' in listing
    assert order_url in listing and order_url in paid_later
    assert 'id="mpesa-mark-paid"' in paid_later
    assert 'id="mpesa-match"' in inbox_item and 'id="mpesa-resolve"' in inbox_item
    # The link leads somewhere they may go: the group holds Oscar's order access.
    assert client.get(order_url).status_code == 200


def test_a_staff_account_that_may_open_orders_but_not_the_log_is_refused_the_log(
    client, people, pending_order
):
    """Oscar's order permissions do not open the M-Pesa log: it is a permission of its own."""
    staff = people["staff"]
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="order", codename="view_order")
    )
    client.force_login(staff)

    assert (
        client.get(reverse("dashboard:order-detail", kwargs={"number": "100777"})).status_code
        == 200
    )
    assert client.get(reverse("mpesa-dashboard:transaction-list")).status_code == 403


def test_an_inactive_payments_staff_account_is_refused(client, people):
    cashier = people["payments_staff"]
    cashier.is_active = False
    cashier.save()
    client.force_login(cashier)

    assert client.get(reverse("mpesa-dashboard:transaction-list")).status_code != 200


def test_the_payments_staff_group_holds_the_working_set_and_not_the_test_prompt():
    group = Group.objects.get(name="Payments staff")

    assert {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()} == {
        "payment.view_mpesapaymentattempt",
        "payment.mark_mpesa_paid",
        "payment.match_mpesa_payment",
        "payment.resolve_mpesa_payment",
        "payment.reconcile_mpesa",
        "payment.check_mpesa_status",
        "order.view_order",
    }
