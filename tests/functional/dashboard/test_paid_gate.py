"""No staff screen makes an order Paid: Oscar's order status form, its line status form,
its order list's bulk status change and the Django admin refuse an order whose money is
not recorded, say so naming "Mark paid with receipt", and change nothing. A paid order
moves on through Oscar's screens as before, and cancelling it sends its money to the
M-Pesa inbox for a refund."""

import pytest
from django.contrib.messages import constants
from django.urls import reverse

from apps.payment.models import MpesaPaymentAttempt
from tests.integration.order import conftest as orders
from tests.integration.order.conftest import NOT_PAID, order_state

pytestmark = pytest.mark.django_db

# The orders in each money state, shared with the order app's own tests (pytest finds a
# fixture by its name in the module).
daraja = orders.daraja
unpaid_order = orders.unpaid_order
failed_order = orders.failed_order
part_paid_order = orders.part_paid_order
paid_order = orders.paid_order
not_paid = orders.not_paid


def order_page(order) -> str:
    return reverse("dashboard:order-detail", kwargs={"number": order.number})


def errors(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level == constants.ERROR]


def change_order_status(client, order, new_status):
    return client.post(
        order_page(order),
        {"order_action": "change_order_status", "new_status": new_status},
        follow=True,
    )


def change_line_statuses(client, order, new_status):
    data = {"line_action": "change_line_statuses", "new_status": new_status}
    lines = list(order.lines.all())
    data["selected_line"] = [line.pk for line in lines]
    for line in lines:
        data[f"selected_line_qty_{line.pk}"] = line.quantity
    return client.post(order_page(order), data, follow=True)


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("not_paid", NOT_PAID, indirect=True)
class TestNoScreenMakesAnOrderPaidWithoutMoney:
    def test_oscars_order_status_form(self, staff_client, not_paid):
        before = order_state(not_paid)

        response = change_order_status(staff_client, not_paid, "Paid")

        assert response.status_code == 200
        [error] = errors(response)
        assert "Mark paid with receipt" in error
        assert f"Order {not_paid.number} cannot be Paid" in error
        assert order_state(not_paid) == before

    def test_oscars_line_status_form(self, staff_client, not_paid):
        before = order_state(not_paid)

        response = change_line_statuses(staff_client, not_paid, "Paid")

        assert response.status_code == 200
        [error] = errors(response)
        assert "Mark paid with receipt" in error
        assert order_state(not_paid) == before

    def test_oscars_order_list_bulk_status_change(self, staff_client, not_paid, paid_order):
        paid_before = order_state(paid_order)
        before = order_state(not_paid)

        response = staff_client.post(
            reverse("dashboard:order-list"),
            {
                "action": "change_order_statuses",
                "selected_order": [not_paid.pk, paid_order.pk],
                "new_status": "Paid",
            },
            follow=True,
        )

        assert response.status_code == 200
        assert any("Mark paid with receipt" in error for error in errors(response))
        assert order_state(not_paid) == before
        assert order_state(paid_order) == paid_before

    def test_the_django_admin_order_form(self, django_app, superuser, not_paid):
        before = order_state(not_paid)
        page = django_app.get(
            reverse("admin:order_order_change", args=[not_paid.pk]), user=superuser
        )
        form = page.forms["order_form"]
        form["status"] = "Paid"

        response = form.submit()

        assert response.status_code == 200  # the form again, with the reason
        assert "Mark paid with receipt" in response.html.select_one(".errorlist").text
        assert order_state(not_paid) == before

    def test_the_django_admin_line_forms(self, django_app, superuser, not_paid):
        before = order_state(not_paid)
        page = django_app.get(
            reverse("admin:order_order_change", args=[not_paid.pk]), user=superuser
        )
        form = page.forms["order_form"]
        form["lines-0-status"] = "Paid"
        assert "Mark paid with receipt" in form.submit().html.select_one(".errorlist").text

        line = not_paid.lines.get()
        page = django_app.get(reverse("admin:order_line_change", args=[line.pk]), user=superuser)
        form = page.forms["line_form"]
        form["status"] = "Paid"
        assert "Mark paid with receipt" in form.submit().html.select_one(".errorlist").text
        assert order_state(not_paid) == before


class TestAPaidOrder:
    def test_moves_on_through_oscars_order_status_form(self, staff_client, paid_order):
        for status in ("Being processed", "Shipped"):
            response = change_order_status(staff_client, paid_order, status)
            assert errors(response) == []

        paid_order.refresh_from_db()
        assert paid_order.status == "Shipped"
        assert set(paid_order.lines.values_list("status", flat=True)) == {"Shipped"}

    def test_its_lines_move_on_through_oscars_line_status_form(self, staff_client, paid_order):
        response = change_line_statuses(staff_client, paid_order, "Being processed")

        assert errors(response) == []
        assert set(paid_order.lines.values_list("status", flat=True)) == {"Being processed"}

    def test_is_not_put_back_to_pending_payment(self, staff_client, paid_order):
        before = order_state(paid_order)

        response = change_order_status(staff_client, paid_order, "Pending payment")
        assert errors(response)
        response = change_line_statuses(staff_client, paid_order, "Pending payment")
        assert errors(response)
        assert order_state(paid_order) == before

    def test_is_not_put_back_to_pending_payment_in_the_admin(
        self, django_app, superuser, paid_order
    ):
        before = order_state(paid_order)
        page = django_app.get(
            reverse("admin:order_order_change", args=[paid_order.pk]), user=superuser
        )
        form = page.forms["order_form"]
        form["status"] = "Pending payment"

        error = form.submit().html.select_one(".errorlist").text

        assert "cannot go back to Pending payment" in error
        assert "Mark paid with receipt" in error
        assert order_state(paid_order) == before

    def test_cancelled_by_staff_sends_its_money_to_the_mpesa_inbox(self, staff_client, paid_order):
        response = change_order_status(staff_client, paid_order, "Cancelled")

        assert errors(response) == []
        reason = "Order 100804 was cancelled holding KSh\xa01,250: refund"
        attempt = MpesaPaymentAttempt.objects.get(order=paid_order)
        assert attempt.needs_attention and attempt.attention_reason == reason
        inbox = staff_client.get(reverse("mpesa-dashboard:attention-inbox"))
        assert reason in inbox.content.decode()

    def test_cancelled_in_the_admin_sends_its_money_to_the_mpesa_inbox(
        self, django_app, superuser, paid_order
    ):
        page = django_app.get(
            reverse("admin:order_order_change", args=[paid_order.pk]), user=superuser
        )
        form = page.forms["order_form"]
        form["status"] = "Cancelled"
        form.submit().follow()

        attempt = MpesaPaymentAttempt.objects.get(order=paid_order)
        assert attempt.attention_reason == (
            "Order 100804 was cancelled holding KSh\xa01,250: refund"
        )
        assert paid_order.lines.get().stockrecord.num_allocated == 0
