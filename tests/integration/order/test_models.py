"""The order's money facts, and the gate that keeps Paid for orders whose money is
recorded: ``set_status`` and ``save`` on the order and its lines."""

from decimal import Decimal

import pytest
from oscar.core.loading import get_class, get_model
from oscar.test.factories import create_order

from apps.payment.mpesa import services

from .conftest import NOT_PAID, initiate, money_record, order_state, success

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
Line = get_model("order", "Line")
InvalidOrderStatus = get_class("order.exceptions", "InvalidOrderStatus")
InvalidLineStatus = get_class("order.exceptions", "InvalidLineStatus")


class TestMoneyFacts:
    def test_amount_due_is_the_total_rounded_up_to_a_shilling(self, unpaid_order):
        assert unpaid_order.amount_due == Decimal("1250")
        unpaid_order.total_incl_tax = Decimal("3115.52")
        assert unpaid_order.amount_due == Decimal("3116")
        unpaid_order.total_incl_tax = Decimal("3150.00")
        assert unpaid_order.amount_due == Decimal("3150")

    def test_amount_received_is_what_the_sources_debited_less_refunds(self, part_paid_order):
        assert part_paid_order.amount_received() == Decimal("1000")
        source = money_record(part_paid_order, Decimal("400"), reference="RKL51ZDR4F")
        source.amount_refunded = Decimal("150")
        source.save()

        assert part_paid_order.amount_received() == Decimal("1250")
        assert part_paid_order.money_covers_amount_due()

    def test_an_allocated_source_is_not_money_received(self, unpaid_order):
        assert unpaid_order.sources.get().amount_allocated == Decimal("1250")
        assert unpaid_order.amount_received() == Decimal("0")
        assert not unpaid_order.money_covers_amount_due()

    def test_money_received_is_read_in_one_query(self, part_paid_order, django_assert_num_queries):
        with django_assert_num_queries(1):
            part_paid_order.amount_received()

    def test_a_paid_order_holds_the_money_the_service_recorded(self, paid_order):
        assert paid_order.amount_received() == paid_order.amount_due == Decimal("1250")
        assert paid_order.money_covers_amount_due()


@pytest.mark.parametrize("not_paid", NOT_PAID, indirect=True)
class TestNoPaidWithoutMoney:
    @pytest.mark.parametrize("status", ["Paid", "Being processed", "Shipped"])
    def test_set_status_refuses_the_paid_family_and_changes_nothing(self, not_paid, status):
        before = order_state(not_paid)

        with pytest.raises(InvalidOrderStatus) as refused:
            not_paid.set_status(status)

        assert "Mark paid with receipt" in str(refused.value)
        assert f"Order {not_paid.number} cannot be {status}" in str(refused.value)
        assert order_state(not_paid) == before

    def test_the_refusal_says_what_was_received_and_what_is_due(self, not_paid):
        with pytest.raises(InvalidOrderStatus) as refused:
            not_paid.set_status("Paid")
        received = "KSh\xa01,000" if not_paid.number == "100803" else "KSh\xa00"
        assert f"received {received} of the KSh\xa01,250 it is due" in str(refused.value)

    def test_saving_a_status_set_by_hand_is_refused(self, not_paid):
        before = order_state(not_paid)
        order = Order.objects.get(pk=not_paid.pk)
        order.status = "Paid"

        with pytest.raises(InvalidOrderStatus, match="Mark paid with receipt"):
            order.save()
        with pytest.raises(InvalidOrderStatus):
            order.save(update_fields=["status"])
        assert order_state(not_paid) == before

    def test_saving_is_refused_when_the_status_was_not_read(self, not_paid):
        order = Order.objects.only("pk", "number", "total_incl_tax").get(pk=not_paid.pk)
        order.status = "Paid"

        with pytest.raises(InvalidOrderStatus):
            order.save(update_fields=["status"])
        assert Order.objects.get(pk=not_paid.pk).status == "Pending payment"

    def test_other_changes_to_the_order_are_saved(self, not_paid):
        order = Order.objects.get(pk=not_paid.pk)
        order.guest_email = "njeri@example.com"
        order.save()
        assert Order.objects.get(pk=not_paid.pk).guest_email == "njeri@example.com"

    def test_a_line_is_not_made_paid(self, not_paid):
        before = order_state(not_paid)
        line = not_paid.lines.get()

        with pytest.raises(InvalidLineStatus, match="Mark paid with receipt"):
            line.set_status("Paid")
        assert order_state(not_paid) == before

    def test_cancelling_is_allowed(self, not_paid):
        not_paid.set_status("Cancelled")
        assert Order.objects.get(pk=not_paid.pk).status == "Cancelled"


class TestAPaidOrder:
    def test_moves_on_through_oscars_pipeline(self, paid_order):
        paid_order.set_status("Being processed")
        paid_order.set_status("Shipped")

        paid_order.refresh_from_db()
        assert paid_order.status == "Shipped"
        assert set(paid_order.lines.values_list("status", flat=True)) == {"Shipped"}
        assert list(
            paid_order.status_changes.order_by("pk").values_list("new_status", flat=True)
        ) == [
            "Paid",
            "Being processed",
            "Shipped",
        ]

    @pytest.mark.parametrize("start", ["Paid", "Being processed"])
    def test_never_goes_back_to_pending_payment(self, paid_order, start):
        paid_order.set_status(start)
        before = order_state(paid_order)

        with pytest.raises(InvalidOrderStatus, match="cannot go back to Pending payment"):
            paid_order.set_status("Pending payment")
        order = Order.objects.get(pk=paid_order.pk)
        order.status = "Pending payment"
        with pytest.raises(InvalidOrderStatus, match="Mark paid with receipt"):
            order.save()
        with pytest.raises(InvalidLineStatus):
            paid_order.lines.get().set_status("Pending payment")
        assert order_state(paid_order) == before

    def test_a_stale_copy_cannot_undo_the_payment(self, unpaid_order, daraja):
        stale = Order.objects.get(pk=unpaid_order.pk)
        attempt = initiate(unpaid_order)
        services.attempt_settle(attempt_id=attempt.pk, outcome=success(attempt))
        stale.refresh_from_db()
        stale.status = "Pending payment"

        with pytest.raises(InvalidOrderStatus):
            stale.save()
        assert Order.objects.get(pk=unpaid_order.pk).status == "Paid"


def test_money_recorded_in_full_lets_the_order_be_paid(unpaid_order):
    """The gate is about the money, not about who moves the status: an order whose money
    covers it (recorded by the payment service, which moves it itself) may be Paid."""
    money_record(unpaid_order)

    unpaid_order.set_status("Paid")

    assert Order.objects.get(pk=unpaid_order.pk).status == "Paid"


def test_an_order_placed_with_any_status_is_saved():
    """Placing an order is not a status change: imports and factories place paid orders
    and record their money after (``mpesa_audit`` checks the books)."""
    order = create_order(number="100899", status="Paid")
    assert Order.objects.get(pk=order.pk).status == "Paid"
