"""Oscar's order exceptions, and the refusals of the gate that keeps Paid for orders whose
money is recorded."""

from oscar.apps.order.exceptions import *  # noqa: F403
from oscar.apps.order.exceptions import InvalidLineStatus, InvalidOrderStatus

# Oscar's own class, not a get_class lookup: its dashboard catches exactly this one.
from oscar.apps.payment.exceptions import PaymentError


class OrderStatusRefused(InvalidOrderStatus, PaymentError):
    """An order status change that would make an order Paid without its money, or make a
    paid order wait for payment again.

    A ``PaymentError`` too because that is what Oscar's dashboard shows to staff with its
    message: the order list's bulk status change catches nothing else, and the order
    page's ``InvalidOrderStatus`` branch replaces the message with a generic one.
    """


class LineStatusRefused(InvalidLineStatus, PaymentError):
    """A line status change refused for the same reason as ``OrderStatusRefused``."""
