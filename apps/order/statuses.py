"""The order statuses the shop's money rules name, in one place.

``OSCAR_ORDER_STATUS_PIPELINE`` (settings) says how an order moves; this module says which
of its statuses mean what for money: an order waits for its money in ``PENDING_PAYMENT``,
has it from ``PAID`` on (every status reachable from Paid but Cancelled: the revenue, the
orders whose money must be recorded on them), and gave up in ``CANCELLED``.
"""

from django.conf import settings

PENDING_PAYMENT = "Pending payment"
PAID = "Paid"
CANCELLED = "Cancelled"


def _paid_family(pipeline: dict) -> tuple[str, ...]:
    found: list[str] = []
    todo = [PAID]
    while todo:
        status = todo.pop(0)
        if status in found or status == CANCELLED:
            continue
        found.append(status)
        todo.extend(pipeline.get(status, ()))
    return tuple(found)


#: Paid and every status an order reaches after it, but Cancelled (a status added to the
#: pipeline after Paid counts by itself).
PAID_STATUSES: tuple[str, ...] = _paid_family(settings.OSCAR_ORDER_STATUS_PIPELINE)
